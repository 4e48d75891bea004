"""A real Celery worker process is killed in the middle of training (its pool process, as the
kernel's out-of-memory killer would; then the whole worker): the active model stays as it was,
the run is tried again and ends, exactly once. Needs a database and a broker that another process
can reach: PostgreSQL and Redis in CI (where these must run), skipped on the in-memory defaults.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from courses.actions.simulation import simulate_learners
from courses.ml.training import open_run
from courses.models import Course, ModelVersion, TrainingRun
from learnpath.site.celery import app

REQUIRED = os.environ.get("LEARNPATH_REQUIRE_SERVICES") == "1"
ROOT = Path(__file__).resolve().parent.parent
UNFINISHED = (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        return ""
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def shared_services(transactional_db: Any) -> dict[str, str]:
    url, broker = _database_url(), settings.CELERY_BROKER_URL
    if not url or broker.startswith("memory://"):
        if REQUIRED:
            pytest.fail("CI must run the worker-kill tests on PostgreSQL and a real broker")
        pytest.skip("needs PostgreSQL and a broker another process can reach")
    return {"DATABASE_URL": url, "CELERY_BROKER_URL": broker}


class Worker:
    """``celery worker`` in a process group of its own, logging to a file."""

    def __init__(self, services: dict[str, str], data_dir: Path, log: Path,
                 queues: str = "celery") -> None:
        environment = os.environ | services | {
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "LEARNPATH_DATA_DIR": str(data_dir), "DEBUG": "1",
        }
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "learnpath.site", "worker", "--pool", "prefork",
             "--concurrency", "1", "-l", "info", "-Q", queues,
             "-n", f"killtest-{time.monotonic_ns()}@%h",
             "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill_all(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self.log.close()


def _run(run_id: int) -> TrainingRun:
    close_old_connections()
    return TrainingRun.objects.get(pk=run_id)


def _wait(done: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:]}")


def _run_in_its_first_epoch(course: Course, log: Path) -> TrainingRun:
    """A run queued for the worker, once it has finished an epoch (so it is mid-training)."""
    run, _ = open_run(course, TrainingRun.Trigger.ADMIN)
    _wait(lambda: "epoch" in _run(run.pk).message, 180, "the first epoch", log)
    return run


@pytest.fixture
def trained_course(shared_services: dict[str, str], course: Course) -> Course:
    simulate_learners(course, [f"k{n:02d}" for n in range(12)], seed=5, sessions=(2, 3),
                      attempts_per_session=(9, 11))
    app.control.purge()
    return course


@pytest.mark.services
def test_a_killed_pool_process_leaves_the_model_and_the_run_is_tried_again(
    trained_course: Course, shared_services: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    worker = Worker(shared_services, tmp_path, log)
    try:
        run = _run_in_its_first_epoch(trained_course, log)
        first = _run(run.pk)
        pool_pid = int(first.worker.split(":")[1])
        assert pool_pid != worker.process.pid
        os.kill(pool_pid, signal.SIGKILL)
        versions_while_running = set()

        def finished() -> bool:
            current = _run(run.pk)
            if current.status in UNFINISHED:
                versions_while_running.add(ModelVersion.objects.count())
            return current.status not in UNFINISHED

        _wait(finished, 300, "the run to end after the kill", log)
    finally:
        worker.kill_all()
    run = _run(run.pk)
    assert run.status == TrainingRun.Status.ACTIVATED, run.message
    assert run.tries == 2 and run.worker != first.worker
    assert versions_while_running == {0}  # nothing registered by the killed try
    assert ModelVersion.objects.filter(course=trained_course).count() == 1


@pytest.mark.services
def test_a_killed_worker_s_run_is_recovered_when_a_worker_starts_again(
    trained_course: Course, shared_services: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    worker = Worker(shared_services, tmp_path, log)
    try:
        run = _run_in_its_first_epoch(trained_course, log)
    finally:
        worker.kill_all()  # the main process and its pool: the message stays unacknowledged
    assert _run(run.pk).status == TrainingRun.Status.RUNNING
    assert not ModelVersion.objects.exists()
    again = Worker(shared_services, tmp_path, log)
    try:
        _wait(lambda: _run(run.pk).status not in UNFINISHED, 300, "the recovered run", log)
    finally:
        again.kill_all()
    run = _run(run.pk)
    assert run.status == TrainingRun.Status.ACTIVATED, run.message
    assert run.tries == 2
    assert ModelVersion.objects.filter(course=trained_course).count() == 1
