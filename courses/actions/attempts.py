"""Recording attempts: answer checking, idempotency, study sessions, all in one transaction.

A repeated submission (double click, retry after a network error) carries the same client id
and returns the attempt already stored. A learner's attempts in a course are serialised by a
row lock on their enrollment, so session numbering never races.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Subquery, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from courses import jobs
from courses.actions.charts import apply_attempt_to_chart
from courses.actions.reviews import apply_attempt_to_cards
from courses.errors import Conflict, InvalidInput, NotEnrolled
from courses.lti import grades as lti_grades
from courses.ml.training import start_run_if_due
from courses.models import Attempt, Course, Enrollment, Exercise, StudySession
from courses.phrases import shown
from courses.queries.content import ExerciseContent, course_content
from courses.xapi import events as xapi_events
from learnpath.answers import AnswerError, check_answer

logger = logging.getLogger(__name__)

# A page left open longer than this does not count as time spent on the exercise.
MAX_ATTEMPT_DURATION = timedelta(hours=2)
NOT_ENROLLED = _lazy("You are not enrolled in this course.")
_SESSION_FIELDS = ("id", "number", "last_activity_at")


@dataclass(frozen=True)
class AttemptOutcome:
    attempt: Attempt
    created: bool


def _session_gap(course: Course) -> timedelta:
    minutes = course.session_gap_minutes or settings.LEARNPATH_SESSION_GAP_MINUTES
    return timedelta(minutes=minutes)


def check_can_practise(learner: User, exercise: Exercise) -> None:
    if not Enrollment.objects.filter(learner=learner, course_id=exercise.course_id).exists():
        raise NotEnrolled(str(NOT_ENROLLED))
    check_exercise_active(exercise)


def check_exercise_active(exercise: Exercise | ExerciseContent) -> None:
    if not exercise.is_active:
        raise InvalidInput(_("This exercise has been retired; please pick another one."))


def record_attempt(
    *,
    learner: User,
    exercise: Exercise,
    given: str | Sequence[str | int],
    client_id: uuid.UUID,
    started_at: datetime | None = None,
    submitted_at: datetime | None = None,
    hint_used: bool = False,
    follow_up: bool = True,
) -> AttemptOutcome:
    """:func:`record_attempt_on` for a stored exercise (imports, simulations, tests): it is
    checked as the course's content cache has it."""
    course = exercise.course
    content = course_content(course).by_id.get(exercise.pk)
    if content is None:
        raise InvalidInput(_("There is no such exercise."))
    return record_attempt_on(
        learner=learner, course=course, exercise=content, given=given, client_id=client_id,
        started_at=started_at, submitted_at=submitted_at, hint_used=hint_used,
        follow_up=follow_up,
    )


def record_attempt_on(
    *,
    learner: User,
    course: Course,
    exercise: ExerciseContent,
    given: str | Sequence[str | int],
    client_id: uuid.UUID,
    started_at: datetime | None = None,
    submitted_at: datetime | None = None,
    hint_used: bool = False,
    follow_up: bool = True,
) -> AttemptOutcome:
    """Checks and stores one attempt on an exercise of ``course`` (as
    :func:`courses.queries.content.course_content` has it); a known ``client_id`` returns the
    stored attempt unchanged (it is looked for only when the insert, or the check, fails).
    ``follow_up=False`` leaves the retraining check and the path refresh (which steps the model
    state) to the caller (a bulk import does them once per learner); the skill chart is always
    updated."""
    try:
        check_exercise_active(exercise)
        try:
            correct = check_answer(exercise.answer_key, given)
        except AnswerError as error:
            raise InvalidInput(shown(error.phrase)) from error
    except InvalidInput:
        stored = _stored_attempt(learner, client_id, exercise.id)
        if stored is not None:  # a resubmission, checked when it was first stored
            return AttemptOutcome(stored, created=False)
        raise
    return record_checked_attempt(
        learner=learner, course=course, exercise=exercise, answer=_stored_answer(given),
        correct=correct, client_id=client_id, started_at=started_at, submitted_at=submitted_at,
        hint_used=hint_used, follow_up=follow_up,
    )


def record_checked_attempt(
    *,
    learner: User,
    course: Course,
    exercise: ExerciseContent,
    answer: str | list[int],
    correct: bool,
    client_id: uuid.UUID,
    started_at: datetime | None = None,
    submitted_at: datetime | None = None,
    hint_used: bool = False,
    follow_up: bool = True,
) -> AttemptOutcome:
    """Stores an attempt already checked (here, or by the judge for a program) in its study
    session, with its chart update and messages: see :func:`record_attempt_on`."""
    submitted_at = submitted_at or timezone.now()
    started_at = _clamped_start(started_at, submitted_at)
    try:
        # One transaction and no savepoint. A resubmission (the same client id) makes the insert
        # fail: everything here is rolled back and the stored attempt is returned. That costs
        # a resubmission a transaction, and spares every first submission a query.
        with transaction.atomic():
            session_id, opened = _locked_session(learner, course, submitted_at)
            attempt = Attempt.objects.create(
                learner=learner,
                course=course,
                exercise_id=exercise.id,
                session_id=session_id,
                client_id=client_id,
                answer=answer,
                correct=correct,
                started_at=started_at,
                submitted_at=submitted_at,
                hint_used=hint_used,
            )
            if not opened:
                StudySession.objects.filter(pk=session_id).update(
                    last_activity_at=Greatest(F("last_activity_at"), Value(submitted_at)),
                    attempt_count=F("attempt_count") + 1,
                )
            _after_attempt(attempt, exercise, follow_up)
    except IntegrityError:
        stored = _stored_attempt(learner, client_id, exercise.id)
        if stored is None:
            raise
        return AttemptOutcome(stored, created=False)
    return AttemptOutcome(attempt, created=True)


def _after_attempt(attempt: Attempt, exercise: ExerciseContent, follow_up: bool) -> None:
    """Keeps the skill chart and the review cards current and writes the attempt's xAPI
    statements into the outbox, in the attempt's transaction; the rest follows after commit,
    where a failure cannot cost the attempt."""
    newly_mastered = apply_attempt_to_chart(attempt, exercise)
    apply_attempt_to_cards(attempt, exercise)  # two queries
    xapi_events.attempt_recorded(attempt, exercise, newly_mastered)  # no query while xAPI is off
    lti_grades.queue_scores(attempt)  # one query; scores only for learners who came from an LMS
    if follow_up:
        transaction.on_commit(lambda: follow_up_attempt(attempt))


def follow_up_attempt(attempt: Attempt) -> None:
    """After commit: queues retraining if it is due, and queues the planning of the learner's
    path, which first steps their model state up to this attempt (a worker does both; a page
    that needs the path sooner plans it itself, :mod:`courses.recommend.cache`). The answer's
    request waits for neither. Failures are logged: the attempt is stored whatever happens."""
    for follow_up in (lambda a: start_run_if_due(a.course),
                      lambda a: jobs.refresh_learning_path(a.learner_id, a.course_id)):
        try:
            follow_up(attempt)
        except Exception:
            logger.exception("Follow-up of attempt %s failed; the attempt is stored", attempt.pk)


def _stored_attempt(learner: User, client_id: uuid.UUID, exercise_id: int) -> Attempt | None:
    stored = Attempt.objects.filter(learner=learner, client_id=client_id).first()
    if stored is not None and stored.exercise_id != exercise_id:
        raise Conflict(_("This submission id was already used for another exercise."))
    return stored


def _clamped_start(started_at: datetime | None, submitted_at: datetime) -> datetime:
    if started_at is None or started_at > submitted_at:
        return submitted_at
    return max(started_at, submitted_at - MAX_ATTEMPT_DURATION)


def _stored_answer(given: str | Sequence[str | int]) -> str | list[int]:
    if isinstance(given, str):
        return given.strip()
    return sorted(int(item) for item in given)


def _locked_session(learner: User, course: Course, at: datetime) -> tuple[int, bool]:
    """Locks the learner's enrolment (which serialises their attempts in the course, so session
    numbers never race) and reads their latest session with it, in one query. Returns the id of
    the session the attempt at ``at`` belongs to, and whether it was opened for it (with the
    attempt already counted): the latest session, or a new one after :func:`_session_gap`."""
    latest = StudySession.objects.filter(learner=learner, course=course).order_by("-number")
    found = (
        Enrollment.objects.select_for_update()
        .filter(learner=learner, course=course)
        .values_list(*(Subquery(latest.values(name)[:1]) for name in _SESSION_FIELDS))
        .first()
    )
    if found is None:
        raise NotEnrolled(str(NOT_ENROLLED))
    session_id, number, last_activity_at = found
    if session_id is not None and at - last_activity_at <= _session_gap(course):
        return session_id, False
    opened = StudySession.objects.create(
        learner=learner,
        course=course,
        number=(number or 0) + 1,
        started_at=at,
        last_activity_at=at,
        attempt_count=1,
    )
    return opened.pk, True
