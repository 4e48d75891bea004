"""The LMS's iframe in a real browser: a local page plays the LMS and posts the login
initiation into a frame; the tool's cookie check, the platform's sign-in and the signed launch
follow inside it, and the learner answers an exercise there. Their score then reaches the
simulated gradebook."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from courses.lti import grades
from courses.models import Attempt, Course
from courses.outbox import service as outbox
from tests.lti_platform.flow import register
from tests.lti_platform.platform import SimulatedPlatform

pytestmark = pytest.mark.browser


@pytest.fixture
def lms(live_server: Any) -> Iterator[SimulatedPlatform]:
    # The same host as the live server (localhost), another port: a cross-origin frame whose
    # cookies are first-party, as with a tool on the LMS's own domain over plain HTTP.
    with SimulatedPlatform(host="localhost") as platform:
        platform.tool_url = live_server.url
        yield platform


def test_a_learner_launched_in_the_lms_iframe_answers_an_exercise_there(
    browser_page: Page, lms: SimulatedPlatform, course: Course, artifacts_dir: Path
) -> None:
    register(lms)
    lms.launch_claims["lena"] = lms.claims(
        sub="lms-lena", custom={"learnpath_course": course.slug, "learnpath_skill": "quarters"})
    page = browser_page
    page.goto(f"{lms.url}/course?as=lena")
    frame = page.frame_locator("#tool")
    prompt = frame.locator(".prompt")
    expect(prompt).to_contain_text("3/4 as a decimal")  # the skill's first exercise
    frame.get_by_label("Your answer").fill("0.75")
    frame.get_by_role("button", name="Check my answer").click()
    expect(frame.locator("#feedback")).to_have_text("✔ Right!")
    page.screenshot(path=str(artifacts_dir / "lti-iframe-feedback.png"), full_page=True)
    tool_frame = page.frame(name="tool")
    assert tool_frame is not None
    assert re.search(r"/courses/mini/attempts/\d+/$", tool_frame.url)
    attempt = Attempt.objects.get()
    assert attempt.learner.lti_users.get().sub == "lms-lena" and attempt.correct
    assert outbox.deliver(grades.CHANNEL) == 1
    [score] = lms.recorded.scores
    assert score["userId"] == "lms-lena" and score["scoreGiven"] > 20
