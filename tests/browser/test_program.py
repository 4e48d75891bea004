"""A learner writes a program in the browser (issue #16, "Done when"): on a code exercise of a
small code course, the CodeMirror editor takes a wrong solution, "Run examples" shows the
examples' verdict without storing an attempt, "Submit" shows the wrong answer with the failing
example, the fixed program is accepted and the feedback page shows the learning path moved on.

The judge worker is played by a background thread: ``courses.jobs.send_now`` is patched so that a
queued judge task runs ``judge_submission`` in the real sandbox (bubblewrap) off the web thread,
as the worker would; every other task is ignored.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from playwright.sync_api import Page, expect

from courses import jobs
from courses.actions.course_import import import_course
from courses.actions.enrolment import enrol
from courses.judging.models import Submission
from courses.judging.service import judge_submission
from courses.models import Attempt, Course
from tests.conftest import PASSWORD
from tests.factories import code_course_document

pytestmark = pytest.mark.browser

KEY = "add"
WRONG = "def add(a, b): return a - b"
RIGHT = "def add(a, b): return a + b"


@pytest.fixture
def code_course(transactional_db: Any) -> Course:
    return import_course(code_course_document()).course


@pytest.fixture
def learner(code_course: Course) -> Any:
    user = get_user_model().objects.create_user("coder", password=PASSWORD)
    enrol(user, code_course)
    return user


@pytest.fixture
def judge_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[threading.Thread]]:
    """Judge tasks run in a thread of their own, as a judge worker would run them."""
    threads: list[threading.Thread] = []

    def judge(submission_id: int) -> None:
        try:
            judge_submission(submission_id)
        finally:
            connection.close()

    def send_now(task_name: str, *args: Any, queue: str | None = None,
                 expires: float | None = None) -> None:
        if task_name != jobs.JUDGE_SUBMISSION:
            return
        assert queue == jobs.JUDGE_QUEUE
        thread = threading.Thread(target=judge, args=args, daemon=True)
        threads.append(thread)
        thread.start()

    monkeypatch.setattr(jobs, "send_now", send_now)
    yield threads
    for thread in threads:
        thread.join(timeout=30)


def _type_program(page: Page, source: str) -> None:
    """Replaces the editor's program, typing as a learner would."""
    editor = page.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(source)
    expect(editor).to_have_text(source)


def _path_steps(page: Page) -> list[str]:
    """The path panel's steps once it is ready (the pending panel is replaced by the planned
    one): the exercises' keys, in order."""
    ready = page.locator("#learning-path:not([aria-busy])")
    expect(ready).to_be_visible()
    expect(ready.locator("h2")).to_have_text("Your learning path")
    return [key or "" for key in ready.locator(".path-item").evaluate_all(
        "items => items.map(item => item.dataset.exercise)")]


def test_learner_fixes_a_program_and_the_path_moves_on(
    live_server: Any, browser_page: Page, artifacts_dir: Path, code_course: Course,
    learner: Any, judge_worker: list[threading.Thread],
) -> None:
    page = browser_page
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill("coder")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My courses")).to_be_visible()

    page.goto(live_server.url + reverse("course_detail", args=[code_course.slug]))
    before = _path_steps(page)
    assert before[:1] == [KEY], before  # the only exercise without prerequisites comes first

    page.goto(live_server.url + reverse("exercise", args=[code_course.slug, KEY]))
    expect(page.locator(".cm-editor")).to_be_visible()
    expect(page.locator("textarea#id_source")).to_be_hidden()
    result = page.locator("#program-result")

    # Run examples: a verdict on the visible examples, no attempt stored.
    _type_program(page, WRONG)
    page.locator("#run-examples").click()
    examples = result.locator(".verdict")
    expect(examples).to_contain_text("Examples: Wrong answer.")
    expect(examples).to_have_attribute("data-outcome", "wrong_answer")
    expect(examples).to_contain_text("0 of 2 tests passed")
    assert not Attempt.objects.filter(learner=learner).exists()
    assert list(Submission.objects.filter(learner=learner).values_list("purpose", flat=True)) \
        == [Submission.Purpose.EXAMPLES]

    # Submit the wrong program: the first failing example, expected and got.
    expect(page.locator("#submit-program")).to_be_enabled()
    page.locator("#submit-program").click()
    verdict = result.locator(".verdict")
    expect(verdict).to_have_attribute("data-outcome", "wrong_answer")
    expect(verdict).not_to_contain_text("Examples:")
    expect(verdict).to_contain_text("Wrong answer.")
    failure = verdict.locator("dl.failure")
    expect(failure.locator("dd").nth(0)).to_have_text("add(2, 3)")
    expect(failure.locator("dd").nth(1)).to_have_text("5")
    expect(failure.locator("dd").nth(2)).to_have_text("-1")
    expect(verdict).to_contain_text("2 hidden tests failed")
    page.screenshot(path=str(artifacts_dir / "program-wrong.png"), full_page=True)
    assert [(a.exercise.key, a.correct) for a in Attempt.objects.filter(learner=learner)] \
        == [(KEY, False)]

    # Fix it in the editor and submit again: accepted, on to the feedback page.
    expect(page.locator("#submit-program")).to_be_enabled()
    _type_program(page, RIGHT)
    page.locator("#submit-program").click()
    expect(page).to_have_url(re.compile(rf"/courses/{code_course.slug}/attempts/\d+/$"))
    expect(page.locator(".verdict")).to_contain_text("Accepted")
    expect(page.locator(".verdict")).to_have_attribute("data-outcome", "accepted")

    # The path, ready (planned after the answer), has moved on from the solved exercise.
    # The solved exercise is neither its first step nor anywhere on it.
    after = _path_steps(page)
    assert after != before, after
    assert KEY not in after, after
    page.screenshot(path=str(artifacts_dir / "program-accepted.png"), full_page=True)

    stored = list(Attempt.objects.filter(learner=learner).order_by("id"))
    assert [(a.exercise.key, a.correct) for a in stored] == [(KEY, False), (KEY, True)]
    assert Submission.objects.filter(learner=learner).count() == 3
    assert len(judge_worker) == 3
    assert problems == []


def test_an_author_edits_a_program_in_the_admin_editor(
    live_server: Any, browser_page: Page, code_course: Course,
) -> None:
    """The admin's starter and reference fields are Python editors; a reference solution typed
    wrong is refused on saving, with the judge's reason beside the field."""
    get_user_model().objects.create_superuser("author", password=PASSWORD)
    page = browser_page
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Username").fill("author")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    exercise = code_course.exercises.get(key=KEY)
    page.goto(live_server.url + reverse("admin:courses_exercise_change", args=[exercise.pk]))
    editors = page.locator(".cm-editor")
    expect(editors).to_have_count(2)  # starter and reference
    reference = editors.nth(1).locator(".cm-content")
    expect(reference).to_contain_text("return a + b")
    reference.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(WRONG)
    page.locator("input[name=_continue]").click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-code_reference .errorlist")).to_contain_text(
        "reference solution does not pass its tests")
    exercise.refresh_from_db()
    assert exercise.code["reference"].strip().endswith("return a + b")
    assert problems == []
