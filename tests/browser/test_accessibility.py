"""Every page a learner, a teacher, an admin and a visitor sees, in Debian's Chromium on one
seeded demo (``load_demo --learners 10``, so a first model exists): axe-core (vendored, see
vendor/BUILD.md) finds no serious or critical violation; every Plotly chart has a table next to
it; the course page and the dashboards fit a 375 px screen and the model dashboard a 1280 px one
without sideways scrolling. One browser and one database serve every page, so the test stays
short; a failure lists every page and rule at once.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from courses.actions.assignments import AssignmentSpec, create_assignment
from courses.actions.placement import add_placement_check
from courses.assignments import Assignment
from courses.judging.models import Submission
from courses.lti import deep_linking
from courses.management.commands.load_demo import DEMO_CLASS, DEMO_PASSWORD
from courses.models import Attempt, Cohort, Course, Exercise, ModelVersion, Skill
from tests.browser.axe import blocking_violations
from tests.test_access_matrix import _lti_objects

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
# A chart's table alternative: a table in the chart's own card (shown under "Show as a table").
CHARTS_WITHOUT_TABLE = """() => Array.from(document.querySelectorAll('[data-figure]'))
  .filter(plot => !plot.closest('section, .dash-card, .card')?.querySelector('table'))
  .map(plot => plot.id)"""


@dataclass(frozen=True)
class Demo:
    fractions: Course
    python: Course
    cohort: Cohort
    classmate_id: int
    assignment_id: int


@pytest.fixture
def demo(transactional_db: Any) -> Demo:
    call_command("load_demo", "--learners", "10", "--history-learners", "0",
                 stdout=io.StringIO(), stderr=io.StringIO())
    cohort = Cohort.objects.select_related("course").get(name=DEMO_CLASS)
    classmate = cohort.learners.exclude(username="ada").order_by("username").first()
    assert classmate is not None
    python = Course.objects.exclude(pk=cohort.course_id).get()
    skill = Skill.objects.filter(course=cohort.course).order_by("key").first()
    assert skill is not None
    assignment = create_assignment(cohort.teacher, cohort, AssignmentSpec(
        title="Fractions first", kind=Assignment.Kind.SKILLS,
        due_at=timezone.now() + timedelta(days=7), skill_keys=(skill.key,)))
    return Demo(cohort.course, python, cohort, classmate.pk, assignment.pk)


@pytest.fixture
def contexts(chromium: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _signed_in(chromium: Browser, contexts: list[BrowserContext], base_url: str,
               username: str | None, viewport: dict[str, int] = WIDE) -> Page:
    context = chromium.new_context(viewport=viewport, locale="en-US")  # type: ignore[arg-type]
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    if username is not None:
        page.goto(base_url + reverse("login"))
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("form[action$='/logout/']")).to_be_attached()
    return page


def _settled(page: Page) -> None:
    """Waits for every chart to be drawn and a pending learning path to arrive."""
    expect(page.locator("[data-figure]:not(.plotted)")).to_have_count(0)
    expect(page.locator("#learning-path[aria-busy=true]")).to_have_count(0)


def _exercise(course: Course, kind: str, multiple: bool | None = None) -> Exercise:
    exercises = Exercise.objects.filter(course=course, kind=kind).prefetch_related("choices")
    return next(e for e in exercises.order_by("key") if multiple is None
                or (sum(c.is_correct for c in e.choices.all()) > 1) == multiple)


def _learner_pages(demo: Demo) -> list[str]:
    fractions, python = demo.fractions, demo.python
    ada_attempts = Attempt.objects.filter(learner__username="ada", course=fractions)
    right = ada_attempts.filter(correct=True).latest("id")
    wrong = ada_attempts.filter(correct=False).latest("id")
    exercises = [_exercise(fractions, "choice", multiple=False),
                 _exercise(fractions, "choice", multiple=True),
                 _exercise(fractions, "numeric"), _exercise(fractions, "text"),
                 _exercise(python, "code")]
    add_placement_check(right.learner, fractions)
    submission = Submission.objects.create(
        learner=right.learner, course=python, exercise=exercises[-1],
        source="def f():\n    return 1\n", started_at=timezone.now())
    return [
        reverse("home"),
        reverse("course_detail", args=[fractions.slug]),
        reverse("course_detail", args=[python.slug]),
        *(reverse("exercise", args=[e.course.slug, e.key]) for e in exercises),
        reverse("attempt_feedback", args=[fractions.slug, right.pk]),
        reverse("attempt_feedback", args=[fractions.slug, wrong.pk]),
        reverse("submission", args=[python.slug, submission.pk]),
        reverse("learner_dashboard", args=[fractions.slug]),
        reverse("placement", args=[fractions.slug]),  # a question of a check under way
        reverse("api_tokens"),
        reverse("language"),
        reverse("my_data"),
        reverse("remove_account"),
        reverse("teacher_classes"),  # a learner is refused: the 403 page
        "/no/such/page/",  # the 404 page
    ]


def _teacher_pages(demo: Demo) -> list[str]:
    cohort_id = demo.cohort.pk
    return [
        reverse("teacher_classes"),
        reverse("teacher_class", args=[cohort_id]),
        reverse("teacher_learner", args=[cohort_id, demo.classmate_id]),
        reverse("class_dashboard", args=[cohort_id]),
        reverse("class_items", args=[cohort_id]),
        reverse("teacher_learner_dashboard", args=[cohort_id, demo.classmate_id]),
        reverse("class_assignments_dashboard", args=[cohort_id]),
        reverse("teacher_assignments", args=[cohort_id]),
        reverse("teacher_assignment", args=[cohort_id, demo.assignment_id]),
        reverse("lti_roster", args=[cohort_id]),
    ]


def _admin_pages(demo: Demo) -> list[str]:  # the admin pages the product adds or shapes
    fractions = demo.fractions
    exercise = _exercise(fractions, "choice", multiple=False)
    skill = Skill.objects.filter(course=fractions).first()
    assert skill is not None and ModelVersion.objects.exists()
    return [
        reverse("admin:index"),
        reverse("admin:courses_course_changelist"),
        reverse("admin:courses_course_import"),
        reverse("admin:courses_course_import_bank", args=[fractions.pk]),
        reverse("admin:courses_course_import_attempts", args=[fractions.pk]),
        reverse("admin:courses_exercise_change", args=[exercise.pk]),
        reverse("admin:courses_exercise_preview", args=[exercise.pk]),
        reverse("admin:courses_skill_change", args=[skill.pk]),
        reverse("admin:courses_modelversion_changelist"),
        reverse("admin:courses_modelversion_dashboard"),
        reverse("admin:api_apitoken_add"),
        reverse("admin:courses_assignment_change", args=[demo.assignment_id]),
    ]


def _visitor_pages() -> list[str]:
    return [reverse("login"), reverse("language"), reverse("lti_login")]


def _rendered_pages() -> dict[str, str]:
    """Pages no plain visit reaches: the server error page and the LMS's content selection.
    Each is rendered here and shown in the browser at the site's address, with its styles."""
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return {
        "500.html": render_to_string("500.html", request=request),
        "lti/deep_link.html": render_to_string(
            "lti/deep_link.html", {"token": "t", "choices": deep_linking.choices()},
            request=request),
    }


def _check(page: Page, base_url: str, path: str, found: dict[str, list[str]]) -> None:
    page.goto(base_url + path)
    _settled(page)
    problems = blocking_violations(page)
    missing_tables = page.evaluate(CHARTS_WITHOUT_TABLE)
    if missing_tables:
        problems.append(f"charts without a table: {missing_tables}")
    if problems:
        found[path] = problems


def _overflow(page: Page, base_url: str, path: str, width: int) -> int | None:
    page.goto(base_url + path)
    _settled(page)
    try:  # charts follow the width once drawn: a moment's grace
        page.wait_for_function(f"() => document.documentElement.scrollWidth <= {width}",
                               timeout=3_000)
    except PlaywrightTimeout:
        return int(page.evaluate("() => document.documentElement.scrollWidth"))
    return None


def test_every_page_passes_axe_and_fits_the_screen(
    live_server: Any, chromium: Browser, contexts: list[BrowserContext], demo: Demo
) -> None:
    base = live_server.url
    _lti_objects(demo.cohort, demo.cohort.learners.get(username="ada"))
    found: dict[str, list[str]] = {}
    for username, paths in [("ada", _learner_pages(demo)), ("tess", _teacher_pages(demo)),
                            ("admin", _admin_pages(demo)), (None, _visitor_pages())]:
        page = _signed_in(chromium, contexts, base, username)
        for path in paths:
            _check(page, base, path, found)
    for name, html in _rendered_pages().items():
        page.goto(base + "/")
        page.set_content(html)
        if problems := blocking_violations(page):
            found[name] = problems
    assert found == {}, "\n".join(f"{path}:\n  " + "\n  ".join(lines)
                                  for path, lines in found.items())

    too_wide: dict[str, int] = {}
    phone = _signed_in(chromium, contexts, base, "ada", PHONE)
    for path in [reverse("course_detail", args=[demo.fractions.slug]),
                 reverse("learner_dashboard", args=[demo.fractions.slug])]:
        if (width := _overflow(phone, base, path, PHONE["width"])) is not None:
            too_wide[path] = width
    phone = _signed_in(chromium, contexts, base, "tess", PHONE)
    for path in _teacher_pages(demo)[3:7]:  # the class's dashboards
        if (width := _overflow(phone, base, path, PHONE["width"])) is not None:
            too_wide[path] = width
    admin = _signed_in(chromium, contexts, base, "admin", WIDE)
    path = reverse("admin:courses_modelversion_dashboard")
    if (width := _overflow(admin, base, path, WIDE["width"])) is not None:
        too_wide[path] = width
    assert too_wide == {}, too_wide
