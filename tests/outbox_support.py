"""Helpers for the outbox and xAPI tests: tasks sent by name run at once, as a worker would run
them, and a sender that records what it was given."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from courses import jobs
from courses.outbox.senders import DELIVERED, Message, Outcome


@dataclass
class SentTasks:
    """What was sent by name: ``(task name, args)``; outbox tasks are also run there and then."""

    sent: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.sent]


def run_outbox_tasks_at_once(monkeypatch: pytest.MonkeyPatch) -> SentTasks:
    """``courses.jobs.send_now`` records every task; the outbox's run in this process, through
    the worker's task registry (other tasks are only recorded: no path is planned)."""
    from learnpath.site.celery import app

    app.loader.import_default_modules()
    record = SentTasks()

    def send_now(task_name: str, *args: Any, **options: Any) -> None:
        record.sent.append((task_name, args))
        if task_name in (jobs.DELIVER_OUTBOX, jobs.DRAIN_OUTBOX):
            app.tasks[task_name].apply(args=args, throw=True)

    monkeypatch.setattr(jobs, "send_now", send_now)
    return record


@dataclass
class RecordingSender:
    """A channel's sender: records every batch, answers with ``answer`` (per message)."""

    answer: Callable[[Message], Outcome] = lambda message: DELIVERED
    batches: list[list[Message]] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)

    def __call__(self, messages: list[Message]) -> dict[int, Outcome]:
        self.batches.append(list(messages))
        self.threads.add(threading.current_thread().name)
        return {message.id: self.answer(message) for message in messages}

    def delivered_ids(self) -> list[int]:
        return [message.id for batch in self.batches for message in batch]
