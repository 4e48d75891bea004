"""Celery tasks: each takes ids and calls a service."""
from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import OperationalError

from courses.models import Course
from courses.services import training
from courses.services.charts import rebuild_course_charts

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def rebuild_course_charts_task(course_id: int) -> int:
    """Replays a course's attempts into fresh charts (after the skill graph changed)."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        logger.info("Chart rebuild skipped: course %s no longer exists", course_id)
        return 0
    return rebuild_course_charts(course)


@shared_task(bind=True, acks_late=True, max_retries=2)
def retrain_course_model(self: Any, run_id: int) -> str:
    """Trains, registers and (if it earns it) activates a new model; retried on failure."""
    try:
        run = training.run_training(run_id)
    except Exception as error:
        final = self.request.retries >= self.max_retries
        try:
            training.record_failure(run_id, error, final)
        except Exception:
            # The database itself may be what failed: the retry must happen all the same.
            logger.exception("Could not record the failure of training run %s", run_id)
        if final:
            raise
        raise self.retry(exc=error, countdown=30 * (self.request.retries + 1)) from error
    return run.status if run is not None else "missing"


@shared_task
def retrain_due_models() -> list[int]:
    """Scheduled by celery beat (editable in the admin): queues the courses that are due."""
    return training.start_due_runs()
