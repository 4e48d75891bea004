"""The class dashboard's assignments (:func:`assignments_board`): for each assignment, how many
of its learners are done, on track, behind and overdue (the rule:
:data:`courses.queries.assignments.STATUS_RULE`), how much of the time to its due date has gone,
and who is behind or overdue; a Plotly figure of the counts with a table alternative."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from courses.dashboards.figures import Figure
from courses.dashboards.figures.assignments import assignments_figure
from courses.models import Cohort
from courses.queries.assignments import (
    BEHIND,
    OVERDUE,
    STATUS_RULE,
    STATUSES,
    cohort_progress,
)


@dataclass(frozen=True)
class Lagging:
    learner_id: int
    username: str
    percent: int
    status: str
    due_at: datetime
    extended: bool

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


@dataclass(frozen=True)
class AssignmentSummary:
    assignment_id: int
    title: str
    due_at: datetime
    learners: int
    counts: dict[str, int]  # status -> learners, every status present
    mean_percent: int
    elapsed_percent: int  # of the time from setting it to its due date
    lagging: list[Lagging]  # behind or overdue, overdue first

    @property
    def count_cells(self) -> list[int]:
        return [self.counts[status] for status in STATUSES]


@dataclass(frozen=True)
class AssignmentsBoard:
    cohort_id: int
    summaries: list[AssignmentSummary]
    figure: Figure
    status_rule: str

    @property
    def status_labels(self) -> list[str]:
        return list(STATUSES.values())


def assignments_board(cohort: Cohort, now: datetime | None = None) -> AssignmentsBoard:
    now = now or timezone.now()
    summaries = []
    for assignment, rows in cohort_progress(cohort, now):
        counts = dict.fromkeys(STATUSES, 0)
        for row in rows:
            counts[row.status] += 1
        span = (assignment.due_at - assignment.created_at).total_seconds()
        elapsed = 1.0 if span <= 0 else min(
            1.0, max(0.0, (now - assignment.created_at).total_seconds() / span))
        lagging = sorted(
            (Lagging(row.learner_id, row.username, row.percent, row.status, row.due_at,
                     row.extended) for row in rows if row.status in (BEHIND, OVERDUE)),
            key=lambda lag: (lag.status != OVERDUE, lag.percent, lag.username))
        summaries.append(AssignmentSummary(
            assignment.pk, assignment.title, assignment.due_at, len(rows), counts,
            round(sum(row.percent for row in rows) / len(rows)) if rows else 0,
            round(100 * elapsed), lagging,
        ))
    return AssignmentsBoard(cohort.pk, summaries, assignments_figure(summaries), STATUS_RULE)
