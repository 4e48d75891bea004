"""Celery tasks: each takes ids and calls a service. Only the worker imports this module; the
app sends these tasks by name (:mod:`courses.jobs`), which is each task's name here."""
from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import OperationalError

from courses import jobs
from courses.actions.charts import rebuild_course_charts
from courses.dashboards.history_html import render_ahead
from courses.ml import training
from courses.models import Course
from courses.recommend.cache import refresh_path

logger = logging.getLogger(__name__)


@shared_task(name=jobs.REBUILD_COURSE_CHARTS, autoretry_for=(OperationalError,),
             retry_backoff=True, max_retries=5)
def rebuild_course_charts_task(course_id: int) -> int:
    """Replays a course's attempts into fresh charts (after the skill graph changed)."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        logger.info("Chart rebuild skipped: course %s no longer exists", course_id)
        return 0
    return rebuild_course_charts(course)


@shared_task(name=jobs.RETRAIN_COURSE_MODEL, bind=True, acks_late=True, max_retries=2)
def retrain_course_model(self: Any, run_id: int) -> str:
    """Trains, registers and (if it earns it) activates a new model; retried on failure."""
    try:
        run = training.run_training(run_id)
    except training.RunTakenOver:
        logger.warning("Training run %s was taken over by another worker; this try stops", run_id)
        return "taken over"
    except Exception as error:
        final = self.request.retries >= self.max_retries
        try:
            final = training.record_failure(run_id, error, final)
        except Exception:
            # The database itself may be what failed: the retry must happen all the same.
            logger.exception("Could not record the failure of training run %s", run_id)
        if final:
            raise
        raise self.retry(exc=error, countdown=30 * (self.request.retries + 1)) from error
    return run.status if run is not None else "missing"


@shared_task(name=jobs.RECOVER_LOST_TRAINING_RUNS)
def recover_lost_training_runs() -> list[int]:
    """Scheduled, and queued when a worker starts: runs lost with a killed worker, or whose
    message the broker lost, are queued again."""
    return training.recover_lost_runs()


@worker_ready.connect
def _recover_when_a_worker_starts(**kwargs: Any) -> None:
    jobs.send_now(jobs.RECOVER_LOST_TRAINING_RUNS)


@shared_task(name=jobs.RETRAIN_DUE_MODELS)
def retrain_due_models() -> list[int]:
    """Scheduled by celery beat (editable in the admin): queues the courses that are due."""
    return training.start_due_runs()


@shared_task(name=jobs.REFRESH_LEARNING_PATH, autoretry_for=(OperationalError,),
             retry_backoff=True, max_retries=3)
def refresh_learning_path(learner_id: int, course_id: int) -> bool:
    """Plans a learner's path again after an answer (skipped when it is already current), then
    queues the rendering of their dashboard's history; ``True`` when the path was planned here."""
    planned = refresh_path(learner_id, course_id)
    jobs.render_history_ahead(learner_id, course_id)
    return planned


@shared_task(name=jobs.RENDER_HISTORY_AHEAD, autoretry_for=(OperationalError,),
             retry_backoff=True, max_retries=3)
def render_history_ahead(learner_id: int, course_id: int) -> bool:
    """Renders a learner's dashboard history after an answer, unless a page has already."""
    return render_ahead(learner_id, course_id)
