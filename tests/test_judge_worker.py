"""A real judge worker (a Celery worker on the ``judge`` queue) judges a submitted program; killed
in the middle of a run, its submission is judged when a worker is back, into exactly one
attempt. Needs PostgreSQL and a broker another process can reach, like the training drills (CI
runs it; skipped on the in-memory defaults)."""
from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import close_old_connections
from django.utils import timezone

from courses.actions.course_import import import_course
from courses.actions.enrolment import enrol
from courses.judging import service
from courses.judging.models import Submission
from courses.models import Attempt, Course
from courses.queries.content import course_content
from learnpath.site.celery import app
from tests.factories import RIGHT_PROGRAMS, code_course_document
from tests.test_worker_kill import Worker, _wait, shared_services  # noqa: F401 - a fixture

SLOW_ADD = "import time\n\ndef add(a, b):\n    time.sleep(30)\n    return a + b\n"


def _submission(pk: int) -> Submission:
    close_old_connections()
    return Submission.objects.get(pk=pk)


def _send(learner: Any, course: Course, source: str) -> Submission:
    exercise = course_content(course).by_key["add"]
    submission, _ = service.submit_program(  # queued on the judge queue as it commits
        learner=learner, course=course, exercise=exercise, source=source,
        client_id=uuid.uuid4())
    return submission


@pytest.mark.services
def test_a_judge_worker_killed_mid_run_leaves_the_program_to_the_next_one(
    shared_services: dict[str, str], alice: Any, tmp_path: Path  # noqa: F811
) -> None:
    course = import_course(code_course_document()).course
    enrol(alice, course)
    app.control.purge()
    log = tmp_path / "judge.log"
    worker = Worker(shared_services, tmp_path, log, queues="judge,celery")
    try:
        quick = _send(alice, course, RIGHT_PROGRAMS["add"])
        _wait(lambda: _submission(quick.pk).status == Submission.Status.JUDGED, 120,
              "a judged program", log)
        slow = _send(alice, course, SLOW_ADD)
        _wait(lambda: _submission(slow.pk).status == Submission.Status.JUDGING, 60,
              "the slow program being judged", log)
    finally:
        worker.kill_all()  # the worker and its pool, mid-run: the sandbox dies with them
    assert _submission(slow.pk).attempt_id is None
    # Its lease runs out (the limits' wall clock plus a margin): as if that time had passed.
    Submission.objects.filter(pk=slow.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1))
    again = Worker(shared_services, tmp_path, log, queues="judge,celery")
    try:  # a starting worker queues what was left waiting
        _wait(lambda: _submission(slow.pk).status == Submission.Status.JUDGED, 120,
              "the slow program judged by the next worker", log)
    finally:
        again.kill_all()
    judged = _submission(slow.pk)
    assert judged.outcome == "time_limit" and judged.tries == 2
    assert Attempt.objects.filter(learner=alice, course=course).count() == 2
    assert _submission(quick.pk).outcome == "accepted"
