"""Maths in Debian's Chromium: on the demo (``load_demo --learners 8``) with one more exercise
in the demo's style whose prompt has inline and displayed maths, the practice page and the
feedback page show it typeset by the vendored KaTeX, with no console error, no failed request
and no request to anywhere but the site itself (no CDN). Mixed numbers, written ``2 1/3`` or as
KaTeX's ``2\\frac{1}{3}``, stay on one line however narrow the text.

Screenshots of both pages go to the artifacts folder (see conftest): ``practice-maths.png`` is
the one committed as ``static/img/screenshots/practice-maths.png``.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Browser, Page, Request, Response, expect

from courses.management.commands.load_demo import DEMO_PASSWORD
from courses.models import Choice, Course, Exercise

pytestmark = pytest.mark.browser

KEY = "frac-mixed-maths"
PROMPT = ("A recipe needs 2 1/3 cups of flour. Which of these are equal to $2\\frac{1}{3}$? "
          "Select all that apply.\n\nA mixed number is a whole number and a fraction:\n\n"
          "$$2\\frac{1}{3} = 2 + \\frac{1}{3}$$")
OPTIONS = [("$\\frac{7}{3}$", True), ("$\\frac{14}{6}$", True), ("$\\frac{5}{3}$", False),
           ("$\\frac{21}{9}$", True), ("$\\frac{2}{3}$", False)]
SOLUTION = ("Write the whole number in thirds:\n\n"
            "$$2\\frac{1}{3} = \\frac{6}{3} + \\frac{1}{3} = \\frac{7}{3}$$\n\n"
            "$\\frac{14}{6}$ and $\\frac{21}{9}$ simplify to $\\frac{7}{3}$ too; $\\frac{5}{3}$ is "
            "$1\\frac{2}{3}$.")
# Each element's line boxes in a text squeezed to one pixel wide: a mixed number keeps one.
LINES_WHEN_SQUEEZED = """selector => {
  const prompt = document.querySelector('.prompt');
  prompt.style.width = '1px';
  const control = document.createElement('span');
  control.textContent = '2 1/3';
  prompt.appendChild(control);
  const lines = element => element.getClientRects().length;
  return {control: lines(control),
          found: Array.from(prompt.querySelectorAll(selector)).map(lines)};
}"""


@pytest.fixture
def demo_course(transactional_db: Any) -> Course:
    call_command("load_demo", "--learners", "8", "--history-learners", "0",
                 stdout=io.StringIO(), stderr=io.StringIO())
    course = Course.objects.get(slug="fractions")
    exercise = Exercise.objects.create(
        course=course, key=KEY, kind=Exercise.Kind.CHOICE, prompt=PROMPT, difficulty=3,
        hint="Turn $2\\frac{1}{3}$ into an improper fraction first.", solution=SOLUTION)
    exercise.skills.set(course.skills.filter(key__in=["frac-mixed", "frac-equivalent"]))
    for position, (text, correct) in enumerate(OPTIONS):
        Choice.objects.create(exercise=exercise, text=text, is_correct=correct,
                              position=position)
    return course


@pytest.fixture
def practice_page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1100, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _record_problems(page: Page, site: str) -> list[str]:
    """Console errors, uncaught exceptions, failed requests and requests off the site."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def requested(request: Request) -> None:
        if not request.url.startswith((site, "data:")):
            problems.append(f"request off the site: {request.url}")

    def answered(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    page.on("request", requested)
    page.on("requestfailed", lambda request: problems.append(
        f"failed: {request.url} ({request.failure})"))
    page.on("response", answered)
    return problems


def _open_the_exercise_as_ada(page: Page, site: str, course: Course) -> None:
    page.goto(site + reverse("login"))
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form[action$='/logout/']")).to_be_attached()
    page.goto(site + reverse("exercise", args=[course.slug, KEY]))


def _expect_typeset(page: Page, area: str) -> None:
    expect(page.locator(f"{area} .katex").first).to_be_visible()
    expect(page.locator(f"{area} .katex-display .katex").first).to_be_visible()
    expect(page.locator(".math:not(:has(.katex))")).to_have_count(0)  # nothing left as TeX
    expect(page.locator(f"{area} .katex-error")).to_have_count(0)


def test_katex_typesets_the_practice_and_feedback_pages_from_the_site_alone(
    live_server: Any, practice_page: Page, artifacts_dir: Path, demo_course: Course
) -> None:
    page = practice_page
    problems = _record_problems(page, live_server.url)
    _open_the_exercise_as_ada(page, live_server.url, demo_course)
    _expect_typeset(page, ".prompt")
    expect(page.locator("label.option .katex")).to_have_count(len(OPTIONS))
    expect(page.locator(".prompt")).not_to_contain_text("$")
    expect(page.locator(".prompt .number")).to_have_text(re.compile(r"^2\s1/3$"))
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(artifacts_dir / "practice-maths.png"), full_page=True)

    one_of_the_right = Choice.objects.filter(exercise__key=KEY, is_correct=True).first()
    assert one_of_the_right is not None
    page.locator(f'input[name="choice"][value="{one_of_the_right.pk}"]').check()  # not all
    page.get_by_role("button", name="Check my answer").click()
    expect(page).to_have_url(re.compile(rf"/courses/{demo_course.slug}/attempts/\d+/$"))
    expect(page.locator("#feedback")).to_have_text("✘ Not quite.")
    _expect_typeset(page, ".prompt")
    _expect_typeset(page, ".solution")
    expect(page.get_by_text("The right answer").locator(".katex")).to_have_count(3)
    page.screenshot(path=str(artifacts_dir / "feedback-maths.png"), full_page=True)
    assert problems == []


def test_mixed_numbers_stay_on_one_line_however_narrow_the_text(
    live_server: Any, practice_page: Page, demo_course: Course
) -> None:
    page = practice_page
    _open_the_exercise_as_ada(page, live_server.url, demo_course)
    expect(page.locator(".prompt .katex").first).to_be_visible()
    written = page.evaluate(LINES_WHEN_SQUEEZED, ".number")
    assert written["control"] >= 2  # the same text without the span breaks
    assert written["found"] == [1]
    typeset = page.evaluate(LINES_WHEN_SQUEEZED, "p .katex")
    assert typeset["found"] == [1]  # 2\frac{1}{3} in the running text
