"""Against a real learning record store: ralph (``make lrs`` installs it in ``.venv-lrs``), started
on a free port with its file-system backend. Attempts are recorded through the service, their
statements go through the outbox and the ``xapi`` sender, and what ralph stored is counted by
statement id and validated against ralph's strict xAPI model and the rules in
``tests/xapi_rules.py``. One test stops the LRS while statements are waiting, records more
attempts, starts it again and drains: every statement arrives exactly once.

CI (``LEARNPATH_REQUIRE_SERVICES=1``) fails without ralph; elsewhere these tests are skipped.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from django.utils import timezone

from courses.models import Course
from courses.outbox import service
from courses.outbox.models import OutboxRow
from tests.factories import answer
from tests.outbox_support import SentTasks, run_outbox_tasks_at_once
from tests.xapi_rules import breaches

ROOT = Path(__file__).resolve().parents[1]
LRS_PYTHON = ROOT / ".venv-lrs" / "bin" / "python"
REQUIRED = os.environ.get("LEARNPATH_REQUIRE_SERVICES") == "1"
USERNAME, PASSWORD = "learnpath", "lrs-secret"


class Ralph:
    """ralph's LRS in a process of its own; ``stop`` and ``start`` keep its port and store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = folder / "ralph.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(LRS_PYTHON), str(ROOT / "tests" / "ralph_lrs.py"), "serve", str(self.port),
                 str(self.folder), USERNAME, PASSWORD],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/__heartbeat__",
                                timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"ralph did not start; its log:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(30)
            self.process = None

    def stored(self) -> list[dict[str, Any]]:
        path = self.folder / "statements" / "fs_lrs.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def strict_errors(self) -> dict[str, str]:
        """ralph's strict xAPI model on every stored statement (its API checks them laxly)."""
        result = subprocess.run(
            [str(LRS_PYTHON), str(ROOT / "tests" / "ralph_lrs.py"), "check",
             str(self.folder / "statements" / "fs_lrs.jsonl")],
            capture_output=True, text=True, check=True,
        )
        errors: dict[str, str] = json.loads(result.stdout)
        return errors


@pytest.fixture(scope="module")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ralph]:
    if not LRS_PYTHON.exists():
        if REQUIRED:
            pytest.fail("CI must run the LRS tests: `make lrs` installs ralph in .venv-lrs")
        pytest.skip("ralph is not installed (`make lrs`)")
    server = Ralph(tmp_path_factory.mktemp("ralph"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def lrs_settings(settings: Any, ralph: Ralph) -> Any:
    settings.SITE_URL = "https://learnpath.example.org"
    settings.XAPI_LRS_URL = ralph.url
    settings.XAPI_LRS_USERNAME, settings.XAPI_LRS_PASSWORD = USERNAME, PASSWORD
    settings.XAPI_TIMEOUT_SECONDS = 5.0
    return settings


@pytest.fixture
def tasks(monkeypatch: pytest.MonkeyPatch) -> SentTasks:
    return run_outbox_tasks_at_once(monkeypatch)


def _answers(learner: Any, course: Course, count: int, capture: Any) -> None:
    """``count`` answers, each committed (so its delivery task runs)."""
    keys = ["quarters-numeric", "quarters-text", "halves-choice", "adding-numeric"]
    start = timezone.now() - timedelta(hours=1)
    for n in range(count):
        with capture(execute=True):
            answer(learner, course, keys[n % len(keys)], right=n % 3 != 2,
                   at=start + timedelta(seconds=90 * n))


def _our_ids() -> list[str]:
    return [row.payload["id"] for row in OutboxRow.objects.filter(channel="xapi")]


def _check_every_statement_arrived_once(ralph: Ralph, ids: list[str]) -> None:
    stored = Counter(statement["id"] for statement in ralph.stored())
    assert {statement_id: stored[statement_id] for statement_id in ids} == dict.fromkeys(ids, 1)
    ours = [s for s in ralph.stored() if s["id"] in set(ids)]
    assert {s["id"]: breaches(s) for s in ours if breaches(s)} == {}
    errors = ralph.strict_errors()
    assert {i: errors[i] for i in ids if i in errors} == {}


def test_statements_reach_the_lrs_once_each_and_keep_the_rules(
    lrs_settings: Any, ralph: Ralph, tasks: SentTasks, course: Course, enrolled_alice: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _answers(enrolled_alice, course, 8, django_capture_on_commit_callbacks)
    ids = _our_ids()
    assert len(ids) >= 8  # the answers, and the skills they brought to mastery
    assert set(OutboxRow.objects.values_list("status", flat=True)) == {OutboxRow.Status.SENT}
    assert set(OutboxRow.objects.values_list("attempts", flat=True)) == {1}
    _check_every_statement_arrived_once(ralph, ids)
    verbs = {s["verb"]["id"].rsplit("/", 1)[1] for s in ralph.stored() if s["id"] in set(ids)}
    assert {"answered", "mastered"} <= verbs


def test_an_lrs_that_goes_down_mid_run_gets_every_statement_once_when_it_is_back(
    lrs_settings: Any, ralph: Ralph, tasks: SentTasks, course: Course, enrolled_alice: Any,
    enrolled_bob: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    _answers(enrolled_alice, course, 3, django_capture_on_commit_callbacks)  # delivered
    delivered_first = set(OutboxRow.objects.values_list("id", flat=True))
    answer(enrolled_bob, course, "quarters-numeric", right=True)  # pending: no commit hook ran
    assert OutboxRow.objects.filter(status=OutboxRow.Status.PENDING).count() == 1
    ralph.stop()
    _answers(enrolled_bob, course, 4, django_capture_on_commit_callbacks)
    waiting = OutboxRow.objects.exclude(id__in=delivered_first)
    assert waiting.count() >= 5
    assert {row.status for row in waiting} == {OutboxRow.Status.PENDING}
    assert all("ConnectionError" in row.last_error and row.attempts >= 1 for row in waiting)
    assert service.drain() == {}  # still backing off: nothing due

    ralph.start()
    later = timezone.now() + service.MAX_RETRY + timedelta(minutes=1)
    assert service.drain(now=later) == {"xapi": waiting.count()}
    assert set(OutboxRow.objects.values_list("status", flat=True)) == {OutboxRow.Status.SENT}
    # Delivered rows were never posted again (one try each); the others took their retries.
    assert set(OutboxRow.objects.filter(id__in=delivered_first)
               .values_list("attempts", flat=True)) == {1}
    _check_every_statement_arrived_once(ralph, _our_ids())
