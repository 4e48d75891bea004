"""The learner dashboard: its data and figures, and who may open it.

alice learns in tess's class ("Class 1"); bob is in ted's class; root is a superuser. The course is
the small one from ``tests.factories``: halves -> quarters -> adding.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import plotly.graph_objects as go
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.actions.enrolment import add_to_cohort
from courses.dashboards.figures import LEVEL_COLOURS
from courses.dashboards.figures.learner import ability_figure, skill_graph_figure
from courses.dashboards.graph_layout import graph_layout
from courses.dashboards.learner import (
    ACTIVITY_DAYS,
    MAX_ATTEMPT_SECONDS,
    class_ability,
    learner_dashboard,
)
from courses.models import Cohort, Course, SkillState
from courses.queries import graphs
from courses.queries.charts import ESTIMATED_LABEL
from courses.queries.graphs import skill_graph_for
from courses.queries.per_content import PerContent
from courses.recommend import course_view
from learnpath import mastery
from learnpath.skillgraph import SkillGraph, SkillSpec
from tests.factories import answer


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _specs(order: list[int]) -> list[SkillSpec]:
    specs = [
        SkillSpec("a", "A"), SkillSpec("b", "B"), SkillSpec("c", "C", ("b",)),
        SkillSpec("d", "D", ("a",)), SkillSpec("e", "E", ("c", "d")),
    ]
    return [specs[i] for i in order]


def test_layout_draws_prerequisites_left_of_their_skills_and_is_stable() -> None:
    graph = SkillGraph(_specs([0, 1, 2, 3, 4]))
    layout = graph_layout(graph)
    for prerequisite, skill in graph.graph.edges:
        assert layout[prerequisite][0] < layout[skill][0]
    assert layout == graph_layout(SkillGraph(_specs([4, 2, 0, 3, 1])))
    assert {x for x, _ in layout.values()} == {0.0, 1.0, 2.0}


def test_layout_orders_a_level_by_its_prerequisites_so_edges_do_not_cross() -> None:
    layout = graph_layout(SkillGraph(_specs([0, 1, 2, 3, 4])))
    y = {key: position[1] for key, position in layout.items()}
    # By key alone c would sit above d although c follows b (below a): the sweep swaps them.
    assert y["a"] > y["b"]
    assert y["d"] > y["c"]


def test_dashboard_shows_the_chart_radar_frontier_and_path(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    answer(alice, course, "halves-choice", True)
    answer(alice, course, "halves-choice", True)
    data = learner_dashboard(alice, course)
    assert [row.key for row in data.chart.rows] == ["halves", "quarters", "adding"]
    assert data.class_name == "Class 1"
    radar = {trace["name"]: trace for trace in data.figures["ability"]["data"]}
    own = dict(zip(radar["You"]["theta"], radar["You"]["r"], strict=True))
    assert own == {area: round(100 * p) for area, p in data.chart.ability.items()}
    # alice is the only learner of the class: the class average is her own chart.
    assert radar["Class average (Class 1)"]["r"] == radar["You"]["r"]
    graph = {trace["name"]: trace for trace in data.figures["graph"]["data"]}
    layout = graph_layout(skill_graph_for(course))
    ready = set(zip(graph["Ready to learn"]["x"], graph["Ready to learn"]["y"], strict=True))
    assert ready == {layout[key] for key in data.chart.ready_to_learn}
    path_skills = list(dict.fromkeys(item.skill_key for item in data.path.items))
    assert path_skills
    ring = graph["Recommended path"]
    assert list(zip(ring["x"], ring["y"], strict=True)) == [layout[key] for key in path_skills]
    first_steps = [int(text.split(",")[0]) for text in ring["text"]]
    assert first_steps[0] == 1
    assert first_steps == sorted(first_steps)
    assert sum(len(trace["x"]) for name, trace in graph.items()
               if name in {"Not started", "Attempted", "Familiar", "Proficient", "Mastered"}) == 3


def test_class_average_counts_learners_without_answers_as_zero(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    carol = get_user_model().objects.create_user("carol")
    add_to_cohort(cohort, carol)
    answer(alice, course, "halves-choice", True)
    graph = skill_graph_for(course)
    own = learner_dashboard(alice, course).chart.ability
    average = class_ability(cohort, graph)
    assert average == pytest.approx({area: p / 2 for area, p in own.items()})
    assert average["Basics"] > 0


def test_timeline_shows_chosen_skills_and_hides_the_others(
    course: Course, enrolled_alice: Any
) -> None:
    answer(enrolled_alice, course, "halves-choice", True)
    answer(enrolled_alice, course, "quarters-numeric", False)
    default = learner_dashboard(enrolled_alice, course)
    assert [(item.key, item.chosen) for item in default.timeline] == [
        ("halves", True), ("quarters", True)
    ]
    picked = learner_dashboard(
        enrolled_alice, course, chosen_skills=["quarters", "no-such-skill"]
    )
    traces = {t["name"]: t for t in picked.figures["timeline"]["data"]}
    assert traces["Quarters"]["visible"] is True
    assert traces["Halves"]["visible"] == "legendonly"
    quarters = next(item for item in picked.timeline if item.key == "quarters")
    state = SkillState.objects.get(learner=enrolled_alice, skill__key="quarters")
    assert quarters.latest_percent == round(100 * state.p_mastery)
    assert quarters.updates == 1


def test_practice_per_day_counts_answers_and_caps_the_time_of_oneanswer(
    course: Course, enrolled_alice: Any
) -> None:
    today = timezone.localdate()
    # Noon two days ago: the two answers five minutes apart fall on one day whatever the hour
    # the test runs at (just before midnight they straddled two).
    two_days_ago = timezone.localtime().replace(hour=12, minute=0, second=0,
                                                microsecond=0) - timedelta(days=2)
    answer(enrolled_alice, course, "halves-choice", True, at=two_days_ago, seconds=30)
    answer(enrolled_alice, course, "halves-choice", False, at=two_days_ago + timedelta(minutes=5),
            seconds=2 * 3600)
    answer(enrolled_alice, course, "quarters-text", True, at=timezone.now() - timedelta(days=40))
    data = learner_dashboard(enrolled_alice, course, today=today)
    assert len(data.days) == ACTIVITY_DAYS
    assert data.days[-1].day == today
    practised = data.days_practised
    assert [(d.day, d.attempts, d.correct) for d in practised] == [
        (timezone.localtime(two_days_ago).date(), 2, 1)
    ]
    capped_minutes = (30 + MAX_ATTEMPT_SECONDS) / 60
    assert practised[0].minutes == pytest.approx(capped_minutes, abs=0.1)
    bars = {t["name"]: t for t in data.figures["activity"]["data"]}
    assert sum(bars["Right answers"]["y"]) == 1
    assert sum(bars["Wrong answers"]["y"]) == 1
    assert [a.exercise_key for a in data.recent] == ["halves-choice", "halves-choice",
                                                     "quarters-text"]


def test_every_learner_figure_is_valid_plotly(course: Course, cohort: Cohort, alice: Any) -> None:
    answer(alice, course, "halves-choice", True)
    answer(alice, course, "adding-numeric", False)
    for name, figure in learner_dashboard(alice, course).figures.items():
        checked = go.Figure(figure)  # raises on any property plotly does not know
        assert checked.layout.title.text, name
        assert figure["data"], name


def test_graph_colours_follow_mastery_levels() -> None:
    graph = SkillGraph(_specs([0, 1, 2, 3, 4]))
    figure = skill_graph_figure(
        graph, {"a": "mastered", "b": "attempted"}, {"a": 97, "b": 30}, ["c", "d"],
        ["d", "c", "d", "e"],
    )
    traces = {t["name"]: t for t in figure["data"]}
    assert traces["Recommended path"]["text"] == ["1,3", "2", "4"]
    assert len(traces["Ready to learn"]["x"]) == 2
    assert traces["Mastered"]["customdata"] == [["A", "Mastered", "97% mastery"]]
    assert traces["Mastered"]["marker"]["color"] == LEVEL_COLOURS[
        mastery.MasteryLevel.MASTERED]
    assert len(traces["Not started"]["x"]) == 3
    assert len(figure["layout"]["annotations"]) == graph.graph.number_of_edges()


def test_a_skill_only_estimated_says_so_on_the_graph() -> None:
    graph = SkillGraph(_specs([0, 1]))
    figure = skill_graph_figure(graph, {"a": "familiar", "b": "familiar"}, {"a": 64, "b": 70},
                                [], [], estimated={"a"})
    (familiar,) = [t for t in figure["data"] if t["name"] == "Familiar"]
    assert familiar["customdata"] == [["A", ESTIMATED_LABEL, "64% mastery"],
                                      ["B", "Familiar", "70% mastery"]]


def test_the_dashboard_graph_marks_the_skills_only_estimated(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    answer(alice, course, "quarters-numeric", True)
    data = learner_dashboard(alice, course)
    hovers = {node[0]: node[1] for trace in data.figures["graph"]["data"]
              for node in trace.get("customdata", [])}
    assert hovers["Halves"] == ESTIMATED_LABEL
    assert hovers["Quarters"] == next(row.level_label for row in data.chart.rows
                                      if row.key == "quarters") != ESTIMATED_LABEL


def test_names_reach_plotly_escaped_so_they_show_as_typed() -> None:
    graph = SkillGraph([SkillSpec("a", "x < 1 & <b>y</b>", area="<i>Area</i>")])
    node = skill_graph_figure(graph, {}, {}, [], [])["data"][0]
    assert node["customdata"][0][0] == "x &lt; 1 &amp; &lt;b&gt;y&lt;/b&gt;"
    assert "<b>" not in node["text"][0]
    radar = ability_figure({"<i>Area</i>": 0.5}, None, "")["data"][0]
    assert radar["theta"] == ["&lt;i&gt;Area&lt;/i&gt;"] * 2


def test_queries_do_not_grow_with_the_history(
    course: Course, enrolled_alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def count() -> int:
        # Count the cold path each time, as in a new process: the path planner and the skill
        # graph cache per process (the stored path is stale after each answer anyway).
        monkeypatch.setattr(course_view, "_views", PerContent(course_view.CourseView.load))
        monkeypatch.setattr(graphs, "_graphs", PerContent(graphs.build_graph_of))
        with CaptureQueriesContext(connection) as queries:
            learner_dashboard(enrolled_alice, course)
        return len(queries)

    answer(enrolled_alice, course, "halves-choice", True)
    few = count()
    for n in range(12):
        answer(enrolled_alice, course, ["quarters-text", "adding-numeric"][n % 2], n % 3 == 0)
    assert count() == few


# ---------------------------------------------------------------- pages and access


def test_learner_sees_her_dashboard_with_plotly_from_static_files(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    answer(alice, course, "halves-choice", True)
    response = _client_for(alice).get(reverse("learner_dashboard", args=[course.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<script src="/static/vendor/plotly.min.js"></script>' in page
    assert "cdn" not in page.lower()
    for name in ("ability", "graph", "timeline", "activity"):
        assert f'id="plot-{name}"' in page
        assert f'<script id="figure-{name}" type="application/json">' in page
    assert "Show as a table" in page
    assert response.context["dashboard"].recent[0].exercise_key == "halves-choice"


def test_plotly_js_is_served_by_the_app(client: Client, db: Any) -> None:
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()


def test_learner_dashboard_chooses_skills_from_the_query(
    course: Course, enrolled_alice: Any
) -> None:
    answer(enrolled_alice, course, "halves-choice", True)
    answer(enrolled_alice, course, "quarters-text", True)
    url = reverse("learner_dashboard", args=[course.slug]) + "?skill=halves"
    timeline = _client_for(enrolled_alice).get(url).context["dashboard"].timeline
    assert [(item.key, item.chosen) for item in timeline] == [("halves", True),
                                                              ("quarters", False)]


def test_anonymous_visitor_is_sent_to_sign_in(client: Client, course: Course) -> None:
    url = reverse("learner_dashboard", args=[course.slug])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_learner_not_enrolled_is_refused_and_unknown_course_is_404(
    course: Course, bob: Any
) -> None:
    client = _client_for(bob)
    assert client.get(reverse("learner_dashboard", args=[course.slug])).status_code == 403
    assert client.get(reverse("learner_dashboard", args=["no-such-course"])).status_code == 404


def test_wrong_method_is_405(course: Course, cohort: Cohort, alice: Any, tess: Any) -> None:
    assert _client_for(alice).post(
        reverse("learner_dashboard", args=[course.slug])
    ).status_code == 405
    url = reverse("teacher_learner_dashboard", args=[cohort.pk, alice.pk])
    assert _client_for(tess).post(url).status_code == 405


def test_teacher_sees_the_dashboard_of_a_learner_in_her_class(
    course: Course, cohort: Cohort, alice: Any, tess: Any, root: Any
) -> None:
    answer(alice, course, "halves-choice", False)
    url = reverse("teacher_learner_dashboard", args=[cohort.pk, alice.pk])
    for viewer in (tess, root):
        response = _client_for(viewer).get(url)
        assert response.status_code == 200
        assert response.context["learner"] == alice
        assert response.context["dashboard"].class_name == "Class 1"
        assert response.context["dashboard"].recent[0].correct is False
        radar = response.context["dashboard"].figures["ability"]["data"]
        assert [trace["name"] for trace in radar] == ["Class average (Class 1)", "alice"]


def test_nobody_else_sees_a_learners_dashboard(
    course: Course, cohort: Cohort, other_cohort: Cohort, alice: Any, bob: Any, ted: Any
) -> None:
    alice_url = reverse("teacher_learner_dashboard", args=[cohort.pk, alice.pk])
    # ted teaches another class; bob is a learner; alice may not use the teacher's view either.
    assert _client_for(ted).get(alice_url).status_code == 403
    assert _client_for(bob).get(alice_url).status_code == 403
    assert _client_for(alice).get(alice_url).status_code == 403
    # A teacher cannot reach a learner of another class through her own class.
    bob_via_tess = reverse("teacher_learner_dashboard", args=[cohort.pk, bob.pk])
    assert _client_for(cohort.teacher).get(bob_via_tess).status_code == 403
    missing = reverse("teacher_learner_dashboard", args=[9999, alice.pk])
    assert _client_for(cohort.teacher).get(missing).status_code == 404
