"""The real services: CI points DATABASE_URL at PostgreSQL and CELERY_BROKER_URL at Redis and
sets LEARNPATH_REQUIRE_SERVICES=1, so these fail there if a service is missing or unused.
Locally they run on SQLite and Kombu's in-process transport."""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import OperationalError, connection

from courses.actions.attempts import record_attempt
from courses.models import Exercise, SkillState
from courses.tasks import rebuild_course_charts_task
from learnpath.site.celery import app

REQUIRED = os.environ.get("LEARNPATH_REQUIRE_SERVICES") == "1"


def test_configured_services_are_the_real_ones(db: Any) -> None:
    if REQUIRED:
        assert connection.vendor == "postgresql"
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def _wait_for(done: Callable[[], bool], seconds: float) -> None:
    """Polls while a worker thread works. In-memory SQLite shares its cache between threads and
    refuses a read while the worker writes ("table is locked"): that means "not yet"."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if done():
                return
        except OperationalError:
            pass
        time.sleep(0.2)


@pytest.mark.services
def test_task_runs_through_the_broker_on_a_real_worker(
    transactional_db: Any, course: Any, enrolled_alice: Any
) -> None:
    exercise = Exercise.objects.get(key="quarters-numeric")
    record_attempt(learner=enrolled_alice, exercise=exercise, given="0.75",
                   client_id=uuid.uuid4())
    expected = list(SkillState.objects.order_by("skill_id").values_list("skill_id", "p_mastery"))
    SkillState.objects.all().delete()
    app.control.purge()  # messages other tests left in a shared broker are not ours
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        rebuild_course_charts_task.delay(course.pk)
        _wait_for(SkillState.objects.exists, 30)
    rebuilt = list(SkillState.objects.order_by("skill_id").values_list("skill_id", "p_mastery"))
    assert rebuilt == expected


@pytest.mark.services
def test_retraining_runs_on_a_real_worker(transactional_db: Any, course: Any) -> None:
    from courses.actions.simulation import simulate_learners
    from courses.ml.training import open_run
    from courses.models import ModelVersion, TrainingRun

    simulate_learners(course, [f"w{n:02d}" for n in range(12)], seed=3, sessions=(2, 3),
                      attempts_per_session=(9, 11))
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        run, created = open_run(course, TrainingRun.Trigger.ADMIN)
        assert created
        unfinished = (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING)
        _wait_for(lambda: TrainingRun.objects.get(pk=run.pk).status not in unfinished, 120)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.ACTIVATED, run.message
    assert ModelVersion.objects.get(course=course).status == ModelVersion.Status.ACTIVE
