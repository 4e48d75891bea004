"""Queueing background jobs by task name, after the current transaction commits.

Nothing but the worker imports :mod:`courses.tasks`: code that needs a job sends it by the name
below, so the app has no import cycle through its tasks (``tests/test_architecture.py`` checks
that every name here is a registered task). A broker that is down must not turn a saved change
into an error page: the job is logged as not queued, and the next scheduled run (or an admin's
"rebuild") catches up.
"""
from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

REBUILD_COURSE_CHARTS = "courses.tasks.rebuild_course_charts_task"
RETRAIN_COURSE_MODEL = "courses.tasks.retrain_course_model"
RECOVER_LOST_TRAINING_RUNS = "courses.tasks.recover_lost_training_runs"
RETRAIN_DUE_MODELS = "courses.tasks.retrain_due_models"
REFRESH_LEARNING_PATH = "courses.tasks.refresh_learning_path"
RENDER_HISTORY_AHEAD = "courses.tasks.render_history_ahead"
# The outbox (courses.outbox): a channel's due messages, and the scheduled drain of them all.
DELIVER_OUTBOX = "courses.outbox.tasks.deliver_outbox"
DRAIN_OUTBOX = "courses.outbox.tasks.drain_outbox"
# LTI (courses.lti): a class's roster read from its LMS.
LTI_SYNC_ROSTER = "courses.lti.tasks.sync_roster"
# Programs (courses.judging): one submission judged, and the sweep for those left waiting.
JUDGE_SUBMISSION = "courses.judging.tasks.judge_submission"
REQUEUE_SUBMISSIONS = "courses.judging.tasks.requeue_waiting_submissions"
TASK_NAMES = (REBUILD_COURSE_CHARTS, RETRAIN_COURSE_MODEL, RECOVER_LOST_TRAINING_RUNS,
              RETRAIN_DUE_MODELS, REFRESH_LEARNING_PATH, RENDER_HISTORY_AHEAD,
              DELIVER_OUTBOX, DRAIN_OUTBOX, LTI_SYNC_ROSTER, JUDGE_SUBMISSION,
              REQUEUE_SUBMISSIONS)
# Path refreshes have a queue of their own, so a long retraining run never holds them up
# (``rundemo`` starts a worker for it; the main worker takes it too).
PATHS_QUEUE = "paths"
PATH_REFRESH_EXPIRES = 300
# Learners' programs run only on judge workers, which take this queue (and nothing else need):
# a judge can run on a machine of its own (README, "Scaling the judge").
JUDGE_QUEUE = "judge"


def send_now(task_name: str, *args: object, queue: str | None = None,
             expires: float | None = None) -> None:
    """Sends the task at once (to ``queue``, else the default one; dropped unstarted after
    ``expires`` seconds when given); a broker that is down is logged, never raised."""
    options: dict[str, object] = {"queue": queue} if queue else {}
    if expires is not None:
        options["expires"] = expires
    try:
        current_app.send_task(task_name, args=args, retry=False, **options)
    except Exception:
        logger.exception("Could not queue %s%r; the next schedule or page catches up",
                         task_name, args)


def send_after_commit(task_name: str, *args: object) -> None:
    transaction.on_commit(lambda: send_now(task_name, *args))


def refresh_learning_path(learner_id: int, course_id: int) -> None:
    """The learner answered (and it is committed): their path is planned again by a worker.
    Pages never wait long for it: a stale path is planned by the page that needs it, so a
    refresh still queued after :data:`PATH_REFRESH_EXPIRES` seconds is dropped, not run."""
    send_now(REFRESH_LEARNING_PATH, learner_id, course_id, queue=PATHS_QUEUE,
             expires=PATH_REFRESH_EXPIRES)


def render_history_ahead(learner_id: int, course_id: int) -> None:
    """The learner's path is planned after an answer: their dashboard's history is rendered by
    a worker of the default queue, so that the paths queue plans the next learner's path
    meanwhile. A page renders it itself when it is not there yet (dropped unstarted after
    :data:`PATH_REFRESH_EXPIRES` seconds, like the refresh)."""
    send_now(RENDER_HISTORY_AHEAD, learner_id, course_id, expires=PATH_REFRESH_EXPIRES)


def schedule_chart_rebuild(course_id: int) -> None:
    """The skill graph of a course changed: its charts are replayed in the background."""
    send_after_commit(REBUILD_COURSE_CHARTS, course_id)
