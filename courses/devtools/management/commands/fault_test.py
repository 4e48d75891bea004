"""Fault drill on this machine: learners keep practising while Redis stops and comes back and
PostgreSQL restarts. Bounded in time, loopback only; prints what each phase saw.

Run it against a running ``make serve`` (same ``DATABASE_URL``), as root on a machine where the
services were started with the commands below — it stops and starts them:

    python manage.py fault_test --url http://127.0.0.1:8000

Stated behaviour: with Redis down, answers are still stored (queuing the follow-up jobs fails
and is logged; the schedule catches up once Redis is back); while PostgreSQL restarts, requests
fail cleanly (an error page, never a hang) and the site recovers without restarting anything;
every acknowledged attempt is stored exactly once. With ``--kill-worker`` (or only that, with
``--only-worker``): a worker killed in the middle of training leaves the active model as it was,
and the run is tried again and ends once.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from courses.devtools.management.commands.load_test import _Learner, throwaway_learners
from courses.management.lookup import course_or_error
from courses.ml.registry import active_version
from courses.ml.training import open_run
from courses.models import Attempt, Course, TrainingRun

REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]


def _field(run_id: int, name: str) -> str:
    close_old_connections()
    return TrainingRun.objects.filter(pk=run_id).values_list(name, flat=True).first() or ""


def _status(run_id: int) -> str:
    return _field(run_id, "status")


def _wait(done: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.5)
    return False


def _active_versions_until_done(run: TrainingRun, course: Course, seconds: float) -> set[Any]:
    """Waits for the run to end; the ids of the active model seen while it had not."""
    seen: set[Any] = set()

    def finished() -> bool:
        if _status(run.pk) in (TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING):
            seen.add(getattr(active_version(course), "pk", None))
            return False
        return True

    _wait(finished, seconds)
    return seen


def _worker_main_pids() -> list[int]:
    """The main processes of the running Celery workers (those whose parent is no worker)."""
    table = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    rows = [line.split(None, 2) for line in table if "celery" in line and " worker" in line]
    pids = {int(pid) for pid, _, _ in rows}
    return [int(pid) for pid, ppid, _ in rows if int(ppid) not in pids]


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and its children, children first (nothing gets to clean up)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    for child in children.stdout.split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(child), signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _postgres_restart() -> list[str]:
    version = sorted(path.name for path in Path("/etc/postgresql").iterdir())[0]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]


class _Drill(_Learner):
    """A learner whose every request is tagged with the phase the drill is in."""

    phase = "normal"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.statuses: Counter[tuple[str, Any]] = Counter()

    def request(self, kind: str, path: str, data: dict[str, Any] | None = None) -> Any:
        try:
            result = super().request(kind, path, data)
        except OSError as error:  # connection refused or reset while a service restarts
            self.statuses[(_Drill.phase, "no answer")] += 1
            raise RuntimeError(f"{kind}: {error}") from error
        self.statuses[(_Drill.phase, result[0])] += 1
        return result

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            try:
                self.sign_in()
                while time.monotonic() < self.deadline:
                    self.practise_once()
            except Exception as error:
                self.errors.append(f"{_Drill.phase}: {error}")
                time.sleep(0.5)


class Command(BaseCommand):
    help = "Stop/start Redis and restart PostgreSQL while learners practise; print outcomes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--course", default="fractions")
        parser.add_argument("--learners", type=int, default=5)
        parser.add_argument("--phase-seconds", type=int, default=15)
        parser.add_argument("--kill-worker", action="store_true",
                            help="Also kill the worker (its pool process, then all of it) in "
                                 "the middle of a training run and watch the run come back")
        parser.add_argument("--only-worker", action="store_true",
                            help="Only the worker drill: leave Redis and PostgreSQL running")

    def handle(self, *args: Any, **options: Any) -> None:
        course = course_or_error(options["course"])
        if options["only_worker"]:
            self._kill_worker_during_training(course)
            return
        names = throwaway_learners(course, "fault", options["learners"])
        step = options["phase_seconds"]
        deadline = time.monotonic() + 5 * step
        learners = [_Drill(options["url"], name, course.slug, deadline, seed)
                    for seed, name in enumerate(names)]
        for learner in learners:
            learner.start()
        self._phase("normal", step)
        _Drill.phase = "redis down"
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], check=False)
        self._phase("redis down", step)
        subprocess.run(REDIS_START, check=True)
        self._phase("redis back", step)
        _Drill.phase = "postgres restarting"
        started = time.monotonic()
        subprocess.run(_postgres_restart(), check=True)
        self.stdout.write(f"  PostgreSQL restart took {time.monotonic() - started:.1f} s")
        self._phase("postgres back", step)
        self._phase("after", step)
        for learner in learners:
            learner.join(30)
        close_old_connections()
        self._report(learners)
        if options["kill_worker"]:
            self._kill_worker_during_training(course)

    def _kill_worker_during_training(self, course: Course) -> None:
        """Twice, a run is killed in the middle of training: first its pool process (as the
        out-of-memory killer would), then the whole worker (a supervisor, here ``rundemo``,
        starts it again). Each time the active model must stay until the run, tried again,
        ends; the run must end exactly once."""
        for what in ("pool process", "whole worker"):
            before = active_version(course)
            run, _ = open_run(course, TrainingRun.Trigger.ADMIN)
            if not _wait(lambda run=run: "epoch" in _field(run.pk, "message"), 300):
                self.stdout.write(f"kill {what}: run #{run.pk} never reached an epoch "
                                  f"({_status(run.pk)})")
                return
            holder = _field(run.pk, "worker")
            started = time.monotonic()
            if what == "pool process":
                os.kill(int(holder.split(":")[1]), signal.SIGKILL)
            else:
                for pid in _worker_main_pids():
                    _kill_tree(pid)
            self.stdout.write(f"kill {what}: killed {holder} during run #{run.pk}")
            versions_while_unfinished = _active_versions_until_done(run, course, 900)
            run.refresh_from_db()
            unchanged = versions_while_unfinished <= {getattr(before, "pk", None)}
            self.stdout.write(
                f"kill {what}: run #{run.pk} ended {run.status} {time.monotonic() - started:.0f}"
                f" s after the kill, after {run.tries} tries; active model unchanged until "
                f"then: {unchanged}; versions registered by the run: "
                f"{1 if run.model_version_id else 0}"
            )

    def _phase(self, name: str, seconds: int) -> None:
        _Drill.phase = name
        self.stdout.write(f"{time.strftime('%H:%M:%S')} phase: {name}")
        time.sleep(seconds)

    def _report(self, learners: list[_Drill]) -> None:
        totals: Counter[tuple[str, Any]] = Counter()
        for learner in learners:
            totals.update(learner.statuses)
        for phase in ("normal", "redis down", "redis back", "postgres restarting",
                      "postgres back", "after"):
            seen = {status: count for (p, status), count in totals.items() if p == phase}
            self.stdout.write(f"  {phase:19s} {dict(sorted(seen.items(), key=str))}")
        acknowledged = {cid for learner in learners for cid in learner.acknowledged}
        stored = Attempt.objects.filter(client_id__in=acknowledged).count()
        self.stdout.write(
            f"acknowledged attempts: {len(acknowledged)}; stored: {stored} "
            f"({'every one exactly once' if stored == len(acknowledged) else 'MISMATCH'})"
        )
