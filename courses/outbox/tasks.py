"""The outbox's Celery tasks (found by the worker's autodiscovery, sent by name from
:mod:`courses.jobs`): each calls :mod:`courses.outbox.service`."""
from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from courses import jobs
from courses.outbox import service


@shared_task(name=jobs.DELIVER_OUTBOX, autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=3)
def deliver_outbox(channel: str) -> int:
    """Queued after a commit that enqueued messages for ``channel``: delivers its due rows."""
    return service.deliver(channel)


@shared_task(name=jobs.DRAIN_OUTBOX)
def drain_outbox() -> dict[str, int]:
    """Scheduled by celery beat (every minute, editable in the admin): every channel's due
    rows, including retries and those whose delivery task a broker outage lost."""
    return service.drain()
