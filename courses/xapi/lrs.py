"""The outbox's ``xapi`` sender: a batch of statements POSTed to ``<XAPI_LRS_URL>/statements``
with the ``X-Experience-API-Version`` header and basic authentication, within
``XAPI_TIMEOUT_SECONDS``.

- 2xx: delivered. 409 for one statement: delivered (the LRS already has a statement with this
  id, and statement ids are fixed when the row is written, so it is this one).
- A 4xx for a whole batch (409 included) says nothing about which statement it was for, and the
  LRS stored none of them: the batch is sent again one statement at a time, so that one bad
  statement is rejected alone.
- A 4xx for one statement: rejected for good (kept as failed in the outbox), except those that
  are about the LRS or our access to it rather than the statement (401, 403, 404, 408, 429):
  like a 5xx, a redirect, a timeout or a connection error, those are retried later.
"""
from __future__ import annotations

from dataclasses import dataclass

import requests
from django.conf import settings

from courses.outbox.senders import DELIVERED, Message, Outcome, Outcomes, rejected, retry, sender

CHANNEL = "xapi"
RETRIED_STATUSES = frozenset({401, 403, 404, 408, 429})
BODY_SHOWN = 500


@dataclass(frozen=True)
class Lrs:
    statements_url: str
    auth: tuple[str, str] | None
    version: str
    timeout: float


def configured_lrs() -> Lrs | None:
    if not settings.XAPI_LRS_URL:
        return None
    auth = ((settings.XAPI_LRS_USERNAME, settings.XAPI_LRS_PASSWORD)
            if settings.XAPI_LRS_USERNAME else None)
    return Lrs(f"{settings.XAPI_LRS_URL}/statements", auth, settings.XAPI_VERSION,
               settings.XAPI_TIMEOUT_SECONDS)


@sender(CHANNEL)
def send_statements(messages: list[Message]) -> Outcomes:
    lrs = configured_lrs()
    if lrs is None:
        return {message.id: retry("XAPI_LRS_URL is not set.") for message in messages}
    with requests.Session() as session:
        return _post(session, lrs, messages)


def _post(session: requests.Session, lrs: Lrs, messages: list[Message]) -> dict[int, Outcome]:
    try:
        response = session.post(
            lrs.statements_url, json=[message.payload for message in messages], auth=lrs.auth,
            headers={"X-Experience-API-Version": lrs.version}, timeout=lrs.timeout,
            allow_redirects=False,
        )
    except requests.RequestException as failure:
        return dict.fromkeys((m.id for m in messages),
                             retry(f"{type(failure).__name__}: {failure}"))
    status = response.status_code
    if 200 <= status < 300 or (status == 409 and len(messages) == 1):
        return dict.fromkeys((message.id for message in messages), DELIVERED)
    error = f"{status} {response.reason}: {response.text[:BODY_SHOWN]}"
    if status >= 500 or status < 400 or status in RETRIED_STATUSES:
        return dict.fromkeys((message.id for message in messages), retry(error))
    if len(messages) == 1:
        return {messages[0].id: rejected(error)}
    return _one_by_one(session, lrs, messages)


def _one_by_one(session: requests.Session, lrs: Lrs, messages: list[Message]
                ) -> dict[int, Outcome]:
    """Each statement on its own; once one must be retried, so are the rest (the LRS is
    struggling: no point in waiting for a timeout per statement)."""
    outcomes: dict[int, Outcome] = {}
    for index, message in enumerate(messages):
        outcome = _post(session, lrs, [message])[message.id]
        outcomes[message.id] = outcome
        if outcome.kind == "retry":
            outcomes.update(dict.fromkeys((m.id for m in messages[index + 1:]), outcome))
            break
    return outcomes
