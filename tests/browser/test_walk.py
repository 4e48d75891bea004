"""A new learner plays 15 answers, right and wrong, through the demo course in a real browser,
taking the path's first step each time ("Next exercise"), and the path behaves like a tutor:
no exercise comes back while unseen ones fit, and after each wrong answer the next step stays
with the failed skill at an easier level (or, with none left, the easiest left) or goes back to a
prerequisite, saying so."""
from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Page, expect

from courses.actions.enrolment import enrol
from courses.models import Course, Exercise
from courses.queries.graphs import skill_graph_for
from tests.browser.test_practice import _answer
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PATTERN = [True, True, False, True, False, False, True, True, True, False, True, True, False,
           True, True]


@pytest.fixture
def demo_course(transactional_db: Any) -> Course:
    call_command("load_demo", "--learners", "8", "--history-learners", "0",
                 stdout=io.StringIO(), stderr=io.StringIO())
    return Course.objects.get(slug="fractions")


def test_a_learner_walks_the_path_like_a_tutor_would_lead(
    live_server: Any, browser_page: Page, demo_course: Course
) -> None:
    walker = get_user_model().objects.create_user("walker", password=PASSWORD)
    enrol(walker, demo_course)
    graph = skill_graph_for(demo_course)
    page = browser_page
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill("walker")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + reverse("course_detail", args=[demo_course.slug]))
    page.get_by_role("link", name="Practise the next exercise").click()

    shown: list[Exercise] = []
    for number, right in enumerate(PATTERN, start=1):
        card = page.locator("article.exercise")
        expect(card).to_be_visible()
        exercise = Exercise.objects.get(course=demo_course, key=card.get_attribute("data-exercise"))
        assert exercise.key not in {e.key for e in shown}, f"answer {number} repeats"
        if shown and not PATTERN[number - 2]:
            failed = shown[-1]
            failed_skills = {s.key for s in failed.skills.all()}
            skills = {s.key for s in exercise.skills.all()}
            prerequisites = {p for s in failed_skills for p in graph.prerequisites(s)}
            same = skills <= failed_skills
            no_harder = same and exercise.difficulty <= failed.difficulty
            # Nothing as easy is left on the skill and it has no prerequisite: the easiest left.
            left = [e.difficulty for e in Exercise.objects.filter(course=demo_course,
                                                                  skills__key__in=skills)
                    if e.key not in {s.key for s in shown}]
            easiest_left = same and not prerequisites and exercise.difficulty == min(left)
            assert no_harder or skills <= prerequisites or easiest_left, (
                number, failed.key, exercise.key)
        shown.append(exercise)
        _answer(page, exercise, right)
        first_step = page.locator("#learning-path .path-item").first
        expect(first_step).to_be_visible()
        reason = first_step.locator(".reason").inner_text()
        if not right:
            assert reason.startswith("After your wrong answer on"), (number, reason)
        else:
            assert "After your wrong answer" not in reason, (number, reason)
        page.get_by_role("link", name="Next exercise").click()
        expect(page).to_have_url(re.compile(rf"/courses/{demo_course.slug}/exercises/"))
    assert len(shown) == len(PATTERN)
