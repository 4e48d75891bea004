"""The learner dashboard (:func:`learner_dashboard`).

*Ability* is :func:`learnpath.mastery.ability_chart` (mean P(mastery) per area, unstarted
skills count as 0) as a radar; the *class average* is the same mean over every learner of the
class (the one being viewed by a teacher, else the learner's first class in the course by
name), learners without a chart row counting as 0. The *skill graph* is drawn left to right
by prerequisite level (:func:`courses.dashboards.graph_layout.graph_layout`), nodes coloured
by level, the ready-to-learn frontier ringed in blue and the skills of the learner's learning path
(:func:`courses.recommend.cache.learning_path`) ringed in orange with their step numbers.
*Mastery over time* plots the stored :class:`~courses.models.MasteryEvent` history of every
practised skill; the chosen skills (default: the :data:`DEFAULT_TIMELINE_SKILLS` most
recently changed) are shown, the others can be switched on from the legend. *Practice per
day* counts right and wrong answers and the minutes practised over the last
:data:`ACTIVITY_DAYS` days (site time zone); an attempt's time counts at most
:data:`MAX_ATTEMPT_SECONDS`, so a page left open overnight is not a night of practice.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Sum
from django.utils import timezone

from courses.dashboards.figures import Figure
from courses.dashboards.figures.learner import (
    ability_figure,
    activity_figure,
    skill_graph_figure,
    timeline_figure,
)
from courses.dashboards.reviews import ReviewOutlook, review_outlook
from courses.dashboards.rows import DayActivity, RecentAttempt, TimelineSkill
from courses.models import Attempt, Cohort, Course, MasteryEvent, SkillState
from courses.queries.charts import LearnerChart, learner_chart_view, percent
from courses.queries.content import course_content
from courses.queries.graphs import skill_graph_for
from courses.recommend.cache import Stamp, stamped_learning_path
from courses.recommend.paths import LearningPath
from learnpath import mastery
from learnpath.skillgraph import SkillGraph

ACTIVITY_DAYS = 28
MAX_ATTEMPT_SECONDS = 600
RECENT_ATTEMPTS = 20
DEFAULT_TIMELINE_SKILLS = 4


@dataclass(frozen=True)
class LearnerHistory:
    """The parts of the dashboard read from the learner's attempts and chart history: changed
    only by a new attempt, a chart rebuild, the content or the day (:attr:`LearnerDashboard.
    history_key`)."""

    timeline: list[TimelineSkill]
    days: list[DayActivity]
    recent: list[RecentAttempt]
    timeline_figure: Figure
    activity_figure: Figure

    @property
    def days_practised(self) -> list[DayActivity]:
        return [day for day in self.days if day.attempts]

    @property
    def answers_in_period(self) -> int:
        return sum(day.attempts for day in self.days)

    @property
    def minutes_in_period(self) -> int:
        return round(sum(day.minutes for day in self.days))


@dataclass(frozen=True)
class LearnerDashboard:
    chart: LearnerChart
    class_name: str
    class_ability: dict[str, float] | None
    path: LearningPath
    ability_figure: Figure
    graph_figure: Figure
    # Names the history's inputs (:func:`history_key`): what the page shows of the history is
    # cached under it (:mod:`courses.dashboards.history_html`), so a page that finds it cached
    # reads none of the history (``read`` is called when it is first asked for).
    history_key: str
    read: Callable[[], LearnerHistory] = field(repr=False, compare=False)
    # The reviews due today and in the week after (:mod:`courses.dashboards.reviews`).
    reviews: ReviewOutlook = field(default_factory=lambda: ReviewOutlook([], []))

    @cached_property
    def history(self) -> LearnerHistory:
        return self.read()

    @property
    def timeline(self) -> list[TimelineSkill]:
        return self.history.timeline

    @property
    def days(self) -> list[DayActivity]:
        return self.history.days

    @property
    def recent(self) -> list[RecentAttempt]:
        return self.history.recent

    @property
    def figures(self) -> dict[str, Figure]:
        return {"ability": self.ability_figure, "graph": self.graph_figure,
                "timeline": self.history.timeline_figure,
                "activity": self.history.activity_figure}

    @property
    def ability_rows(self) -> list[tuple[str, int, int | None]]:
        """(area, own %, class average % or None): the radar as a table."""
        return [
            (area, percent(p),
             percent(self.class_ability.get(area, 0.0)) if self.class_ability else None)
            for area, p in self.chart.ability.items()
        ]

    @property
    def mastered_count(self) -> int:
        mastered = mastery.MasteryLevel.MASTERED.value
        return sum(row.level == mastered for row in self.chart.rows)

    @property
    def days_practised(self) -> list[DayActivity]:
        return self.history.days_practised

    @property
    def answers_in_period(self) -> int:
        return self.history.answers_in_period

    @property
    def minutes_in_period(self) -> int:
        return self.history.minutes_in_period


def _cohort_for(learner: User, course: Course) -> Cohort | None:
    """The learner's first class in the course by name, read with its size (``learner_count``)."""
    member = Cohort.learners.through.objects.filter(cohort_id=OuterRef("pk"), user=learner)
    return (
        Cohort.objects.filter(Exists(member), course=course)
        .annotate(learner_count=Count("learners"))
        .order_by("name", "id").first()
    )


def class_ability(
    cohort: Cohort, graph: SkillGraph, size: int | None = None
) -> dict[str, float] | None:
    """Mean over the class's learners (``size`` of them, counted when not given) of their
    ability chart; ``None`` for an empty class."""
    size = cohort.learners.count() if size is None else size
    if not size:
        return None
    totals: dict[str, float] = defaultdict(float)
    totals.update(
        SkillState.objects.filter(course_id=cohort.course_id, learner__cohorts=cohort)
        .exclude(level=mastery.MasteryLevel.NOT_STARTED.value)
        .order_by().values("skill__key").annotate(total=Sum("p_mastery"))
        .values_list("skill__key", "total")
    )
    return {
        area: sum(totals[key] for key in graph.skills_in_area(area))
        / (size * len(graph.skills_in_area(area)))
        for area in graph.areas()
    }


def _timeline(
    learner: User, course: Course, graph: SkillGraph, chosen: Sequence[str]
) -> tuple[dict[str, list[tuple[datetime, float]]], list[TimelineSkill]]:
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for key, at, p in (
        MasteryEvent.objects.filter(learner=learner, course=course)
        .order_by("at", "id")
        .values_list("skill__key", "at", "p_mastery")
    ):
        series[key].append((at, p))
    picked = [key for key in chosen if key in series]
    if not picked:
        latest = sorted(series, key=lambda k: (series[k][-1][0], k), reverse=True)
        picked = latest[:DEFAULT_TIMELINE_SKILLS]
    ordered = {key: series[key] for key in graph.topological_order() if key in series}
    summary = [
        TimelineSkill(
            key=key, name=graph.name(key), chosen=key in picked, updates=len(points),
            first_at=points[0][0], latest_percent=percent(points[-1][1]),
            peak_percent=percent(max(p for _, p in points)),
        )
        for key, points in ordered.items()
    ]
    return ordered, summary


def _days(learner: User, course: Course, today: date) -> list[DayActivity]:
    first_day = today - timedelta(days=ACTIVITY_DAYS - 1)
    since = timezone.make_aware(datetime.combine(first_day, datetime.min.time()))
    counts: dict[date, list[float]] = {
        first_day + timedelta(days=n): [0, 0, 0.0] for n in range(ACTIVITY_DAYS)
    }
    for started, submitted, correct in Attempt.objects.filter(
        learner=learner, course=course, submitted_at__gte=since
    ).values_list("started_at", "submitted_at", "correct"):
        day = counts.get(timezone.localtime(submitted).date())
        if day is None:
            continue
        day[0] += 1
        day[1] += int(correct)
        day[2] += min(MAX_ATTEMPT_SECONDS, max(0.0, (submitted - started).total_seconds()))
    return [
        DayActivity(day, int(attempts), int(correct), round(seconds / 60, 1))
        for day, (attempts, correct, seconds) in counts.items()
    ]


def _recent(learner: User, course: Course) -> list[RecentAttempt]:
    """The latest answers, as plain values (one query; the exercises from the content cache)."""
    exercises = course_content(course).by_id
    recent = []
    for submitted, started, exercise_id, correct, hint_used in (
        Attempt.objects.filter(learner=learner, course=course)
        .order_by("-submitted_at", "-id")
        .values_list("submitted_at", "started_at", "exercise_id", "correct",
                     "hint_used")[:RECENT_ATTEMPTS]
    ):
        exercise = exercises[exercise_id]
        recent.append(RecentAttempt(
            submitted_at=submitted, exercise_key=exercise.key,
            skills=", ".join(sorted(skill.name for skill in exercise.skills)),
            correct=correct, seconds=round(max(0.0, (submitted - started).total_seconds())),
            hint_used=hint_used,
        ))
    return recent


def _plot_time(at: datetime) -> str:
    """Plotly ignores time-zone offsets: send local wall-clock time."""
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def learner_dashboard(
    learner: User,
    course: Course,
    *,
    cohort: Cohort | None = None,
    chosen_skills: Sequence[str] = (),
    today: date | None = None,
    own_label: str = "You",
) -> LearnerDashboard:
    """Everything on a learner's dashboard; ``cohort`` is the class to compare with and
    ``own_label`` names the learner on the charts (a teacher sees the learner's name). The
    history (:class:`LearnerHistory`) is read when first asked for."""
    graph = skill_graph_for(course)
    chart = learner_chart_view(learner, course)
    size = None
    if cohort is None:
        cohort = _cohort_for(learner, course)
        size = getattr(cohort, "learner_count", None) or 0
    average = class_ability(cohort, graph, size) if cohort else None
    path, stamp = stamped_learning_path(learner, course)
    day = today or timezone.localdate()
    not_started = mastery.MasteryLevel.NOT_STARTED.value
    graph_figure = skill_graph_figure(
        graph, {row.key: row.level for row in chart.rows},
        {row.key: row.percent for row in chart.rows if row.level != not_started},
        chart.ready_to_learn, [item.skill_key for item in path.items],
        estimated={row.key for row in chart.rows if row.inferred},
    )
    return LearnerDashboard(
        chart=chart, class_name=cohort.name if cohort else "", class_ability=average,
        path=path,
        ability_figure=ability_figure(chart.ability, average, cohort.name if cohort else "",
                                      own_label),
        graph_figure=graph_figure,
        history_key=history_key(learner, course, stamp, day, chosen_skills),
        read=lambda: read_history(learner, course, chosen_skills, day),
        reviews=review_outlook(chart, day),
    )


def read_history(learner: User, course: Course, chosen: Sequence[str],
                 today: date) -> LearnerHistory:
    """The learner's history in the course as the dashboard shows it (three queries)."""
    graph = skill_graph_for(course)
    series, timeline = _timeline(learner, course, graph, chosen)
    days = _days(learner, course, today)
    return LearnerHistory(
        timeline=timeline, days=days, recent=_recent(learner, course),
        timeline_figure=timeline_figure(
            {k: [(_plot_time(at), p) for at, p in points] for k, points in series.items()},
            {k: graph.name(k) for k in series},
            [item.key for item in timeline if item.chosen],
        ),
        activity_figure=activity_figure(days),
    )


def history_key(learner: User, course: Course, stamp: Stamp | None, today: date,
                chosen: Sequence[str]) -> str:
    """A digest of what the history is read from: the learner's newest attempt and chart change
    (a chart rebuild replays the history too), the course (its creation time tells it apart
    from a deleted one with the same id) and its content version (names), the day, and the
    course's skills among those chosen for the timeline. ``""`` (nothing to cache under) when
    the course is gone."""
    if stamp is None:
        return ""
    graph = skill_graph_for(course)
    parts = [
        learner.pk, course.pk, course.created_at.isoformat(), stamp.content_version,
        stamp.last_attempt_id, stamp.chart_at.isoformat() if stamp.chart_at else "-",
        today.isoformat(), *sorted({key for key in chosen if key in graph}),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()
