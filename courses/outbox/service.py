"""Writing messages into the outbox and delivering them.

Guarantees:

- **Written with the fact.** :func:`enqueue` is called inside the transaction that makes the fact
  (an attempt, a mastery change): a rollback leaves no message, a commit leaves one row per
  ``(channel, key)``. Enqueuing a key again replaces the payload of an unsent row (the latest
  wins, e.g. a grade) and leaves a sent row as it is. It is one query (an upsert), whatever
  the number of messages.
- **Delivered after the commit, at least once.** The commit queues a delivery task for the
  channel by name (:mod:`courses.jobs`); a broker that is down loses nothing, because the
  scheduled drain (:func:`drain`, every minute) picks up every due row.
- **Never sent twice at once.** A delivery claims up to :data:`BATCH_SIZE` due rows with
  ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serialises writers anyway) and
  leases them for :data:`LEASE` before it calls the sender outside the transaction, so a second
  worker skips them. A worker that dies mid-delivery leaves its rows to be tried again once the
  lease ends: receivers must accept a repeat (xAPI statements carry fixed ids for that).
- **Retried with backoff, kept when refused.** A row the sender could not deliver waits
  :data:`FIRST_RETRY` × 2^(tries − 1), at most :data:`MAX_RETRY`, and is tried again for as long
  as it takes; one the other side rejected is kept as failed, with its error, for the admin
  (*Retry now*) and ``manage.py outbox_status``.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from courses import jobs
from courses.outbox.models import OutboxRow
from courses.outbox.senders import Message, Outcome, Sender, retry, sender_for

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
MAX_BATCHES = 20  # per delivery run; the next run (or the drain) takes the rest
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
KEEP_SENT = timedelta(days=30)
ERROR_LENGTH = 2000

PENDING, SENT, FAILED = OutboxRow.Status.PENDING, OutboxRow.Status.SENT, OutboxRow.Status.FAILED
_COLUMNS = ("channel", "key", "destination", "payload", "status", "revision", "attempts",
            "available_at", "last_error", "created_at", "updated_at")


def enqueue(channel: str, key: str, payload: dict[str, Any], *, destination: str = "") -> None:
    """One message for ``channel``, written in the caller's transaction (see the module)."""
    enqueue_many(channel, {key: payload}, destination=destination)


def enqueue_many(channel: str, payloads: Mapping[str, dict[str, Any]], *,
                 destination: str = "") -> None:
    """:func:`enqueue` for several keys of one channel, in one query."""
    if not payloads:
        return
    now = timezone.now()
    by_name = {field.name: field for field in OutboxRow._meta.concrete_fields}
    fields = [by_name[name] for name in _COLUMNS]
    params: list[Any] = []
    for key, payload in payloads.items():
        values = (channel, key, destination, payload, PENDING, 0, 0, now, "", now, now)
        params += [field.get_db_prep_save(value, connection)
                   for field, value in zip(fields, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(len(payloads)), params)
    transaction.on_commit(partial(jobs.send_now, jobs.DELIVER_OUTBOX, channel))


def _upsert_sql(rows: int) -> str:
    """``INSERT … ON CONFLICT DO UPDATE … WHERE`` (PostgreSQL and SQLite): a new payload for an
    unsent row; a failed row becomes pending and due again; a sent row is left alone. Only
    names from the model are formatted in; every value is a parameter."""
    quote = connection.ops.quote_name
    table = quote(OutboxRow._meta.db_table)

    def old(column: str) -> str:
        return f"{table}.{quote(column)}"

    def new(column: str) -> str:
        return f"EXCLUDED.{quote(column)}"

    row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    was_failed = f"{old('status')} = '{FAILED}'"
    updates = {
        "payload": new("payload"),
        "destination": new("destination"),
        "revision": f"{old('revision')} + 1",
        "updated_at": new("updated_at"),
        "available_at": f"CASE WHEN {was_failed} THEN {new('available_at')} "
                        f"ELSE {old('available_at')} END",
        "attempts": f"CASE WHEN {was_failed} THEN 0 ELSE {old('attempts')} END",
        "status": f"'{PENDING}'",
    }
    return (
        f"INSERT INTO {table} ({', '.join(map(quote, _COLUMNS))}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} "
        f"ON CONFLICT ({quote('channel')}, {quote('key')}) DO UPDATE SET "
        + ", ".join(f"{quote(column)} = {value}" for column, value in updates.items())
        + f" WHERE {old('status')} <> '{SENT}'"
    )


def deliver(channel: str, *, now: datetime | None = None) -> int:
    """Delivers the due rows of ``channel`` in batches, until none is left, a batch could not
    all be delivered (the other side is struggling: the drain comes back later) or
    :data:`MAX_BATCHES` have gone; returns how many were delivered. ``now`` (tests) stands for
    the clock."""
    send = sender_for(channel)
    if send is None:
        logger.warning("Outbox channel %r has no sender; its rows wait", channel)
        return 0
    delivered = 0
    for _ in range(MAX_BATCHES):
        moment = now or timezone.now()
        claimed = _claim(channel, moment)
        if not claimed:
            break
        outcomes = _outcomes(send, channel, [message for message, _ in claimed.values()])
        _settle(claimed, outcomes, now or timezone.now())
        delivered += sum(outcome.kind == "delivered" for outcome in outcomes.values())
        if any(outcome.kind == "retry" for outcome in outcomes.values()):
            break
    return delivered


def drain(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduled run: delivers every channel that has due rows and a sender (delivered
    count per channel), and forgets rows sent more than :data:`KEEP_SENT` ago."""
    moment = now or timezone.now()
    channels = sorted(set(
        OutboxRow.objects.filter(status=PENDING, available_at__lte=moment)
        .values_list("channel", flat=True).distinct()
    ))
    done = {channel: deliver(channel, now=now) for channel in channels if sender_for(channel)}
    OutboxRow.objects.filter(status=SENT, sent_at__lt=moment - KEEP_SENT).delete()
    return done


def retry_now(row_ids: Iterable[int]) -> int:
    """The admin's *Retry now*: the unsent rows among ``row_ids`` (not those a worker is
    delivering this moment) become due at once, failed ones pending again; their channels'
    deliveries are queued after the commit. Returns how many rows were changed."""
    now = timezone.now()
    with transaction.atomic():
        rows = (OutboxRow.objects.filter(pk__in=list(row_ids), status__in=[PENDING, FAILED])
                .exclude(claimed_until__gt=now))
        channels = set(rows.values_list("channel", flat=True))
        changed = rows.update(status=PENDING, available_at=now, updated_at=now)
        for channel in sorted(channels):
            transaction.on_commit(partial(jobs.send_now, jobs.DELIVER_OUTBOX, channel))
    return changed


def summary() -> list[dict[str, Any]]:
    """Per channel: rows pending (and due now), failed and sent, the oldest pending row's
    creation time, and whether a sender is registered."""
    now = timezone.now()
    rows = (
        OutboxRow.objects.values("channel")
        .annotate(
            pending=Count("id", filter=Q(status=PENDING)),
            due=Count("id", filter=Q(status=PENDING, available_at__lte=now)),
            failed=Count("id", filter=Q(status=FAILED)),
            sent=Count("id", filter=Q(status=SENT)),
            oldest_pending=Min("created_at", filter=Q(status=PENDING)),
        )
        .order_by("channel")
    )
    return [{**row, "has_sender": sender_for(row["channel"]) is not None} for row in rows]


def _claim(channel: str, now: datetime) -> dict[int, tuple[Message, int]]:
    """Leases up to :data:`BATCH_SIZE` due rows: message and revision by row id."""
    with transaction.atomic():
        rows = list(
            OutboxRow.objects.select_for_update(skip_locked=True)
            .filter(channel=channel, status=PENDING, available_at__lte=now)
            .order_by("available_at", "id")
            .values_list("id", "key", "destination", "payload", "attempts", "revision")
            [:BATCH_SIZE]
        )
        if not rows:
            return {}
        OutboxRow.objects.filter(pk__in=[row[0] for row in rows]).update(
            attempts=F("attempts") + 1, available_at=now + LEASE, claimed_until=now + LEASE,
            updated_at=now,
        )
    return {
        row_id: (Message(row_id, key, destination, payload, attempts + 1), revision)
        for row_id, key, destination, payload, attempts, revision in rows
    }


def _outcomes(send: Sender, channel: str, batch: list[Message]) -> dict[int, Outcome]:
    try:
        given = send(batch)
    except Exception as error:
        logger.exception("The %s sender failed on %d messages; they are retried later",
                         channel, len(batch))
        given = {message.id: retry(f"{type(error).__name__}: {error}") for message in batch}
    return {message.id: given.get(message.id) or retry("The sender gave no outcome.")
            for message in batch}


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try."""
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 20), MAX_RETRY)


def _settle(claimed: Mapping[int, tuple[Message, int]], outcomes: Mapping[int, Outcome],
            now: datetime) -> None:
    """Records the outcomes. A delivered or rejected row whose payload changed meanwhile (a new
    revision) stays pending and is due at once, so the latest payload is sent too."""
    final: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    retried: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row_id, outcome in outcomes.items():
        message, revision = claimed[row_id]
        if outcome.kind == "retry":
            retried[message.attempts, outcome.error[:ERROR_LENGTH]].append(row_id)
        else:
            final[outcome.kind, outcome.error[:ERROR_LENGTH], revision].append(row_id)
    pending = OutboxRow.objects.filter(status=PENDING)
    with transaction.atomic():
        for (kind, error, revision), ids in final.items():
            pending.filter(pk__in=ids, revision=revision).update(
                status=SENT if kind == "delivered" else FAILED, claimed_until=None,
                sent_at=now if kind == "delivered" else None, last_error=error, updated_at=now,
            )
        changed = [row_id for ids in final.values() for row_id in ids]
        if changed:  # the rows still pending here got a new payload during the delivery
            pending.filter(pk__in=changed).update(available_at=now, claimed_until=None)
        for (attempts, error), ids in retried.items():
            pending.filter(pk__in=ids).update(
                available_at=now + backoff(attempts), claimed_until=None, last_error=error,
                updated_at=now,
            )
