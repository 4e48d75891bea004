"""Every dashboard in Debian's Chromium, on the demo data (``load_demo --learners 8``).

Each page must draw all its charts (plotly.js served by the app itself, so no network is
needed) without a single console error or uncaught exception. The teacher clicks a heatmap cell
and lands on that learner's dashboard. Screenshots go to the artifacts folder (see conftest):
``dashboard-learner.png`` and ``dashboard-teacher.png`` are the ones in the README.
"""
from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from courses.management.commands.load_demo import DEMO_CLASS, DEMO_PASSWORD
from courses.models import Cohort
from courses.queries.charts import LEVEL_LABELS

pytestmark = pytest.mark.browser

SCREENSHOT_VIEWPORT = {"width": 1280, "height": 900}
LEVEL_NAMES = set(LEVEL_LABELS.values())
CHARTS_FIT = """() => document.documentElement.scrollWidth <= window.innerWidth
  && Array.from(document.querySelectorAll('.plot')).every(plot =>
       plot.querySelector('.main-svg').getBoundingClientRect().width <= plot.clientWidth + 1)"""


@pytest.fixture
def demo_class(transactional_db: Any) -> Cohort:
    call_command("load_demo", "--learners", "8", "--history-learners", "0",
                 stdout=io.StringIO(), stderr=io.StringIO())
    return Cohort.objects.select_related("course").get(name=DEMO_CLASS)


@pytest.fixture
def wide_page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport=SCREENSHOT_VIEWPORT, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _record_problems(page: Page) -> list[str]:
    """Console errors and uncaught exceptions, collected for the whole visit."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: "
                                                        f"{message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def _sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("form[action$='/logout/']")).to_be_attached()


def _expect_all_charts_drawn(page: Page, names: list[str]) -> None:
    for name in names:
        plot = page.locator(f"#plot-{name}")
        expect(plot).to_have_class(re.compile(r"\bplotted\b"))
        expect(plot.locator(".main-svg").first).to_be_visible()
    expect(page.locator("[data-figure]:not(.plotted)")).to_have_count(0)


def test_learner_dashboard_draws_every_chart(
    live_server: Any, wide_page: Page, artifacts_dir: Path, demo_class: Cohort
) -> None:
    page = wide_page
    problems = _record_problems(page)
    _sign_in(page, live_server.url, "ada")
    page.goto(live_server.url + reverse("course_detail", args=[demo_class.course.slug]))
    page.get_by_role("link", name="My dashboard").click()
    expect(page.get_by_role("heading", name="My dashboard")).to_be_visible()
    _expect_all_charts_drawn(page, ["ability", "graph", "timeline", "activity"])
    graph = json.loads(page.locator("#figure-graph").text_content() or "{}")
    drawn = page.locator("#plot-graph .scatterlayer .point")
    expect(drawn).to_have_count(sum(len(trace["x"]) for trace in graph["data"]))
    nodes = sum(len(trace["x"]) for trace in graph["data"] if trace["name"] in LEVEL_NAMES)
    assert nodes == demo_class.course.skills.count()
    expect(page.locator("#plot-ability .scatterlayer .trace")).to_have_count(2)
    page.screenshot(path=str(artifacts_dir / "dashboard-learner.png"), full_page=True)
    assert problems == []


def test_teacher_sees_the_heatmap_and_drills_into_a_learner(
    live_server: Any, wide_page: Page, artifacts_dir: Path, demo_class: Cohort
) -> None:
    page = wide_page
    problems = _record_problems(page)
    _sign_in(page, live_server.url, "tess")
    page.goto(live_server.url + reverse("teacher_class", args=[demo_class.pk]))
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(rf"/teach/classes/{demo_class.pk}/dashboard/$"))
    _expect_all_charts_drawn(page, ["heatmap"])
    expect(page.locator("#plot-heatmap .hm image")).to_have_count(1)
    rows = demo_class.learners.count()
    expect(page.locator("#plot-heatmap .yaxislayer-above .ytick text")).to_have_count(rows)
    page.screenshot(path=str(artifacts_dir / "dashboard-teacher.png"), full_page=True)

    heatmap = json.loads(page.locator("#figure-heatmap").text_content() or "{}")["data"][0]
    row, column = 2, 5  # off the diagonal, so rows and columns cannot be mixed up
    cells = page.locator("#plot-heatmap .nsewdrag")
    box = cells.bounding_box()
    assert box is not None
    cells.click(position={"x": (column + 0.5) * box["width"] / len(heatmap["x"]),
                          "y": (row + 0.5) * box["height"] / len(heatmap["y"])})
    expect(page).to_have_url(re.compile(
        rf"/teach/classes/{demo_class.pk}/learners/\d+/dashboard/$"))
    expect(page.locator(".crumbs")).to_contain_text(heatmap["y"][row])
    _expect_all_charts_drawn(page, ["ability", "graph", "timeline", "activity"])
    page.screenshot(path=str(artifacts_dir / "dashboard-teacher-learner.png"), full_page=True)

    page.goto(live_server.url + reverse("class_items", args=[demo_class.pk]))
    _expect_all_charts_drawn(page, ["skills", "exercises"])
    page.screenshot(path=str(artifacts_dir / "dashboard-teacher-exercises.png"), full_page=True)
    assert problems == []


@pytest.fixture
def trained_demo(transactional_db: Any) -> Cohort:
    """The demo with enough learners for a first model (training needs at least 10)."""
    call_command("load_demo", "--learners", "10", "--history-learners", "0",
                 stdout=io.StringIO(), stderr=io.StringIO())
    return Cohort.objects.select_related("course").get(name=DEMO_CLASS)


def test_admin_sees_the_models(
    live_server: Any, wide_page: Page, artifacts_dir: Path, trained_demo: Cohort
) -> None:
    demo_class = trained_demo
    page = wide_page
    problems = _record_problems(page)
    _sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + reverse("admin:courses_modelversion_changelist"))
    page.get_by_role("link", name="Model dashboard").click()
    expect(page.get_by_role("heading", name=f"Models of {demo_class.course.title}")).to_be_visible()
    _expect_all_charts_drawn(page, ["model-metrics", "model-curves", "model-reliability-1",
                                    "model-volume"])
    expect(page.locator("#plot-model-metrics .scatterlayer .trace")).to_have_count(2)
    # The reliability plot: the diagonal, the model's and the chart's bins, the count bars.
    expect(page.locator("#plot-model-reliability-1 .scatterlayer .trace")).to_have_count(3)
    expect(page.locator("#plot-model-reliability-1 .barlayer .trace")).to_have_count(1)
    # Every chart fits its box and the page fits 1280 px, once the admin's sidebar has opened
    # (it opens after the charts are first drawn); times out otherwise.
    page.wait_for_function(CHARTS_FIT)
    page.screenshot(path=str(artifacts_dir / "dashboard-models.png"), full_page=True)
    assert problems == []
