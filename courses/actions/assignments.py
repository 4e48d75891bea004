"""Teachers' assignments: setting, editing, extending and deleting them (read by
:mod:`courses.queries.assignments`). ``check_assignment`` and ``read_due`` validate and raise
:class:`~courses.errors.InvalidInput`; the others write in one transaction.

Nothing here has to invalidate a stored path: the path's stamp
(:mod:`courses.recommend.cache`) covers the assignments that apply to a learner and their
extensions, so every write here changes it for exactly the learners concerned.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from courses.errors import InvalidInput
from courses.models import Assignment, AssignmentExtension, Cohort, Exercise, Skill
from courses.rules import is_key
from learnpath.mastery import MasteryLevel

MAX_ITEMS = 200
TARGET_LEVELS = (MasteryLevel.FAMILIAR.value, MasteryLevel.PROFICIENT.value,
                 MasteryLevel.MASTERED.value)


@dataclass(frozen=True)
class AssignmentSpec:
    """What a teacher asks for, as typed: keys and ids, not yet checked."""

    title: str
    kind: str
    due_at: datetime
    skill_keys: tuple[str, ...] = ()
    target_level: str = MasteryLevel.PROFICIENT.value
    exercise_keys: tuple[str, ...] = ()
    learner_ids: tuple[int, ...] = ()
    lms_grade: bool = False


@dataclass(frozen=True)
class _Checked:
    spec: AssignmentSpec
    skills: list[Skill] = field(default_factory=list)
    exercises: list[Exercise] = field(default_factory=list)
    learners: list[User] = field(default_factory=list)


def read_due(text: str) -> datetime:
    """A due date as a form sends it (``2025-03-14T17:00``, in the site's time zone, or with
    an offset)."""
    try:
        moment = parse_datetime(text.strip()) if "\x00" not in text else None
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidInput(gettext("Give the due date as a date and a time."))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def check_assignment(cohort: Cohort, spec: AssignmentSpec) -> _Checked:
    """Every problem with the spec at once, else the skills, exercises and learners it names."""
    problems = []
    if not spec.title.strip() or len(spec.title) > 200 or "\x00" in spec.title:
        problems.append(gettext("Give the assignment a title (at most 200 characters)."))
    if spec.due_at.year < 2000 or spec.due_at.year > 9000:
        problems.append(gettext("Give a due date between the years 2000 and 9000."))
    skills: list[Skill] = []
    exercises: list[Exercise] = []
    if spec.kind == Assignment.Kind.SKILLS:
        skills = _skills(cohort, spec.skill_keys, problems)
        if spec.target_level not in TARGET_LEVELS:
            problems.append(gettext("Choose the target level: familiar, proficient or mastered."))
    elif spec.kind == Assignment.Kind.EXERCISES:
        exercises = _exercises(cohort, spec.exercise_keys, problems)
    else:
        problems.append(
            gettext("Choose what to assign: skills to a level, or exercises to answer."))
    learners = list(cohort.learners.filter(pk__in=spec.learner_ids))
    if len(learners) != len(set(spec.learner_ids)):
        problems.append(gettext("Every chosen learner must be in the class."))
    if problems:
        raise InvalidInput(" ".join(problems))
    return _Checked(spec, skills, exercises, learners)


def _skills(cohort: Cohort, keys: tuple[str, ...], problems: list[str]) -> list[Skill]:
    if not keys or len(keys) > MAX_ITEMS:
        problems.append(gettext("Choose between 1 and %(most)s skills.") % {"most": MAX_ITEMS})
        return []
    found = list(Skill.objects.filter(course=cohort.course,
                                      key__in=[key for key in keys if is_key(key)]))
    if len(found) != len(set(keys)):
        problems.append(gettext("Every skill must be one of %(course)s.")
                        % {"course": cohort.course.title})
    return found


def _exercises(cohort: Cohort, keys: tuple[str, ...], problems: list[str]) -> list[Exercise]:
    if not keys or len(keys) > MAX_ITEMS:
        problems.append(gettext("Choose between 1 and %(most)s exercises.") % {"most": MAX_ITEMS})
        return []
    found = list(Exercise.objects.filter(course=cohort.course, status=Exercise.Status.ACTIVE,
                                         key__in=[key for key in keys if is_key(key)]))
    if len(found) != len(set(keys)):
        problems.append(gettext("Every exercise must be an active one of %(course)s.")
                        % {"course": cohort.course.title})
    return found


@transaction.atomic
def create_assignment(teacher: User, cohort: Cohort, spec: AssignmentSpec) -> Assignment:
    checked = check_assignment(cohort, spec)
    if spec.due_at <= timezone.now():
        raise InvalidInput(gettext("The due date must be in the future."))
    assignment = Assignment.objects.create(
        cohort=cohort, teacher=teacher, title=spec.title.strip(), kind=spec.kind,
        target_level=spec.target_level if spec.kind == Assignment.Kind.SKILLS
        else MasteryLevel.PROFICIENT.value,
        due_at=spec.due_at, lms_grade=spec.lms_grade,
    )
    _set_relations(assignment, checked)
    return assignment


@transaction.atomic
def edit_assignment(assignment: Assignment, spec: AssignmentSpec) -> Assignment:
    """Replaces what the assignment asks for; extensions later than the new due date stay,
    earlier ones go (they would shorten the learner's time)."""
    checked = check_assignment(assignment.cohort, spec)
    assignment.title, assignment.kind = spec.title.strip(), spec.kind
    if spec.kind == Assignment.Kind.SKILLS:
        assignment.target_level = spec.target_level
    assignment.due_at, assignment.lms_grade = spec.due_at, spec.lms_grade
    _set_relations(assignment, checked)
    assignment.save()  # after the relations: the new updated_at marks the whole change
    assignment.extensions.filter(due_at__lte=spec.due_at).delete()
    return assignment


def _set_relations(assignment: Assignment, checked: _Checked) -> None:
    assignment.skills.set(checked.skills)
    assignment.exercises.set(checked.exercises)
    assignment.learners.set(checked.learners)


@transaction.atomic
def extend_assignment(assignment: Assignment, learner: User, due_at: datetime | None
                      ) -> AssignmentExtension | None:
    """Gives the learner a later due date (``None``: takes their extension back)."""
    if not assignment.cohort.learners.filter(pk=learner.pk).exists():
        raise InvalidInput(gettext("This learner is not in the class."))
    chosen = set(assignment.learners.values_list("pk", flat=True))
    if chosen and learner.pk not in chosen:
        raise InvalidInput(gettext("This assignment is not for this learner."))
    if due_at is None:
        assignment.extensions.filter(learner=learner).delete()
        return None
    if due_at <= assignment.due_at:
        raise InvalidInput(gettext("An extension must be later than the assignment's due date."))
    if due_at.year > 9000:
        raise InvalidInput(gettext("Give a due date before the year 9000."))
    extension, _ = AssignmentExtension.objects.update_or_create(
        assignment=assignment, learner=learner, defaults={"due_at": due_at})
    return extension


@transaction.atomic
def delete_assignment(assignment: Assignment) -> None:
    assignment.delete()

