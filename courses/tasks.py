"""Celery tasks: each takes ids and calls a service."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from courses.models import Course
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
