"""The outbox: a message is stored only with the transaction that makes its fact, delivered after
the commit, retried with backoff, kept when rejected, sent once per key with the latest
payload, and never delivered twice by two drains at once (PostgreSQL, real connections)."""
from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from courses import jobs
from courses.outbox import senders, service
from courses.outbox.models import OutboxRow
from courses.outbox.senders import DELIVERED, Message, rejected, retry
from tests.outbox_support import RecordingSender, SentTasks, run_outbox_tasks_at_once

REQUIRED = os.environ.get("LEARNPATH_REQUIRE_SERVICES") == "1"
CHANNEL = "test"
Status = OutboxRow.Status


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> RecordingSender:
    recorder = RecordingSender()
    monkeypatch.setitem(senders.REGISTRY, CHANNEL, recorder)
    return recorder


@pytest.fixture
def tasks(monkeypatch: pytest.MonkeyPatch) -> SentTasks:
    return run_outbox_tasks_at_once(monkeypatch)


def _row(key: str) -> OutboxRow:
    return OutboxRow.objects.get(channel=CHANNEL, key=key)


def test_a_message_of_a_rolled_back_transaction_is_not_stored(
    db: Any, receiver: RecordingSender, tasks: SentTasks, django_capture_on_commit_callbacks: Any
) -> None:
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        service.enqueue(CHANNEL, "k1", {"n": 1})
        assert OutboxRow.objects.count() == 1
        raise RuntimeError("the fact is not made")
    assert not OutboxRow.objects.exists()
    assert callbacks == [] and tasks.sent == [] and receiver.batches == []


def test_a_committed_message_is_delivered_by_the_task_its_commit_queues(
    db: Any, receiver: RecordingSender, tasks: SentTasks, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        service.enqueue(CHANNEL, "k1", {"n": 1}, destination="https://elsewhere.example/x")
        assert receiver.batches == []  # nothing leaves before the commit
    assert tasks.sent == [(jobs.DELIVER_OUTBOX, (CHANNEL,))]
    [[message]] = receiver.batches
    row = _row("k1")
    assert message == Message(row.pk, "k1", "https://elsewhere.example/x", {"n": 1}, 1)
    assert row.status == Status.SENT and row.sent_at is not None and row.attempts == 1
    assert row.claimed_until is None and row.last_error == ""


def test_enqueuing_is_one_query(db: Any, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        service.enqueue_many(CHANNEL, {f"k{n}": {"n": n} for n in range(30)})
    assert OutboxRow.objects.filter(status=Status.PENDING).count() == 30


@pytest.mark.parametrize("failure", ["raises", "retry"])
def test_a_failed_delivery_waits_with_its_error_and_the_drain_delivers_it_later(
    db: Any, receiver: RecordingSender, failure: str
) -> None:
    def down(message: Message) -> Any:
        if failure == "raises":
            raise ConnectionError("the other side is down")
        return retry("503 Service Unavailable")

    receiver.answer = down
    service.enqueue(CHANNEL, "k1", {"n": 1})
    before = timezone.now()
    assert service.deliver(CHANNEL) == 0
    row = _row("k1")
    expected_error = ("ConnectionError: the other side is down" if failure == "raises"
                      else "503 Service Unavailable")
    assert (row.status, row.sent_at, row.attempts, row.last_error) == (
        Status.PENDING, None, 1, expected_error)
    assert row.available_at >= before + service.FIRST_RETRY
    assert service.drain() == {}  # not due yet: not tried again
    assert len(receiver.batches) == 1

    receiver.answer = lambda message: DELIVERED
    assert service.drain(now=row.available_at + timedelta(seconds=1)) == {CHANNEL: 1}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert service.drain(now=timezone.now() + timedelta(days=1)) == {}
    assert len(receiver.batches) == 2  # once sent, never again


def test_the_backoff_doubles_up_to_an_hour() -> None:
    assert [service.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert service.backoff(8) == service.backoff(500) == timedelta(hours=1)


def test_a_rejected_message_is_kept_as_failed_and_not_tried_again(
    db: Any, receiver: RecordingSender
) -> None:
    receiver.answer = lambda message: rejected("400 Bad Request: no actor")
    service.enqueue(CHANNEL, "k1", {"n": 1})
    service.deliver(CHANNEL)
    row = _row("k1")
    assert (row.status, row.sent_at, row.last_error) == (
        Status.FAILED, None, "400 Bad Request: no actor")
    assert service.drain(now=timezone.now() + timedelta(days=2)) == {}
    assert len(receiver.batches) == 1


def test_the_same_key_twice_before_sending_sends_the_latest_payload_once(
    db: Any, receiver: RecordingSender
) -> None:
    service.enqueue(CHANNEL, "grade", {"score": 0.5})
    service.enqueue(CHANNEL, "grade", {"score": 0.8})
    assert service.deliver(CHANNEL) == 1
    [[message]] = receiver.batches
    assert message.payload == {"score": 0.8}
    service.enqueue(CHANNEL, "grade", {"score": 0.9})  # a sent row is left as it was
    assert _row("grade").payload == {"score": 0.8} and _row("grade").status == Status.SENT
    assert service.deliver(CHANNEL) == 0


def test_a_payload_replaced_during_its_delivery_is_sent_again(
    db: Any, receiver: RecordingSender
) -> None:
    def deliver_while_a_new_grade_comes(message: Message) -> Any:
        if message.payload == {"score": 0.5}:
            service.enqueue(CHANNEL, "grade", {"score": 0.7})
        return DELIVERED

    receiver.answer = deliver_while_a_new_grade_comes
    service.enqueue(CHANNEL, "grade", {"score": 0.5})
    assert service.deliver(CHANNEL) == 2
    assert [batch[0].payload for batch in receiver.batches] == [{"score": 0.5}, {"score": 0.7}]
    assert _row("grade").status == Status.SENT


def test_a_new_payload_for_a_failed_row_makes_it_pending_again(
    db: Any, receiver: RecordingSender
) -> None:
    receiver.answer = lambda message: rejected("422 bad score")
    service.enqueue(CHANNEL, "grade", {"score": -1})
    service.deliver(CHANNEL)
    receiver.answer = lambda message: DELIVERED
    service.enqueue(CHANNEL, "grade", {"score": 0.4})
    row = _row("grade")
    assert (row.status, row.attempts) == (Status.PENDING, 0)
    assert service.deliver(CHANNEL) == 1 and _row("grade").status == Status.SENT


def test_rows_of_a_worker_that_died_are_delivered_after_their_lease(
    db: Any, receiver: RecordingSender
) -> None:
    service.enqueue(CHANNEL, "k1", {"n": 1})
    now = timezone.now()
    assert list(service._claim(CHANNEL, now)) == [_row("k1").pk]  # then the worker dies
    assert service.drain(now=now + timedelta(seconds=10)) == {}
    assert service.drain(now=now + service.LEASE + timedelta(seconds=1)) == {CHANNEL: 1}
    assert _row("k1").attempts == 2


def test_a_channel_without_a_sender_keeps_its_rows(db: Any) -> None:
    service.enqueue("nobody", "k1", {"n": 1})
    assert service.deliver("nobody") == 0 and service.drain() == {}
    assert _row_of("nobody").status == Status.PENDING


def _row_of(channel: str) -> OutboxRow:
    return OutboxRow.objects.get(channel=channel)


def test_the_drain_forgets_rows_sent_long_ago(db: Any, receiver: RecordingSender) -> None:
    service.enqueue_many(CHANNEL, {"old": {}, "new": {}})
    service.deliver(CHANNEL)
    OutboxRow.objects.filter(key="old").update(sent_at=timezone.now() - timedelta(days=31))
    service.drain()
    assert list(OutboxRow.objects.values_list("key", flat=True)) == ["new"]


def test_a_sender_registers_once_per_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(senders, "REGISTRY", {})

    @senders.sender("one")
    def first(messages: list[Message]) -> senders.Outcomes:
        return {}

    assert senders.sender_for("one") is first and senders.sender("one")(first) is first

    def second(messages: list[Message]) -> senders.Outcomes:
        return {}

    with pytest.raises(Exception, match="already has a sender"):
        senders.sender("one")(second)


def test_the_drain_is_scheduled_every_minute(db: Any) -> None:
    task = PeriodicTask.objects.get(task=jobs.DRAIN_OUTBOX)
    assert task.enabled and (task.interval.every, task.interval.period) == (1, "minutes")


def test_outbox_status_shows_each_channel_and_the_failed_rows(
    db: Any, receiver: RecordingSender, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.answer = lambda message: (rejected("400 no actor") if message.key == "bad"
                                       else DELIVERED)
    service.enqueue_many(CHANNEL, {"bad": {}, "good": {}})
    service.deliver(CHANNEL)
    service.enqueue(CHANNEL, "later", {})
    service.enqueue("nobody", "k", {})
    call_command("outbox_status", "--failed")
    out = capsys.readouterr().out
    assert "nobody: 1 pending (1 due now), 0 failed, 0 sent" in out
    assert "NO SENDER REGISTERED" in out
    assert f"{CHANNEL}: 1 pending (1 due now), 1 failed, 1 sent" in out
    assert f"failed #{_row('bad').pk} {CHANNEL}:bad after 1 tries: 400 no actor" in out


def test_the_admin_lists_rows_read_only_and_retries_them_now(
    db: Any, root: Any, receiver: RecordingSender, tasks: SentTasks,
    django_capture_on_commit_callbacks: Any,
) -> None:
    receiver.answer = lambda message: rejected("400 no actor")
    service.enqueue_many(CHANNEL, {"bad": {}, "sent": {}})
    service.deliver(CHANNEL)
    OutboxRow.objects.filter(key="sent").update(status=Status.SENT)
    client = Client()
    client.force_login(root)
    page = client.get("/admin/outbox/outboxrow/")
    assert page.status_code == 200 and b"400 no actor" in page.content
    assert client.get(f"/admin/outbox/outboxrow/{_row('bad').pk}/delete/").status_code == 403

    receiver.answer = lambda message: DELIVERED
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/outbox/outboxrow/", {
            "action": "retry_now", "_selected_action": [_row("bad").pk, _row("sent").pk]})
    assert response.status_code == 302
    assert _row("bad").status == Status.SENT and _row("bad").attempts == 2
    assert tasks.names() == [jobs.DELIVER_OUTBOX]
    assert len(receiver.batches) == 2  # the row already sent was not sent again


def _services_or_skip() -> None:
    if connection.vendor != "postgresql":
        if REQUIRED:
            pytest.fail("CI must run the outbox's concurrency tests on PostgreSQL")
        pytest.skip("needs PostgreSQL (row locks with SKIP LOCKED)")


@pytest.mark.services
def test_two_drains_at_once_deliver_each_row_once(
    transactional_db: Any, receiver: RecordingSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    _services_or_skip()
    monkeypatch.setattr(jobs, "send_now", lambda *args, **options: None)
    monkeypatch.setattr(service, "BATCH_SIZE", 10)
    service.enqueue_many(CHANNEL, {f"k{n}": {"n": n} for n in range(200)})

    def slowly(message: Message) -> Any:
        time.sleep(0.002)
        return DELIVERED

    receiver.answer = slowly
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def drain() -> None:
        try:
            start.wait(5)
            service.drain()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=drain, name=f"drain-{n}") for n in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    delivered = receiver.delivered_ids()
    assert len(delivered) == len(set(delivered)) == 200
    assert receiver.threads == {"drain-1", "drain-2"}  # both drains took part
    assert set(OutboxRow.objects.values_list("status", flat=True)) == {Status.SENT}


@pytest.mark.services
def test_a_drain_skips_rows_another_worker_has_locked(
    transactional_db: Any, receiver: RecordingSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    _services_or_skip()
    monkeypatch.setattr(jobs, "send_now", lambda *args, **options: None)
    service.enqueue_many(CHANNEL, {f"k{n}": {"n": n} for n in range(4)})
    locked_ids = sorted(OutboxRow.objects.values_list("id", flat=True))[:2]
    locked, release = threading.Event(), threading.Event()

    def hold_a_lock() -> None:
        try:
            with transaction.atomic():
                list(OutboxRow.objects.select_for_update().filter(pk__in=locked_ids))
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_a_lock)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        assert service.deliver(CHANNEL) == 2
        assert time.monotonic() - started < 5  # it did not wait for the lock
    finally:
        release.set()
        holder.join(30)
    assert sorted(set(receiver.delivered_ids()) & set(locked_ids)) == []
