"""Practice with the keyboard alone, in Debian's Chromium: a learner signs in, tabs to the
options, picks one with the arrow keys and Space, submits with Space, lands on the feedback with
the focus on its heading (inside a status region, so screen readers announce it), tabs to "Next
exercise" and opens it with Enter; types a number and sends it with Enter; writes a program in
the CodeMirror editor, where Tab indents and Escape then Tab moves on to the buttons, also when
that Escape closes a completion list. No mouse event is used."""
from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from courses.actions.course_import import import_course
from courses.actions.enrolment import enrol
from courses.models import Course, Exercise
from tests.conftest import PASSWORD
from tests.factories import code_course_document

pytestmark = pytest.mark.browser

FOCUSED = "selector => document.activeElement && document.activeElement.matches(selector)"


def _tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Presses Tab until the focus is on an element matching ``selector``."""
    for _ in range(limit):
        if page.evaluate(FOCUSED, selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def _sign_in_by_keyboard(page: Page, base_url: str) -> None:
    page.goto(base_url + reverse("login"))
    _tab_to(page, "input[name=username]")
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("form[action$='/logout/']")).to_be_attached()


def _expect_feedback_announced(page: Page, text: str) -> None:
    feedback = page.locator("#feedback")
    expect(feedback).to_have_text(text)
    expect(feedback).to_be_focused()
    assert page.evaluate("() => document.activeElement.tagName") == "H1"
    expect(page.locator("[role=status]").filter(has=feedback)).to_have_count(1)


def test_a_learner_practises_with_the_keyboard_alone(
    live_server: Any, browser_page: Page, course: Course, enrolled_alice: Any
) -> None:
    page = browser_page
    base = live_server.url
    _sign_in_by_keyboard(page, base)

    page.goto(base + reverse("exercise", args=[course.slug, "halves-choice"]))
    right = Exercise.objects.get(course=course, key="halves-choice").choices.get(is_correct=True)
    _tab_to(page, "input[name=choice]")
    for _ in range(4):  # arrow keys move through the options; Space picks the focused one
        if page.evaluate(FOCUSED, f'input[value="{right.pk}"]'):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(page.locator(f'input[value="{right.pk}"]')).to_be_checked()
    _tab_to(page, "#submit-answer")
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(rf"/courses/{course.slug}/attempts/\d+/$"))
    _expect_feedback_announced(page, "✔ Right!")

    _tab_to(page, "#next-exercise")
    page.keyboard.press("Enter")
    expect(page.locator("article.exercise")).to_be_visible()

    page.goto(base + reverse("exercise", args=[course.slug, "quarters-numeric"]))
    _tab_to(page, "#id_answer")
    page.keyboard.type("0.5")
    page.keyboard.press("Enter")
    _expect_feedback_announced(page, "✘ Not quite.")
    expect(page.get_by_text("The right answer")).to_be_visible()


def test_the_code_editor_lets_the_keyboard_leave(
    live_server: Any, browser_page: Page, alice: Any
) -> None:
    code_course = import_course(code_course_document()).course
    enrol(alice, code_course)
    page = browser_page
    _sign_in_by_keyboard(page, live_server.url)
    page.goto(live_server.url + reverse("exercise", args=[code_course.slug, "add"]))
    expect(page.locator("#editor-keys")).to_contain_text("Escape, then Tab")
    _tab_to(page, ".cm-content")
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("def add(a, b):\n")
    page.keyboard.press("Tab")  # indents: the focus stays in the editor
    assert page.evaluate(FOCUSED, ".cm-content")
    page.keyboard.type("return a + b")
    expect(page.locator(".cm-tooltip-autocomplete")).to_be_visible()  # names are offered
    page.keyboard.press("Escape")  # closes the completion list and arms Tab to leave
    page.keyboard.press("Tab")
    expect(page.locator("#run-examples")).to_be_focused()
    source = page.locator("#id_source").input_value()
    assert re.search(r"def add\(a, b\):\n\s+return a \+ b", source), source
