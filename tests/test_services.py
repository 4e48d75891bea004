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
