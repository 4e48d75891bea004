"""Who is training a run, and whether they still are.

A worker that claims a training run writes its ``host:pid`` (and a token for this try) and
touches the run after every epoch. The run belongs to that process while it lives: on the same
machine "lives" is asked of the operating system (so a pool process killed for memory is noticed
at once), elsewhere it means "touched within the lease" (``LEARNPATH_TRAINING_LEASE_SECONDS``,
which must exceed the longest epoch). A duplicate delivery of the task (the broker's redelivery,
a recovery) finds the run held, or finished, and does nothing. Assumes the prefork pool: one
task at a time per process.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from courses.models import TrainingRun


def lease() -> timedelta:
    return timedelta(seconds=settings.LEARNPATH_TRAINING_LEASE_SECONDS)


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def new_claim() -> str:
    """``host:pid:token``: the token tells this try from any other of the same process."""
    return f"{this_process()}:{uuid.uuid4().hex[:12]}"


def claimed_by_this_process(run: TrainingRun) -> bool:
    host, pid = _host_and_pid(run.worker)
    return f"{host}:{pid}" == this_process()


def _host_and_pid(worker: str) -> tuple[str, str]:
    host, _, rest = worker.partition(":")
    return host, rest.split(":")[0]


def process_alive(pid: int) -> bool:
    """Whether a process of this machine is running (a zombie, killed but not reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def holder_alive(run: TrainingRun, now: datetime) -> bool:
    """Whether the process that claimed this running run may still be working on it."""
    if run.status != TrainingRun.Status.RUNNING:
        return False
    if run.touched_at is None or run.touched_at < now - lease():
        return False
    host, pid = _host_and_pid(run.worker)
    if host != socket.gethostname() or not pid.isdigit():
        return True
    # A prefork pool process runs one task at a time: if it holds the run, that try is over.
    return int(pid) != os.getpid() and process_alive(int(pid))


def lost(run: TrainingRun, now: datetime) -> bool:
    """A queued run whose message has not come for a lease (the broker lost it, e.g. Redis
    restarted), or a running one whose worker is gone."""
    if run.status == TrainingRun.Status.QUEUED:
        return run.touched_at is None or run.touched_at < now - lease()
    return run.status == TrainingRun.Status.RUNNING and not holder_alive(run, now)
