"""The only writer of submissions: storing a program at once, judging it in the sandbox on a
judge worker, and turning a judged submission into an attempt.

- :func:`submit_program` stores the learner's program as a pending submission (idempotent by
  client id, like an answer) and queues it on the ``judge`` queue after commit. A web process
  never runs a learner's program.
- :func:`judge_submission` (a judge worker) claims the submission with a lease, runs it in the
  sandbox (:func:`learnpath.judge.judge`) outside any transaction, then, in one transaction,
  stores the verdict and, for a submission, the attempt (right when accepted) with its chart
  update, exactly as an answer's. A submission already judged is never judged into a second
  attempt: the finishing transaction locks the row and the attempt has the submission's client
  id.
- A judge that dies mid-run leaves the claim to expire; a broker that lost the message leaves
  the submission pending: :func:`requeue_waiting` (scheduled, and when a judge worker starts)
  queues both again. A sandbox that cannot be set up refuses to judge (logged as an error and
  shown in the admin); the submission stays pending until a judge can.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from courses import jobs
from courses.actions.attempts import (
    NOT_ENROLLED,
    check_exercise_active,
    record_checked_attempt,
)
from courses.errors import Conflict, InvalidInput, NotEnrolled
from courses.judging import spec
from courses.judging.models import Submission
from courses.models import Course, Enrollment
from courses.queries.content import ExerciseContent, course_content
from learnpath.judge import Outcome, SandboxUnavailable, Verdict, judge

logger = logging.getLogger(__name__)

MAX_SOURCE_CHARS = 64_000
# A judge run that takes longer than its limits plus this is taken to be lost with its worker.
LEASE_MARGIN = timedelta(seconds=30)
# A pending submission older than this whose message may have been lost is queued again.
WAITING_GRACE = timedelta(seconds=20)
# Judge runs started for one submission before it is left for an operator (each try died).
MAX_TRIES = 5


def submit_program(
    *,
    learner: User,
    course: Course,
    exercise: ExerciseContent,
    source: str,
    client_id: uuid.UUID,
    purpose: str = Submission.Purpose.SUBMIT,
    started_at: datetime | None = None,
    hint_used: bool = False,
) -> tuple[Submission, bool]:
    """Stores the program for judging and queues it; ``(submission, created)``. A known client
    id returns the stored submission (a double click, a retry after a network error)."""
    stored = _stored(learner, client_id, exercise.id)
    if stored is not None:
        return stored, False
    check_program(exercise, source)
    if not Enrollment.objects.filter(learner=learner, course=course).exists():
        raise NotEnrolled(str(NOT_ENROLLED))
    submitted_at = timezone.now()
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                learner=learner, course=course, exercise_id=exercise.id, client_id=client_id,
                purpose=purpose, source=source, hint_used=hint_used,
                started_at=min(started_at or submitted_at, submitted_at), submitted_at=submitted_at,
            )
            transaction.on_commit(lambda: queue_judging(submission.pk))
    except IntegrityError:
        stored = _stored(learner, client_id, exercise.id)
        if stored is None:
            raise
        return stored, False
    return submission, True


def check_program(exercise: ExerciseContent, source: object) -> None:
    check_exercise_active(exercise)
    if not exercise.is_code:
        raise InvalidInput(_("This exercise is not answered with a program."))
    if not isinstance(source, str) or not source.strip():
        raise InvalidInput(_("Write your program first."))
    if len(source) > MAX_SOURCE_CHARS:
        raise InvalidInput(_("Programs are at most %(count)s characters.")
                           % {"count": number_format(MAX_SOURCE_CHARS, force_grouping=True)})
    if "\x00" in source or any("\ud800" <= char <= "\udfff" for char in source):
        raise InvalidInput(_("The program contains a character that is not allowed."))


def queue_judging(submission_id: int) -> None:
    jobs.send_now(jobs.JUDGE_SUBMISSION, submission_id, queue=jobs.JUDGE_QUEUE)


def _queue_all(submission_ids: list[int]) -> None:
    for submission_id in submission_ids:
        queue_judging(submission_id)


def _stored(learner: User, client_id: uuid.UUID, exercise_id: int) -> Submission | None:
    stored = Submission.objects.filter(learner=learner, client_id=client_id).first()
    if stored is not None and stored.exercise_id != exercise_id:
        raise Conflict(_("This submission id was already used for another exercise."))
    return stored


def judge_submission(submission_id: int) -> Submission | None:
    """Judges one submission if it is still waiting (or its judge was lost); ``None`` when
    there is nothing to do here (judged already, held by a live judge, or refused by the
    sandbox, which is logged and kept on the submission)."""
    submission = _claim(submission_id)
    if submission is None:
        return None
    exercise = course_content(submission.course).by_id.get(submission.exercise_id)
    if exercise is None or not exercise.is_code:  # the exercise changed kind since
        Submission.objects.filter(pk=submission.pk).update(
            status=Submission.Status.JUDGED, claimed_until=None, judged_at=timezone.now(),
            last_error="Not judged: the exercise is no longer a program.")
        return None
    cases, limits = spec.cases_and_limits(exercise.code)
    if submission.purpose == Submission.Purpose.EXAMPLES:
        cases = [case for case in cases if case.visible]
    try:
        verdict = judge(submission.source, cases, limits)
    except SandboxUnavailable as error:
        logger.error("Submission %s not judged: the sandbox cannot be set up (%s)",
                     submission.pk, error)
        Submission.objects.filter(pk=submission.pk, status=Submission.Status.JUDGING).update(
            status=Submission.Status.PENDING, claimed_until=None,
            last_error=f"The sandbox cannot be set up: {error}")
        return None
    return _finish(submission.pk, verdict, exercise)


def _claim(submission_id: int) -> Submission | None:
    now = timezone.now()
    claimable = Q(status=Submission.Status.PENDING) | Q(
        status=Submission.Status.JUDGING, claimed_until__lt=now)
    with transaction.atomic():
        # Only the submission's row is locked (``of``): locking its course too would make
        # every other judge skip the course's programs while one is being claimed or finished.
        submission = (Submission.objects.select_for_update(skip_locked=True, of=("self",))
                      .select_related("course").filter(claimable, pk=submission_id).first())
        if submission is None:
            return None
        exercise = course_content(submission.course).by_id.get(submission.exercise_id)
        lease = spec.run_seconds(exercise.code if exercise is not None else {})
        Submission.objects.filter(pk=submission.pk).update(
            status=Submission.Status.JUDGING, tries=F("tries") + 1,
            claimed_until=now + timedelta(seconds=lease) + LEASE_MARGIN)
    return submission


def _finish(submission_id: int, verdict: Verdict, exercise: ExerciseContent) -> Submission | None:
    with transaction.atomic():
        submission = (Submission.objects.select_for_update(of=("self",))
                      .select_related("learner", "course")
                      .filter(pk=submission_id).first())
        if submission is None or submission.status == Submission.Status.JUDGED:
            return None  # another judge finished it first: nothing is judged twice
        if submission.purpose == Submission.Purpose.SUBMIT:
            submission.attempt = record_checked_attempt(
                learner=submission.learner, course=submission.course, exercise=exercise,
                answer=submission.source, correct=verdict.outcome == Outcome.ACCEPTED,
                client_id=submission.client_id, started_at=submission.started_at,
                submitted_at=submission.submitted_at, hint_used=submission.hint_used,
            ).attempt
        submission.verdict = verdict.to_json()
        submission.outcome = str(verdict.outcome)
        submission.passed_share = verdict.passed / verdict.total if verdict.total else None
        submission.status = Submission.Status.JUDGED
        submission.judged_at = timezone.now()
        submission.claimed_until = None
        submission.last_error = ""
        submission.save()
    return submission


def requeue_waiting(now: datetime | None = None) -> list[int]:
    """Queues again every submission whose message may be lost (pending for a while) or whose
    judge was lost (its lease ran out); one that has worn out :data:`MAX_TRIES` judge runs is
    left for an operator, with the reason on it. Returns the ids queued."""
    now = now or timezone.now()
    waiting = Submission.objects.filter(
        Q(status=Submission.Status.PENDING, submitted_at__lt=now - WAITING_GRACE)
        | Q(status=Submission.Status.JUDGING, claimed_until__lt=now))
    worn_out = waiting.filter(tries__gte=MAX_TRIES)
    worn_out.exclude(last_error__startswith="Given up").update(
        last_error=f"Given up after {MAX_TRIES} judge runs that did not finish; "
                   "'Judge again' in the admin tries once more.")
    queued = list(waiting.filter(tries__lt=MAX_TRIES).values_list("pk", flat=True))
    for submission_id in queued:
        queue_judging(submission_id)
    if queued:
        logger.warning("Submissions %s were waiting for a judge and are queued again", queued)
    return queued


def judge_again(submission_ids: list[int]) -> int:
    """An operator's retry of submissions left waiting (a sandbox fixed, a judge back)."""
    waiting = Submission.objects.filter(pk__in=submission_ids).exclude(
        status=Submission.Status.JUDGED)
    ids = list(waiting.values_list("pk", flat=True))
    waiting.update(status=Submission.Status.PENDING, tries=0, claimed_until=None)
    transaction.on_commit(lambda: _queue_all(ids))
    return len(ids)
