"""The judge's Celery tasks (found by the worker's autodiscovery, sent by name from
:mod:`courses.jobs`): each calls :mod:`courses.judging.service`."""
from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import OperationalError

from courses import jobs
from courses.judging import service


@shared_task(name=jobs.JUDGE_SUBMISSION, acks_late=True, autoretry_for=(OperationalError,),
             retry_backoff=True, max_retries=3)
def judge_submission(submission_id: int) -> str:
    """Judges one stored program in the sandbox (on the ``judge`` queue)."""
    judged = service.judge_submission(submission_id)
    return judged.outcome if judged is not None else "nothing to do"


@shared_task(name=jobs.REQUEUE_SUBMISSIONS)
def requeue_waiting_submissions() -> list[int]:
    """Scheduled by celery beat (every minute, editable in the admin), and queued when a worker
    starts: programs whose judge died or whose message the broker lost are queued again."""
    return service.requeue_waiting()


@worker_ready.connect
def _requeue_when_a_worker_starts(**kwargs: Any) -> None:
    jobs.send_now(jobs.REQUEUE_SUBMISSIONS)
