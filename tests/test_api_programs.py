"""Programs through the API: stored at once as pending submissions (202, idempotent by client
id), judged by the judge (here its task is run in the test), then read back with the verdict
as the practice page shows it: hidden tests only as a count."""
from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from courses import jobs
from courses.actions.course_import import import_course
from courses.actions.enrolment import enrol
from courses.api.tokens import issue_token
from courses.judging import service
from courses.judging.models import Submission
from courses.models import Attempt, Course
from tests.factories import RIGHT_PROGRAMS, code_course_document

API = "/api/v1/courses/py"
WRONG_ADD = "def add(a, b):\n    return a - b\n"


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(jobs, "send_now",
                        lambda name, *args, **options: sent.append((name, *args, options)))
    return sent


@pytest.fixture
def py(db: Any) -> Course:
    return import_course(code_course_document()).course


@pytest.fixture
def learner(py: Course, alice: Any) -> Any:
    enrol(alice, py)
    return alice


def _auth(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user, 'tests').secret}"}


def send(user: Any, body: dict[str, Any], path: str = "/submissions") -> Any:
    return Client().post(API + path, json.dumps(body), content_type="application/json",
                         **_auth(user))


def read(user: Any, submission_id: int) -> Any:
    return Client().get(f"{API}/submissions/{submission_id}", **_auth(user))


def program(source: str, key: str = "add", **extra: Any) -> dict[str, Any]:
    return {"exercise": key, "source": source, "client_id": str(uuid.uuid4()), **extra}


def test_a_program_is_pending_at_once_then_read_back_judged_into_an_attempt(
    learner: Any, queued: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    body = program(RIGHT_PROGRAMS["add"])
    with django_capture_on_commit_callbacks(execute=True):
        response = send(learner, body)
    assert response.status_code == 202
    pending = response.json()
    assert pending["status"] == "pending" and pending["verdict"] is None
    assert pending["created"] and pending["correct"] is None and pending["attempt"] is None
    assert queued == [(jobs.JUDGE_SUBMISSION, pending["id"], {"queue": jobs.JUDGE_QUEUE})]
    assert not Attempt.objects.exists()  # nothing is judged in the web process

    again = send(learner, body)  # a retry of the same program stores nothing twice
    assert again.status_code == 200 and again.json()["id"] == pending["id"]
    assert not again.json()["created"] and Submission.objects.count() == 1

    service.judge_submission(pending["id"])
    judged = read(learner, pending["id"])
    assert judged.status_code == 200
    shown = judged.json()
    assert shown["status"] == "judged" and shown["correct"] is True
    assert shown["verdict"]["outcome"] == "accepted"
    assert shown["verdict"]["passed"] == shown["verdict"]["total"] == 4
    assert shown["attempt"] == Attempt.objects.get(learner=learner).pk
    assert shown["url"] == f"{API}/submissions/{pending['id']}"


def test_a_wrong_program_shows_the_first_failing_example_and_hides_hidden_tests(
    learner: Any, queued: list[Any]
) -> None:
    sent = send(learner, program(WRONG_ADD)).json()
    service.judge_submission(sent["id"])
    verdict = read(learner, sent["id"]).json()["verdict"]
    assert verdict["outcome"] == "wrong_answer" and verdict["passed"] == 0
    assert verdict["first_failure"] == {"input": "add(2, 3)", "expected": "5", "got": "-1"}
    assert verdict["hidden_failed"] == 2
    assert "30" not in json.dumps(verdict)  # hidden tests' values never leave the server
    assert read(learner, sent["id"]).json()["correct"] is False


def test_running_the_examples_records_no_attempt(learner: Any, queued: list[Any]) -> None:
    sent = send(learner, program(WRONG_ADD, purpose="examples")).json()
    service.judge_submission(sent["id"])
    shown = read(learner, sent["id"]).json()
    assert shown["purpose"] == "examples" and shown["verdict"]["total"] == 2
    assert shown["correct"] is None and shown["attempt"] is None
    assert not Attempt.objects.exists()


@pytest.mark.parametrize(("body", "status"), [
    ({"source": "   "}, 400),  # nothing written
    ({"source": "x" * (service.MAX_SOURCE_CHARS + 1)}, 422),
    ({"exercise": "no-such"}, 404),
    ({"purpose": "judge-twice"}, 422),
    ({"client_id": "not-a-uuid"}, 422),
    ({"source": "print(1)\x00"}, 400),
])
def test_bad_programs_get_a_4xx_and_nothing_is_stored(
    learner: Any, queued: list[Any], body: dict[str, Any], status: int
) -> None:
    response = send(learner, program(RIGHT_PROGRAMS["add"]) | body)
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert not Submission.objects.exists() and not queued


def test_a_client_id_used_for_another_exercise_is_a_conflict(
    learner: Any, queued: list[Any]
) -> None:
    body = program(RIGHT_PROGRAMS["add"])
    assert send(learner, body).status_code == 202
    clash = send(learner, body | {"exercise": "echo-sum"})
    assert clash.status_code == 409 and Submission.objects.count() == 1


def test_the_answer_endpoint_points_programs_to_the_judge(learner: Any, queued: list[Any]) -> None:
    response = send(learner, {"exercise": "add", "answer": "def add(a, b): return a + b",
                              "client_id": str(uuid.uuid4())}, path="/attempts")
    assert response.status_code == 400
    assert "/api/v1/courses/py/submissions" in response.json()["detail"]
    assert not Attempt.objects.exists()


def test_only_the_author_of_a_program_reads_it(
    learner: Any, bob: Any, py: Course, queued: list[Any]
) -> None:
    sent = send(learner, program(RIGHT_PROGRAMS["add"])).json()
    enrol(bob, py)
    assert read(bob, sent["id"]).status_code == 404
    assert read(learner, 2**63).status_code in (404, 422)
    assert Client().get(f"{API}/submissions/{sent['id']}").status_code == 401


def test_a_learner_outside_the_course_cannot_send_programs(
    py: Course, bob: Any, queued: list[Any]
) -> None:
    assert send(bob, program(RIGHT_PROGRAMS["add"])).status_code == 403
    assert not Submission.objects.exists()
