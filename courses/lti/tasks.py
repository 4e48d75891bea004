"""The LTI app's Celery tasks (found by the worker's autodiscovery; sent by name from
:mod:`courses.jobs`): each takes ids and calls a service."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from courses import jobs
from courses.lti.models import LinkedClass
from courses.lti.roster import sync_roster

logger = logging.getLogger(__name__)


@shared_task(name=jobs.LTI_SYNC_ROSTER, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=3)
def sync_roster_task(linked_class_id: int) -> int:
    """Reads an LMS class's roster and applies it; returns how many learners it added."""
    link = LinkedClass.objects.filter(pk=linked_class_id).select_related(
        "context__deployment__registration", "cohort").first()
    if link is None:
        logger.info("Roster sync skipped: linked class %s no longer exists", linked_class_id)
        return 0
    return len(sync_roster(link).added)
