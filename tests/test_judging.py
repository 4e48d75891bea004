"""Programs on the site: stored at once as pending submissions (idempotent by client id),
judged in the sandbox by the judge's task, turned into exactly one attempt that feeds the skill
chart and the path like any answer, recovered when a judge dies or a message is lost, and refused
(never run unsandboxed) when the sandbox cannot be set up."""
from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses import jobs
from courses.actions.course_import import CourseDocumentError, import_course
from courses.actions.enrolment import enrol
from courses.judging import service
from courses.judging.models import Submission
from courses.models import Attempt, Course, Exercise, SkillState
from courses.queries.content import course_content
from courses.queries.course_export import export_course
from tests.factories import RIGHT_PROGRAMS, code_course_document

WRONG_ADD = "def add(a, b):\n    return a - b\n"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Tasks sent by name, recorded instead of reaching a broker."""
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


def submit(learner: Any, course: Course, key: str, source: str, *,
           purpose: str = Submission.Purpose.SUBMIT,
           client_id: uuid.UUID | None = None) -> Submission:
    exercise = course_content(course).by_key[key]
    submission, _ = service.submit_program(
        learner=learner, course=course, exercise=exercise, source=source,
        client_id=client_id or uuid.uuid4(), purpose=purpose)
    return submission


def judged(submission: Submission) -> Submission:
    service.judge_submission(submission.pk)
    submission.refresh_from_db()
    return submission


def test_a_program_is_stored_pending_and_queued_on_the_judge_queue_once(
        py: Course, learner: Any, sent: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(learner, py, "add", WRONG_ADD, client_id=client_id)
    again = submit(learner, py, "add", WRONG_ADD, client_id=client_id)
    assert first.pk == again.pk and first.status == Submission.Status.PENDING
    assert Submission.objects.count() == 1 and not Attempt.objects.exists()
    assert sent == [(jobs.JUDGE_SUBMISSION, first.pk, {"queue": jobs.JUDGE_QUEUE})]


def test_a_wrong_program_then_a_right_one_make_two_attempts_and_move_the_chart(
        py: Course, learner: Any, sent: list[Any]) -> None:
    wrong = judged(submit(learner, py, "add", WRONG_ADD))
    assert wrong.outcome == "wrong_answer" and wrong.attempt is not None
    assert wrong.attempt.correct is False and wrong.passed_share == 0.0
    failure = wrong.verdict["first_failure"]
    assert failure["input"] == "add(2, 3)" and str(failure["expected"]) == "5"
    right = judged(submit(learner, py, "add", RIGHT_PROGRAMS["add"]))
    assert right.outcome == "accepted" and right.attempt.correct is True
    assert right.passed_share == 1.0
    assert Attempt.objects.filter(learner=learner).count() == 2
    assert SkillState.objects.get(learner=learner, skill__key="functions").attempts == 2


def test_running_the_examples_judges_only_visible_tests_and_makes_no_attempt(
        py: Course, learner: Any, sent: list[Any]) -> None:
    # Passes both examples, fails the hidden float case: examples alone say accepted.
    integer_only = "def add(a, b):\n    return int(a) + int(b)\n"
    run = judged(submit(learner, py, "add", integer_only, purpose=Submission.Purpose.EXAMPLES))
    assert run.outcome == "accepted" and run.verdict["total"] == 2 and run.attempt is None
    graded = judged(submit(learner, py, "add", integer_only))
    assert graded.outcome == "wrong_answer" and graded.verdict["hidden_failed"] == 1
    assert graded.verdict["first_failure"] is None  # hidden tests only as a count
    assert not Attempt.objects.filter(correct=True).exists()


def test_stdin_programs_are_judged_by_their_output(py: Course, learner: Any,
                                                  sent: list[Any]) -> None:
    assert judged(submit(learner, py, "echo-sum", RIGHT_PROGRAMS["echo-sum"])).outcome == \
        "accepted"
    broken = judged(submit(learner, py, "echo-sum", "print(1/0)\n"))
    assert broken.outcome == "runtime_error" and "ZeroDivisionError" in broken.verdict["message"]


def test_a_judged_submission_is_never_judged_into_a_second_attempt(
        py: Course, learner: Any, sent: list[Any]) -> None:
    submission = judged(submit(learner, py, "add", RIGHT_PROGRAMS["add"]))
    assert service.judge_submission(submission.pk) is None
    # A judge whose lease ran out finishing late changes nothing either.
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.JUDGING, claimed_until=timezone.now() - timedelta(seconds=1))
    service.judge_submission(submission.pk)
    assert Attempt.objects.count() == 1


def test_a_lost_judge_or_message_is_queued_again(py: Course, learner: Any,
                                                 sent: list[Any]) -> None:
    lost_message = submit(learner, py, "add", RIGHT_PROGRAMS["add"])
    lost_judge = submit(learner, py, "add", WRONG_ADD)
    fresh = submit(learner, py, "add", WRONG_ADD)
    long_ago = timezone.now() - timedelta(minutes=5)
    Submission.objects.filter(pk=lost_message.pk).update(submitted_at=long_ago)
    Submission.objects.filter(pk=lost_judge.pk).update(
        submitted_at=long_ago, status=Submission.Status.JUDGING, tries=1,
        claimed_until=timezone.now() - timedelta(seconds=1))
    held = submit(learner, py, "add", WRONG_ADD)
    Submission.objects.filter(pk=held.pk).update(
        submitted_at=long_ago, status=Submission.Status.JUDGING,
        claimed_until=timezone.now() + timedelta(minutes=1))
    sent.clear()
    assert sorted(service.requeue_waiting()) == sorted([lost_message.pk, lost_judge.pk])
    assert fresh.pk not in [args[1] for args in sent]
    assert judged(lost_judge).outcome == "wrong_answer"
    assert service.judge_submission(held.pk) is None  # a live judge holds it


def test_a_submission_that_wore_out_its_tries_is_left_for_an_operator(
        py: Course, learner: Any, sent: list[Any]) -> None:
    submission = submit(learner, py, "add", RIGHT_PROGRAMS["add"])
    Submission.objects.filter(pk=submission.pk).update(
        submitted_at=timezone.now() - timedelta(minutes=5), tries=service.MAX_TRIES)
    assert service.requeue_waiting() == []
    submission.refresh_from_db()
    assert submission.last_error.startswith("Given up")
    assert service.judge_again([submission.pk]) == 1
    assert judged(submission).outcome == "accepted"


def test_without_the_sandbox_nothing_is_run_and_the_submission_waits(
        py: Course, learner: Any, sent: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNPATH_JUDGE_BWRAP", "/nonexistent/bwrap")
    submission = judged(submit(learner, py, "add", RIGHT_PROGRAMS["add"]))
    assert submission.status == Submission.Status.PENDING and submission.attempt is None
    assert "sandbox" in submission.last_error
    monkeypatch.delenv("LEARNPATH_JUDGE_BWRAP")
    assert judged(submission).outcome == "accepted"


@pytest.mark.parametrize("source, message", [
    ("", "Write your program"),
    ("x = 1\n" * 20_000, "at most"),
    ("print('\x00')", "not allowed"),
])
def test_bad_programs_are_refused_and_nothing_is_stored(
        py: Course, learner: Any, sent: list[Any], source: str, message: str) -> None:
    with pytest.raises(Exception, match=message):
        submit(learner, py, "add", source)
    assert not Submission.objects.exists()


def test_a_learner_outside_the_course_cannot_submit(py: Course, bob: Any,
                                                   sent: list[Any]) -> None:
    with pytest.raises(Exception, match="not enrolled"):
        submit(bob, py, "add", RIGHT_PROGRAMS["add"])


def test_the_practice_page_sends_a_program_and_follows_its_verdict(
        py: Course, learner: Any, sent: list[Any]) -> None:
    browser = Client()
    browser.force_login(learner)
    page = browser.get(reverse("exercise", args=["py", "add"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="program-form"' in html and "def add(a, b):" in html and "add(2, 3)" in html
    assert "10, 20" not in html  # hidden tests stay hidden
    ticket = page.context["ticket"]
    sent_page = browser.post(reverse("send_program", args=["py", "add"]), {
        "source": WRONG_ADD, "client_id": str(uuid.uuid4()), "ticket": ticket,
        "purpose": "submit"}, HTTP_ACCEPT="application/json")
    assert sent_page.status_code == 202 and sent_page.json()["done"] is False
    submission = Submission.objects.get()
    assert browser.get(sent_page.json()["poll"]).json()["done"] is False
    service.judge_submission(submission.pk)
    status = browser.get(sent_page.json()["poll"]).json()
    assert status["done"] and not status["accepted"] and "add(2, 3)" in status["html"]
    # The editor now starts from the learner's latest program, to be fixed.
    assert "return a - b" in browser.get(reverse("exercise", args=["py", "add"])).content.decode()
    # Without JavaScript: the form posts, and the submission's page shows the verdict.
    plain = browser.post(reverse("send_program", args=["py", "add"]), {
        "source": RIGHT_PROGRAMS["add"], "client_id": str(uuid.uuid4()), "ticket": ticket})
    assert plain.status_code == 302
    waiting = browser.get(plain["Location"])
    assert b"being judged" in waiting.content
    service.judge_submission(Submission.objects.latest("id").pk)
    done = browser.get(plain["Location"])
    assert done.status_code == 302 and "/attempts/" in done["Location"]
    feedback = browser.get(done["Location"]).content.decode()
    assert "Accepted" in feedback


def test_someone_elses_submission_is_not_found(py: Course, learner: Any, bob: Any,
                                               sent: list[Any]) -> None:
    submission = submit(learner, py, "add", WRONG_ADD)
    enrol(bob, py)
    browser = Client()
    browser.force_login(bob)
    assert browser.get(reverse("submission", args=["py", submission.pk])).status_code == 404
    assert browser.get(reverse("submission_status", args=["py", submission.pk])).status_code \
        == 404


def test_bad_form_posts_get_a_4xx(py: Course, learner: Any, sent: list[Any]) -> None:
    browser = Client()
    browser.force_login(learner)
    url = reverse("send_program", args=["py", "add"])
    no_ticket = browser.post(url, {"source": "x", "client_id": str(uuid.uuid4())},
                             HTTP_ACCEPT="application/json")
    assert no_ticket.status_code == 400 and "expired" in no_ticket.json()["error"]
    assert browser.post(url, {"source": "x", "client_id": "nope"}).status_code == 400
    assert browser.post(reverse("send_program", args=["py", "nope"]), {}).status_code == 404
    assert not Submission.objects.exists()


def test_course_documents_carry_programs_and_refuse_a_failing_reference(db: Any) -> None:
    course = import_course(code_course_document()).course
    exported = export_course(course)
    add = next(item for item in exported["exercises"] if item["key"] == "add")
    assert add["kind"] == "code" and add["code"]["tests"][0]["args"] == [2, 3]
    exported["course"]["slug"] = "py-copy"
    assert import_course(exported).created
    broken = code_course_document(slug="py-broken")
    broken["exercises"][0]["code"]["reference"] = WRONG_ADD
    with pytest.raises(CourseDocumentError, match="reference solution does not pass"):
        import_course(broken)
    malformed = code_course_document(slug="py-malformed")
    malformed["exercises"][0]["code"]["tests"][0] = {"args": [1]}
    with pytest.raises(CourseDocumentError, match=r"exercises\[0\] \(add\)\.code"):
        import_course(malformed)
    assert not Course.objects.filter(slug__in=["py-broken", "py-malformed"]).exists()


def test_the_judge_command_prints_the_verdict_as_json(py: Course, course: Course,
                                                      tmp_path: Any, capsys: Any) -> None:
    program = tmp_path / "add.py"
    program.write_text(WRONG_ADD)
    call_command("judge", "py", "add", str(program))
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["outcome"] == "wrong_answer" and verdict["total"] == 4
    call_command("judge", "py", "add", str(program), "--examples")
    assert json.loads(capsys.readouterr().out)["total"] == 2
    with pytest.raises(CommandError, match="has no exercise"):
        call_command("judge", "py", "nope", str(program))
    with pytest.raises(CommandError, match="not a program"):
        call_command("judge", course.slug, "quarters-text", str(program))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("judge", "py", "add", str(tmp_path / "missing.py"))


def _admin_form(browser: Client, url: str, exercise: Exercise) -> dict[str, Any]:
    """The exercise's change form as the admin shows it, ready to post back."""
    page = browser.get(url)
    form = page.context["adminform"].form
    data = {key: value for key, value in form.initial.items()
            if value is not None and not isinstance(value, list | dict)}
    data.update(skills=[s.pk for s in exercise.skills.all()],
                code_tests=json.dumps(form.initial["code_tests"]), **{
                    "choices-TOTAL_FORMS": 0, "choices-INITIAL_FORMS": 0,
                    "choices-MIN_NUM_FORMS": 0, "choices-MAX_NUM_FORMS": 1000})
    return data


def test_the_admin_edits_a_program_field_by_field_and_refuses_a_failing_reference(
        py: Course, root: Any) -> None:
    browser = Client()
    browser.force_login(root)
    exercise = Exercise.objects.get(course=py, key="add")
    url = f"/admin/courses/exercise/{exercise.pk}/change/"
    page = browser.get(url).content.decode()
    for label in ("Starter code", "Reference solution", "Tests", "CPU seconds", "Memory (MB)"):
        assert label in page
    data = _admin_form(browser, url, exercise)
    assert data["code_reference"] == RIGHT_PROGRAMS["add"]

    refused = browser.post(url, {**data, "code_reference": WRONG_ADD})
    assert refused.status_code == 200
    assert "reference solution does not pass its tests" in refused.content.decode()
    assert "code_reference" in refused.context["adminform"].form.errors
    exercise.refresh_from_db()
    assert exercise.code["reference"] == RIGHT_PROGRAMS["add"]

    no_tests = browser.post(url, {**data, "code_tests": "[]"})
    assert no_tests.status_code == 200 and "code_tests" in no_tests.context["adminform"].form.errors
    not_json = browser.post(url, {**data, "code_tests": "[{"})
    assert not_json.status_code == 200 and "code_tests" in not_json.context["adminform"].form.errors
    slow_wall = browser.post(url, {**data, "code_cpu_seconds": "5", "code_wall_seconds": "1"})
    assert slow_wall.status_code == 200
    assert "code_wall_seconds" in slow_wall.context["adminform"].form.errors
    exercise.refresh_from_db()
    assert exercise.code["tests"] and "limits" not in exercise.code  # nothing stored

    better = {**data, "code_starter": "def add(a, b):\n    return 0\n", "code_memory_mb": "128"}
    assert browser.post(url, better).status_code == 302
    exercise.refresh_from_db()
    assert exercise.code["starter"].endswith("return 0\n")
    assert exercise.code["limits"] == {"memory_mb": 128}
    assert exercise.code["reference"] == RIGHT_PROGRAMS["add"] and len(exercise.code["tests"]) == 4


@pytest.mark.services
def test_a_judge_claims_a_program_while_another_holds_its_course(
    transactional_db: Any, sent: list[Any]
) -> None:
    """Claiming and finishing lock only the submission's row: a judge busy finishing one of a
    course's programs (or anything else holding the course's row) never makes another judge
    skip the course's next program as if it were taken — which left it waiting a minute for
    the requeue (found by ``bench_judge``: most of a burst was skipped)."""
    if connection.vendor != "postgresql":
        if os.environ.get("LEARNPATH_REQUIRE_SERVICES") == "1":
            pytest.fail("CI must run the judge's row-lock test on PostgreSQL")
        pytest.skip("needs PostgreSQL (row locks with SKIP LOCKED)")
    course = import_course(code_course_document()).course
    alice = User.objects.create_user("alice-lock")
    enrol(alice, course)
    waiting = submit(alice, course, "add", RIGHT_PROGRAMS["add"])
    holding, release = threading.Event(), threading.Event()

    def hold_the_course() -> None:
        try:
            with transaction.atomic():
                Course.objects.select_for_update().get(pk=course.pk)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_course)
    holder.start()
    try:
        assert holding.wait(30)
        assert service._claim(waiting.pk) is not None  # skipped before: the course was locked
    finally:
        release.set()
        holder.join(30)
    waiting.refresh_from_db()
    assert waiting.status == Submission.Status.JUDGING and waiting.tries == 1
