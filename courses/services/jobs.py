"""Queueing background jobs after the current transaction commits.

A broker that is down must not turn a saved change into an error page: the job is logged as
not queued, and the next scheduled run (or an admin's "rebuild") catches up.
"""
from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_after_commit(task: Any, *args: Any) -> None:
    def send() -> None:
        try:
            task.apply_async(args=args, retry=False)
        except Exception:
            logger.exception("Could not queue %s%r; it will run on the next schedule", task.name,
                             args)

    transaction.on_commit(send)


def schedule_chart_rebuild(course_id: int) -> None:
    """The skill graph of a course changed: its charts are replayed in the background."""
    from courses.tasks import rebuild_course_charts_task

    enqueue_after_commit(rebuild_course_charts_task, course_id)
