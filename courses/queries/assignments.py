"""Assignments as read: each learner's progress and status, for a class, for one learner's
course page, and the open work the path planner favours.

Progress
    A skill assignment counts the assigned skills at the target level or above on the
    learner's chart (levels of :mod:`learnpath.mastery`); an exercise assignment counts the
    assigned exercises the learner has answered right at least once (before the assignment
    too: they have shown they can). Retired exercises are left out of the count; an assignment
    with nothing left to count is done.

Status (:func:`status_of`), against the learner's due date (their extension's, if any)
    ``done``: everything counted is met (whenever that happened). ``overdue``: not done and the
    due date has passed. ``behind``: not done and the share met is more than
    :data:`BEHIND_MARGIN` below the share of the time from the assignment's creation to the
    due date that has passed (a steady pace). ``on_track``: any other.

Every reader costs a fixed number of queries (at most seven), whatever the number of
assignments and learners.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from courses.errors import NotFound
from courses.models import (
    Assignment,
    AssignmentExtension,
    Attempt,
    Cohort,
    Course,
    Exercise,
    SkillState,
)
from learnpath.mastery import MasteryLevel
from learnpath.phrases import Phrase, When, gettext_noop

DONE = "done"
ON_TRACK = "on_track"
BEHIND = "behind"
OVERDUE = "overdue"
STATUSES = {DONE: "Done", ON_TRACK: "On track", BEHIND: "Behind", OVERDUE: "Overdue"}
BEHIND_MARGIN = 0.2
STATUS_RULE = (
    "Done: every assigned skill is at the target level (or every assigned exercise has been "
    "answered right). Overdue: not done, and the learner's due date (with any extension) has "
    f"passed. Behind: the share done is more than {BEHIND_MARGIN:.0%} below the share of the "
    "time from setting the assignment to its due date that has gone by. On track: the others."
)


def status_of(share: float, set_at: datetime, due_at: datetime, now: datetime) -> str:
    """The status rule of this module's docstring."""
    if share >= 1.0:
        return DONE
    if now >= due_at:
        return OVERDUE
    span = (due_at - set_at).total_seconds()
    elapsed = 1.0 if span <= 0 else max(0.0, (now - set_at).total_seconds() / span)
    return BEHIND if share < elapsed - BEHIND_MARGIN else ON_TRACK


@dataclass(frozen=True)
class Progress:
    """One learner on one assignment."""

    assignment_id: int
    learner_id: int
    username: str
    due_at: datetime
    extended: bool
    met: int
    total: int
    status: str
    open_skills: tuple[str, ...]  # skill keys below the target level
    open_exercises: tuple[str, ...]  # active exercise keys not yet answered right

    @property
    def share(self) -> float:
        return 1.0 if self.total == 0 else self.met / self.total

    @property
    def percent(self) -> int:
        return round(100 * self.share)

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


@dataclass(frozen=True)
class LearnerAssignment:
    """An assignment as its learner sees it on the course page."""

    assignment_id: int
    title: str
    kind: str
    target_level: str
    items: tuple[str, ...]  # the skills' names, or the exercises' keys
    progress: Progress

    @property
    def target_label(self) -> str:
        return self.target_level.replace("_", " ")


def cohort_progress(cohort: Cohort, now: datetime | None = None
                    ) -> list[tuple[Assignment, list[Progress]]]:
    """The class's assignments (by due date), each with the progress of every learner of the
    class it is for (by username)."""
    assignments = list(Assignment.objects.filter(cohort=cohort).order_by("due_at", "id"))
    members = list(cohort.learners.order_by("username").values_list("id", "username"))
    by_assignment = _evaluate(assignments, members, cohort.course_id, now or timezone.now())
    return [(assignment, by_assignment[assignment.pk]) for assignment in assignments]


def assignment_progress(assignment: Assignment, now: datetime | None = None) -> list[Progress]:
    members = list(assignment.cohort.learners.order_by("username").values_list("id", "username"))
    return _evaluate([assignment], members, assignment.cohort.course_id,
                     now or timezone.now())[assignment.pk]


def assignment_of_cohort(cohort: Cohort, assignment_id: int) -> Assignment:
    """The class's assignment with this id (404 otherwise)."""
    assignment = Assignment.objects.filter(pk=assignment_id, cohort=cohort).select_related(
        "cohort__course").first()
    if assignment is None:
        raise NotFound(gettext("There is no such assignment in this class."))
    return assignment


def assignments_for(learner: User, course: Course) -> list[Assignment]:
    """The assignments in this course for the learner: their classes' own, and those for
    chosen learners that name them."""
    return list(
        Assignment.objects.filter(cohort__course=course, cohort__learners=learner)
        .filter(Q(learners__isnull=True) | Q(learners=learner))
        .distinct().order_by("due_at", "id")
    )


def learner_assignments(learner: User, course: Course, now: datetime | None = None
                        ) -> list[LearnerAssignment]:
    """The learner's assignments in this course with their progress, by due date."""
    assignments = assignments_for(learner, course)
    if not assignments:
        return []
    now = now or timezone.now()
    progress = _evaluate(assignments, [(learner.pk, learner.get_username())], course.pk, now)
    ids = [assignment.pk for assignment in assignments]
    items: dict[int, list[str]] = defaultdict(list)
    for assignment_id, name in Assignment.skills.through.objects.filter(
        assignment_id__in=ids
    ).order_by("skill__key").values_list("assignment_id", "skill__name"):
        items[assignment_id].append(name)
    for assignment_id, key in Assignment.exercises.through.objects.filter(
        assignment_id__in=ids
    ).order_by("exercise__key").values_list("assignment_id", "exercise__key"):
        items[assignment_id].append(key)
    return [
        LearnerAssignment(assignment.pk, assignment.title, assignment.kind,
                          assignment.target_level, tuple(items[assignment.pk]), row)
        for assignment in assignments for row in progress[assignment.pk]
    ]


def _evaluate(assignments: list[Assignment], members: list[tuple[int, str]], course_id: int,
              now: datetime) -> dict[int, list[Progress]]:
    """Progress of each assignment (of one course) for its learners among ``members``
    (id, username)."""
    result: dict[int, list[Progress]] = {assignment.pk: [] for assignment in assignments}
    if not assignments or not members:
        return result
    ids = [assignment.pk for assignment in assignments]
    member_ids = [learner_id for learner_id, _ in members]
    chosen = _pairs(Assignment.learners.through.objects.filter(
        assignment_id__in=ids, user_id__in=member_ids).values_list("assignment_id", "user_id"))
    skills = _pairs(Assignment.skills.through.objects.filter(assignment_id__in=ids)
                    .values_list("assignment_id", "skill__key"))
    exercises = _pairs(Assignment.exercises.through.objects.filter(
        assignment_id__in=ids, exercise__status=Exercise.Status.ACTIVE,
    ).values_list("assignment_id", "exercise__key"))
    extended = {(a, learner): due for a, learner, due in AssignmentExtension.objects.filter(
        assignment_id__in=ids, learner_id__in=member_ids,
    ).values_list("assignment_id", "learner_id", "due_at")}
    levels = _levels(member_ids, course_id, {key for keys in skills.values() for key in keys})
    answered = _pairs(Attempt.objects.filter(
        learner_id__in=member_ids, correct=True,
        exercise__key__in={key for keys in exercises.values() for key in keys},
        course_id=course_id,
    ).values_list("learner_id", "exercise__key").distinct())
    restricted = _restricted(ids)
    for assignment in assignments:
        target = MasteryLevel(assignment.target_level).rank
        for learner_id, username in members:
            if assignment.pk in restricted and learner_id not in chosen.get(assignment.pk, ()):
                continue
            if assignment.kind == Assignment.Kind.SKILLS:
                keys = sorted(skills.get(assignment.pk, ()))
                open_skills = tuple(k for k in keys if levels.get((learner_id, k), 0) < target)
                open_exercises: tuple[str, ...] = ()
                total = len(keys)
            else:
                keys = sorted(exercises.get(assignment.pk, ()))
                done = answered.get(learner_id, set())
                open_skills, open_exercises = (), tuple(k for k in keys if k not in done)
                total = len(keys)
            met = total - len(open_skills) - len(open_exercises)
            due = extended.get((assignment.pk, learner_id), assignment.due_at)
            share = 1.0 if total == 0 else met / total
            result[assignment.pk].append(Progress(
                assignment.pk, learner_id, username, due, (assignment.pk, learner_id) in extended,
                met, total, status_of(share, assignment.created_at, due, now),
                open_skills, open_exercises,
            ))
    return result


def _restricted(ids: list[int]) -> set[int]:
    """The assignments for chosen learners (the others are for the whole class)."""
    return set(Assignment.learners.through.objects.filter(assignment_id__in=ids)
               .values_list("assignment_id", flat=True))


def _levels(learner_ids: list[int], course_id: int, skill_keys: set[str]
            ) -> dict[tuple[int, str], int]:
    if not skill_keys:
        return {}
    return {
        (learner_id, key): MasteryLevel(level).rank
        for learner_id, key, level in SkillState.objects.filter(
            learner_id__in=learner_ids, course_id=course_id, skill__key__in=skill_keys,
        ).values_list("learner_id", "skill__key", "level")
    }


def _pairs(rows: Iterable[tuple[int, Any]]) -> dict[int, set[Any]]:
    grouped: dict[int, set[Any]] = defaultdict(set)
    for owner, value in rows:
        grouped[owner].add(value)
    return grouped


def open_work(learner: User, course: Course, now: datetime) -> list[tuple[Assignment, Progress]]:
    """The learner's assignments in this course not done yet, with their progress."""
    return [(assignment, row) for assignment, row in
            progress_of(learner, course, assignments_for(learner, course), now)
            if row.status != DONE]


def progress_of(learner: User, course: Course, assignments: list[Assignment], now: datetime
                ) -> list[tuple[Assignment, Progress]]:
    """The learner's progress on these assignments of theirs in this course."""
    if not assignments:
        return []
    progress = _evaluate(assignments, [(learner.pk, learner.get_username())], course.pk, now)
    return [(assignment, row) for assignment in assignments for row in progress[assignment.pk]]


def due_phrase(due_at: datetime, now: datetime) -> Phrase:
    """When it is due, as a learner reads it: "due today at 17:00", "due tomorrow", "due
    Friday" (within the week), "due 14 March" (later), "overdue since 14 March"."""
    due, today = timezone.localtime(due_at), timezone.localtime(now).date()
    days = (due.date() - today).days
    if due_at <= now:
        return Phrase.of(gettext_noop("overdue since %(day)s"), day=_day(due, today))
    if days == 0:
        return Phrase.of(gettext_noop("due today at %(time)s"), time=When(due, "time"))
    if days == 1:
        return Phrase.of(gettext_noop("due tomorrow"))
    if days < 7:
        return Phrase.of(gettext_noop("due %(day)s"), day=When(due, "weekday"))
    return Phrase.of(gettext_noop("due %(day)s"), day=_day(due, today))


def _day(moment: datetime, today: Any) -> When:
    return When(moment, "day_month" if moment.year == today.year else "day_month_year")
