"""xAPI statements: written into the outbox in the attempt's transaction (nothing, and no query,
while no LRS is configured), built to the xAPI 1.0.3 rules with fixed ids, and posted by the
``xapi`` sender, whose answer to each LRS status is checked against a local HTTP server."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.actions.attempts import record_attempt
from courses.models import Course, Exercise
from courses.outbox.models import OutboxRow
from courses.outbox.senders import Message
from courses.xapi import events, lrs, statements
from learnpath.site.env import envurl
from tests.factories import answer
from tests.xapi_rules import breaches

ROOT = Path(__file__).resolve().parents[1]
SITE = "https://learnpath.example.org"


@pytest.fixture
def xapi_on(settings: Any) -> Any:
    settings.SITE_URL = SITE
    settings.XAPI_LRS_URL = "http://127.0.0.1:9/xAPI"  # nothing is sent in these tests
    return settings


def _statements(verb: str | None = None) -> list[dict[str, Any]]:
    rows = OutboxRow.objects.filter(channel="xapi").order_by("id")
    payloads = [row.payload for row in rows]
    return [p for p in payloads if verb is None or p["verb"]["id"].endswith(f"/{verb}")]


def _keys() -> list[str]:
    return list(OutboxRow.objects.filter(channel="xapi").order_by("id")
                .values_list("key", flat=True))


def test_without_an_lrs_an_attempt_writes_no_statement_and_costs_no_query(
    course: Course, enrolled_alice: Any, django_db_blocker: Any
) -> None:
    from django.db import connection

    with CaptureQueriesContext(connection) as queries:
        answer(enrolled_alice, course, "quarters-numeric", right=True)
    touched = [q["sql"] for q in queries.captured_queries
               if "outbox_" in q["sql"] or "xapi_" in q["sql"]]
    assert touched == [] and not OutboxRow.objects.exists()


def test_an_answered_statement_is_written_with_its_attempt_and_only_then(
    xapi_on: Any, course: Course, enrolled_alice: Any
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        answer(enrolled_alice, course, "quarters-numeric", right=True)
        assert len(_statements()) == 1
        raise RuntimeError("rolled back with the attempt")
    assert _statements() == []
    answer(enrolled_alice, course, "quarters-numeric", right=True, seconds=65.25)
    attempt = enrolled_alice.attempts.get()
    assert _keys() == [f"answered:{attempt.pk}"]


def test_the_answered_statement(xapi_on: Any, course: Course, enrolled_alice: Any) -> None:
    answer(enrolled_alice, course, "quarters-numeric", right=False, seconds=65.25)
    attempt = enrolled_alice.attempts.get()
    [statement] = _statements()
    assert breaches(statement) == []
    pseudonym = str(enrolled_alice.xapi_pseudonym.name)
    assert statement["id"] == str(uuid.uuid5(uuid.UUID(pseudonym), f"answered:{attempt.pk}"))
    assert statement["actor"] == {"objectType": "Agent",
                                  "account": {"homePage": SITE, "name": pseudonym}}
    assert "alice" not in json.dumps(statement)
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    assert statement["object"]["id"] == f"{SITE}/courses/mini/exercises/quarters-numeric/"
    assert statement["object"]["definition"]["interactionType"] == "numeric"
    assert statement["result"] == {
        "success": False, "response": "999", "duration": "PT1M5.25S",
        "extensions": {f"{SITE}/xapi/extensions/hint-used": False},
    }
    activities = statement["context"]["contextActivities"]
    assert [a["id"] for a in activities["parent"]] == [f"{SITE}/courses/mini/skills/quarters/"]
    assert activities["parent"][0]["definition"]["name"] == {"en-US": "Quarters"}
    assert [a["id"] for a in activities["grouping"]] == [f"{SITE}/courses/mini/"]
    assert statement["timestamp"] == statements.iso_timestamp(attempt.submitted_at)
    assert statement["timestamp"].endswith("Z")


def test_a_choice_response_lists_the_option_ids_and_no_start_time_means_no_duration(
    xapi_on: Any, course: Course, enrolled_alice: Any
) -> None:
    exercise = Exercise.objects.get(course=course, key="halves-multi")
    right = sorted(c.pk for c in exercise.choices.all() if c.is_correct)
    record_attempt(learner=enrolled_alice, exercise=exercise, given=[str(i) for i in right],
                   client_id=uuid.uuid4())
    [statement] = _statements()
    assert breaches(statement) == []
    assert statement["result"]["response"] == "[,]".join(map(str, right))
    assert "duration" not in statement["result"]
    assert {c["id"] for c in statement["object"]["definition"]["choices"]} == {
        str(c.pk) for c in exercise.choices.all()}


def test_the_pseudonym_is_stable_and_a_statement_s_id_is_its_own(
    xapi_on: Any, course: Course, enrolled_alice: Any, enrolled_bob: Any
) -> None:
    answer(enrolled_alice, course, "quarters-numeric", right=True)
    answer(enrolled_alice, course, "quarters-text", right=True)
    answer(enrolled_bob, course, "quarters-text", right=True)
    names = [s["actor"]["account"]["name"] for s in _statements()]
    assert names[0] == names[1] != names[2]
    # The same key (another site, or this one's database started afresh, numbers its attempts
    # alike) for another learner is another statement.
    assert (statements.statement_id(names[0], "answered:1")
            == statements.statement_id(names[1], "answered:1")
            != statements.statement_id(names[2], "answered:1"))
    attempt = enrolled_alice.attempts.order_by("id").first()
    with transaction.atomic():  # a replay of the attempt writes the same statement id
        first = OutboxRow.objects.get(key=f"answered:{attempt.pk}").payload
        OutboxRow.objects.all().delete()
        events.attempt_recorded(attempt, events_exercise(course, "quarters-numeric"), [])
        assert OutboxRow.objects.get(key=f"answered:{attempt.pk}").payload == first


def events_exercise(course: Course, key: str) -> Any:
    from courses.queries.content import course_content

    return course_content(course).by_key[key]


def _answer_until(learner: Any, course: Course, keys: list[str], done: Callable[[], bool],
                  limit: int = 60) -> int:
    start = timezone.now() - timedelta(days=1)
    for n in range(limit):
        answer(learner, course, keys[n % len(keys)], right=True,
               at=start + timedelta(minutes=2 * n))
        if done():
            return n + 1
    raise AssertionError(f"not done after {limit} answers")


def test_mastering_a_skill_writes_one_mastered_statement(
    xapi_on: Any, course: Course, enrolled_alice: Any
) -> None:
    _answer_until(enrolled_alice, course, ["quarters-numeric", "quarters-text"],
                  lambda: bool(_statements("mastered")))
    [mastered] = _statements("mastered")
    assert breaches(mastered) == []
    last = enrolled_alice.attempts.order_by("-id").first()
    assert mastered["object"]["id"] == f"{SITE}/courses/mini/skills/quarters/"
    assert mastered["object"]["definition"]["name"] == {"en-US": "Quarters"}
    assert 0.95 <= mastered["result"]["score"]["scaled"] <= 1
    assert mastered["context"]["statement"]["id"] == _statements("answered")[-1]["id"]
    assert f"mastered:{last.pk}:quarters" in _keys()
    answer(enrolled_alice, course, "quarters-numeric", right=True)  # still mastered: no news
    assert len(_statements("mastered")) == 1


def test_mastering_every_skill_completes_the_course_once(
    xapi_on: Any, course: Course, enrolled_alice: Any
) -> None:
    _answer_until(enrolled_alice, course, ["halves-choice", "quarters-numeric", "adding-numeric"],
                  lambda: bool(_statements("completed")))
    assert {s["object"]["id"] for s in _statements("mastered")} == {
        f"{SITE}/courses/mini/skills/{key}/" for key in ("halves", "quarters", "adding")}
    [done] = _statements("completed")
    assert breaches(done) == []
    assert done["object"]["id"] == f"{SITE}/courses/mini/"
    assert done["object"]["definition"]["type"] == statements.COURSE
    assert done["result"] == {"success": True, "completion": True}
    assert _keys().count(f"completed:{enrolled_alice.pk}:{course.pk}") == 1


@pytest.mark.parametrize(("seconds", "text"), [(12.5, "PT12.5S"), (65.25, "PT1M5.25S"),
                                               (3600, "PT1H"), (7322.004, "PT2H2M2S"),
                                               (0.001, "PT0S")])
def test_durations_are_iso_8601_to_the_hundredth(seconds: float, text: str) -> None:
    assert statements.iso_duration(seconds) == text


# The sender against a local HTTP server that answers as told and records what it received.


class FakeLrs(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict[str, Any]] = []
        self.answer: Callable[[list[dict[str, Any]]], int] = lambda body: 200
        self.delay = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/xAPI"


class _Handler(BaseHTTPRequestHandler):
    server: FakeLrs

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append({"path": self.path, "headers": dict(self.headers),
                                     "body": body})
        time.sleep(self.server.delay)
        status = self.server.answer(body)
        payload = json.dumps([s["id"] for s in body] if status == 200 else {"error": status})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_lrs(settings: Any) -> Iterator[FakeLrs]:
    server = FakeLrs()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.XAPI_LRS_URL = server.url
    settings.XAPI_LRS_USERNAME, settings.XAPI_LRS_PASSWORD = "learnpath", "s3cret"
    settings.XAPI_TIMEOUT_SECONDS = 0.5
    yield server
    server.shutdown()
    server.server_close()


def _messages(count: int) -> list[Message]:
    return [Message(n, f"answered:{n}", "", {"id": str(uuid.uuid4()), "n": n}, 1)
            for n in range(1, count + 1)]


def _kinds(outcomes: Any) -> dict[int, str]:
    return {message_id: outcome.kind for message_id, outcome in outcomes.items()}


def test_a_batch_is_posted_with_the_version_header_and_basic_auth(fake_lrs: FakeLrs) -> None:
    batch = _messages(3)
    assert _kinds(lrs.send_statements(batch)) == {1: "delivered", 2: "delivered", 3: "delivered"}
    [request] = fake_lrs.received
    assert request["path"] == "/xAPI/statements"
    assert request["headers"]["X-Experience-API-Version"] == "1.0.3"
    expected = base64.b64encode(b"learnpath:s3cret").decode()
    assert request["headers"]["Authorization"] == f"Basic {expected}"
    assert request["body"] == [message.payload for message in batch]


def test_a_conflict_on_a_batch_sends_it_one_by_one_and_counts_the_stored_one_delivered(
    fake_lrs: FakeLrs
) -> None:
    batch = _messages(3)
    stored = batch[1].payload["id"]
    fake_lrs.answer = lambda body: 409 if any(s["id"] == stored for s in body) else 200
    assert _kinds(lrs.send_statements(batch)) == {1: "delivered", 2: "delivered", 3: "delivered"}
    assert [len(r["body"]) for r in fake_lrs.received] == [3, 1, 1, 1]


def test_a_bad_statement_is_rejected_alone(fake_lrs: FakeLrs) -> None:
    batch = _messages(3)
    bad = batch[2].payload["id"]
    fake_lrs.answer = lambda body: 400 if any(s["id"] == bad for s in body) else 200
    outcomes = lrs.send_statements(batch)
    assert _kinds(outcomes) == {1: "delivered", 2: "delivered", 3: "rejected"}
    assert outcomes[3].error.startswith("400 Bad Request")


@pytest.mark.parametrize("status", [500, 503, 429, 401, 404])
def test_server_errors_throttling_and_access_problems_are_retried(
    fake_lrs: FakeLrs, status: int
) -> None:
    fake_lrs.answer = lambda body: status
    outcomes = lrs.send_statements(_messages(2))
    assert _kinds(outcomes) == {1: "retry", 2: "retry"}
    assert outcomes[1].error.startswith(str(status))
    assert len(fake_lrs.received) == 1  # not one by one: the LRS, not a statement, is at fault


def test_a_timeout_and_a_refused_connection_are_retried(fake_lrs: FakeLrs, settings: Any
                                                        ) -> None:
    fake_lrs.delay = 1.0
    outcomes = lrs.send_statements(_messages(1))
    assert outcomes[1].kind == "retry" and "Timeout" in outcomes[1].error
    settings.XAPI_LRS_URL = "http://127.0.0.1:9/xAPI"
    outcomes = lrs.send_statements(_messages(1))
    assert outcomes[1].kind == "retry" and "ConnectionError" in outcomes[1].error


def test_site_and_lrs_addresses_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("LP_URL", "https://lrs.example.org/xAPI/")
    assert envurl("LP_URL", "") == "https://lrs.example.org/xAPI"
    for bad in ("lrs.example.org/xAPI", "ftp://lrs.example.org", "https://x.example/?a=1"):
        monkeypatch.setenv("LP_URL", bad)
        with pytest.raises(ImproperlyConfigured, match="LP_URL="):
            envurl("LP_URL", "")


def test_an_lrs_user_without_a_password_stops_start_up(tmp_path: Path) -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "learnpath.site.settings",
                   "LEARNPATH_DATA_DIR": str(tmp_path), "XAPI_LRS_URL": "https://lrs.example/x",
                   "XAPI_LRS_USERNAME": "key"}
    environment.pop("XAPI_LRS_PASSWORD", None)
    code = "import django; django.setup()"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "Set both XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD" in result.stderr
