"""What falls due for review on a learner's dashboard: today and in the week after.

*Today* is every mastered skill whose review is due before the end of the day in the site's time
zone (overdue ones included, with the day they fell due); *this week* those due in the seven
days after today. Which skills are scheduled, and when, is :mod:`learnpath.review`'s rule (read
with the chart, :func:`courses.queries.charts.learner_chart_view`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from courses.queries.charts import LearnerChart

WEEK_DAYS = 7


@dataclass(frozen=True)
class DueReview:
    skill_key: str
    skill_name: str
    due: datetime
    overdue: bool


@dataclass(frozen=True)
class ReviewOutlook:
    today: list[DueReview]
    this_week: list[DueReview]


def review_outlook(chart: LearnerChart, today: date, now: datetime | None = None
                   ) -> ReviewOutlook:
    now = now or timezone.now()
    end_of_today = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    end_of_week = end_of_today + timedelta(days=WEEK_DAYS)
    names = {row.key: row.name for row in chart.rows}
    due_today: list[DueReview] = []
    this_week: list[DueReview] = []
    for due, key in chart.scheduled:
        if due >= end_of_week:
            break
        item = DueReview(key, names.get(key, key), due, due <= now)
        (due_today if due < end_of_today else this_week).append(item)
    return ReviewOutlook(due_today, this_week)
