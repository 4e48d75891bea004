"""A learner in a real browser: signs in, answers one exercise right and one wrong, and reads the
feedback. Screenshots of the exercise page and the feedback page go to the artifacts folder
(see conftest).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from courses.models import Attempt, Course, Exercise
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + reverse("home"))
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My courses")).to_be_visible()


def _shown_exercise(page: Page, course: Course) -> Exercise:
    card = page.locator("article.exercise")
    expect(card).to_be_visible()
    exercise = Exercise.objects.get(course=course, key=card.get_attribute("data-exercise"))
    expect(page.locator(".prompt")).to_contain_text(exercise.prompt)
    return exercise


def _answer(page: Page, exercise: Exercise, right: bool) -> None:
    """Fills in the form the way a learner would: ticking options or typing."""
    if exercise.kind == Exercise.Kind.CHOICE:
        choices = exercise.choices.all()
        picked = [c for c in choices if c.is_correct] if right else [
            next(c for c in choices if not c.is_correct)
        ]
        for choice in picked:
            # By its id: the label is the rendered text (KaTeX for maths), not the source.
            page.locator(f'input[name="choice"][value="{choice.pk}"]').check()
    elif exercise.kind == Exercise.Kind.NUMERIC:
        value = exercise.numeric_answer if right else exercise.numeric_answer + 1
        page.get_by_label("Your answer").fill(f"{value:g}")
    else:
        page.get_by_label("Your answer").fill(
            exercise.accepted_answers[0] if right else "no idea"
        )
    page.get_by_role("button", name="Check my answer").click()
    expect(page).to_have_url(re.compile(rf"/courses/{exercise.course.slug}/attempts/\d+/$"))


def test_learner_practises_and_sees_feedback(
    live_server: Any, browser_page: Page, artifacts_dir: Path, course: Course,
    enrolled_alice: Any,
) -> None:
    page = browser_page
    _sign_in(page, live_server.url, "alice")
    page.get_by_role("link", name="Practise", exact=True).click()
    first = _shown_exercise(page, course)
    expect(page.get_by_role("button", name="Check my answer")).to_be_enabled()
    page.screenshot(path=str(artifacts_dir / "practice-page.png"), full_page=True)

    _answer(page, first, right=True)
    expect(page.locator("#feedback")).to_have_text("✔ Right!")
    expect(page.get_by_text("The right answer")).to_have_count(0)

    page.get_by_role("link", name="Next exercise").click()
    second = _shown_exercise(page, course)
    _answer(page, second, right=False)
    expect(page.locator("#feedback")).to_have_text("✘ Not quite.")
    expect(page.get_by_text("The right answer")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "practice-feedback.png"), full_page=True)

    stored = list(Attempt.objects.filter(learner=enrolled_alice).order_by("id"))
    assert [(a.exercise, a.correct) for a in stored] == [(first, True), (second, False)]
