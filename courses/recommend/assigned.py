"""The planner's priorities from a learner's open assignments (:class:`learnpath.paths.Priority`),
and until when they hold.

An exercise assignment favours its exercises not yet answered right. A skill assignment
favours the exercises on its skills below the target level and on the skills those build on
that are not yet proficient (the way there). Each is weighed by the urgency of its due date
(the learner's, with any extension: :mod:`learnpath.urgency`); an exercise in several
assignments takes the most urgent one's weight and reason.
"""
from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User

from courses.models import Course
from courses.queries.assignments import due_phrase, open_work
from courses.recommend.course_view import CourseView
from learnpath import paths, urgency
from learnpath.mastery import MasteryLevel, SkillMastery
from learnpath.phrases import Phrase, gettext_noop


def assignment_priorities(
    learner: User, course: Course, view: CourseView, chart: dict[str, SkillMastery],
    now: datetime,
) -> tuple[dict[str, paths.Priority], datetime | None]:
    """The priorities, and when the first of them changes band (``None``: none will)."""
    priorities: dict[str, paths.Priority] = {}
    valid_until: datetime | None = None
    for assignment, progress in open_work(learner, course, now):
        weight = urgency.band(progress.due_at, now).weight
        change = urgency.next_change(progress.due_at, now)
        if change is not None and (valid_until is None or change < valid_until):
            valid_until = change
        reason = Phrase.of(gettext_noop("Assigned: %(title)s, %(due)s."), title=assignment.title,
                           due=due_phrase(progress.due_at, now))
        keys = set(progress.open_exercises)
        if progress.open_skills:
            wanted = set(progress.open_skills).union(*(
                {key for key in view.graph.ancestors(skill) if _below_proficient(chart, key)}
                for skill in progress.open_skills if skill in view.graph))
            keys |= {e.key for e in view.exercises if e.active and wanted.intersection(e.skills)}
        for key in keys:
            if key not in priorities or priorities[key].weight < weight:
                priorities[key] = paths.Priority(weight, reason)
    return priorities, valid_until


def _below_proficient(chart: dict[str, SkillMastery], key: str) -> bool:
    state = chart.get(key)
    return state is None or state.level.rank < MasteryLevel.PROFICIENT.rank
