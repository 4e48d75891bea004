"""The real services: CI points DATABASE_URL at PostgreSQL and CELERY_BROKER_URL at Redis and
sets LEARNPATH_REQUIRE_SERVICES=1, so these fail there if a service is missing or unused.
Locally they run on SQLite and Kombu's in-process transport."""
from __future__ import annotations

import os
import time
import uuid
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from courses.models import Exercise, SkillState
from courses.services.attempts import record_attempt
from courses.tasks import rebuild_course_charts_task
from learnpath.celery import app

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


@pytest.mark.services
def test_task_runs_through_the_broker_on_a_real_worker(
    transactional_db: Any, course: Any, enrolled_alice: Any
) -> None:
    exercise = Exercise.objects.get(key="quarters-numeric")
    record_attempt(learner=enrolled_alice, exercise=exercise, given="0.75",
                   client_id=uuid.uuid4())
    expected = list(SkillState.objects.order_by("skill_id").values_list("skill_id", "p_mastery"))
    SkillState.objects.all().delete()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        rebuild_course_charts_task.delay(course.pk)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not SkillState.objects.exists():
            time.sleep(0.2)
    rebuilt = list(SkillState.objects.order_by("skill_id").values_list("skill_id", "p_mastery"))
    assert rebuilt == expected


@pytest.mark.services
def test_retraining_runs_on_a_real_worker(transactional_db: Any, course: Any) -> None:
    from courses.models import ModelVersion, TrainingRun
    from courses.services.simulation import simulate_learners
    from courses.services.training import open_run

    simulate_learners(course, [f"w{n:02d}" for n in range(12)], seed=3, sessions=(2, 3),
                      attempts_per_session=(9, 11))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=60):
        run, created = open_run(course, TrainingRun.Trigger.ADMIN)
        assert created
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status not in (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING):
                break
            time.sleep(0.5)
    assert run.status == TrainingRun.Status.ACTIVATED, run.message
    assert ModelVersion.objects.get(course=course).status == ModelVersion.Status.ACTIVE
