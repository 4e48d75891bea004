"""The teacher dashboard: heatmap, who needs help, skill and exercise statistics, CSV export, and
who may see them.

tess teaches alice's class ("Class 1"); ted teaches bob's class ("Class 2"); root is a superuser.
The course is the small one from ``tests.factories``: halves -> quarters -> adding.
"""
from __future__ import annotations

import csv
import io
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
from courses.dashboards.cohort import class_dashboard
from courses.dashboards.items import item_stats
from courses.dashboards.needs_help import HELP_RULE
from courses.models import Cohort, Course, MasteryEvent, Skill, SkillState
from courses.queries.charts import ESTIMATED_LABEL, percent
from learnpath import mastery
from tests.factories import answer


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _learners(cohort: Cohort, names: list[str]) -> list[Any]:
    users = [get_user_model().objects.create_user(name) for name in names]
    for user in users:
        add_to_cohort(cohort, user)
    return users


def _urls(cohort: Cohort) -> list[str]:
    return [
        reverse("class_dashboard", args=[cohort.pk]),
        reverse("class_items", args=[cohort.pk]),
        reverse("class_mastery_csv", args=[cohort.pk]),
    ]


def test_heatmap_has_a_row_per_learner_and_a_column_per_skill(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    (zoe,) = _learners(cohort, ["zoe"])
    for _ in range(6):
        answer(zoe, course, "halves-choice", True)
    answer(alice, course, "quarters-text", False)
    data = class_dashboard(cohort)
    assert [s.key for s in data.skills] == ["halves", "quarters", "adding"]
    assert [row.username for row in data.rows] == ["alice", "zoe"]
    zoe_row = data.rows[1]
    halves = SkillState.objects.get(learner=zoe, skill__key="halves")
    assert zoe_row.cells[0][:3] == (halves.level, halves.p_mastery,
                                    str(round(100 * halves.p_mastery)))
    assert (zoe_row.cells[0].attempts, zoe_row.cells[0].wrong) == (6, 0)
    assert zoe_row.cells[0].level == "mastered"
    assert zoe_row.cells[2].level == "not_started"
    assert zoe_row.attempts == 6
    trace = data.figure["data"][0]
    assert trace["y"] == ["alice", "zoe"]
    assert trace["z"][1] == [4, 0, 0]
    assert trace["customdata"][1][0] == "Mastered"
    go.Figure(data.figure)


def test_heatmap_sorts_rows_and_ignores_unknown_orders(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    strong, _idle = _learners(cohort, ["strong", "idle"])
    for _ in range(6):
        answer(strong, course, "halves-choice", True)
    answer(alice, course, "halves-choice", False, at=timezone.now() - timedelta(days=3))
    names = {sort: [r.username for r in class_dashboard(cohort, sort=sort).rows]
             for sort in ("name", "mastery", "activity", "help", "drop table")}
    assert names["name"] == names["drop table"] == ["alice", "idle", "strong"]
    assert names["mastery"] == ["idle", "alice", "strong"]
    assert names["activity"] == ["idle", "alice", "strong"]
    assert names["help"][0] == "idle"
    assert class_dashboard(cohort, sort="drop table").sort == "name"


def test_heatmap_queries_do_not_depend_on_class_size(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    url = reverse("class_dashboard", args=[cohort.pk])
    client = _client_for(tess)

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _learners(cohort, ["l01"])
    queries_for_page()  # builds the skill graph, kept per process from then on
    two = queries_for_page()
    more = _learners(cohort, [f"l{n:02d}" for n in range(2, 20)])
    for learner in more[:6]:
        answer(learner, course, "halves-choice", True)
        answer(learner, course, "quarters-numeric", False)
    assert cohort.learners.count() == 20
    assert queries_for_page() == two
    with CaptureQueriesContext(connection) as service_queries:
        class_dashboard(cohort)
    assert len(service_queries) <= 6


def test_who_needs_help_flags_a_minority_with_the_stated_reasons(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    peers = _learners(cohort, [f"peer{n}" for n in range(6)])
    _idle, stuck, slipped = _learners(cohort, ["idle", "stuck", "slipped"])
    answer(alice, course, "halves-choice", True, at=timezone.now() - timedelta(days=10))
    for peer in [*peers, slipped]:
        for _ in range(6):
            answer(peer, course, "halves-choice", True)
    answer(peers[0], course, "halves-choice", False)
    # Mastery falling from a peak is left to the learner's path (review steps).
    SkillState.objects.filter(learner=slipped, skill__key="halves").update(
        peak_p_mastery=0.97, p_mastery=0.75, level="familiar"
    )
    for _ in range(6):
        answer(stuck, course, "halves-choice", False)
    dashboard = class_dashboard(cohort)
    reasons = {row.username: row.reasons for row in dashboard.rows}
    stuck_halves = SkillState.objects.get(learner=stuck, skill__key="halves")
    assert reasons["idle"] == ["no attempts yet"]
    assert reasons["alice"] == ["no activity for 10 days"]
    assert reasons["stuck"] == [
        "stuck on Halves: 6 wrong; classmates who got it needed 0 on median",
        f"behind the class: mean mastery {percent(stuck_halves.p_mastery / 3)}%, "
        "classmates' median 33%",
    ]
    assert reasons["slipped"] == [] and reasons["peer0"] == []
    flagged = [row.username for row in dashboard.needs_help]
    assert flagged == ["stuck", "alice", "idle"]
    assert 2 * len(flagged) < len(dashboard.rows)
    page = _client_for(tess).get(reverse("class_dashboard", args=[cohort.pk])).content.decode()
    assert "<b>3</b> may need help" in page
    assert "Why flagged" in page
    for line in HELP_RULE.notes():
        assert line.replace("'", "&#x27;") in page


def test_nobody_is_flagged_in_a_class_nobody_has_started(
    course: Course, cohort: Cohort, tess: Any
) -> None:
    _learners(cohort, ["zoe", "max"])
    dashboard = class_dashboard(cohort)
    assert dashboard.needs_help == [] and not dashboard.started
    page = _client_for(tess).get(reverse("class_dashboard", args=[cohort.pk])).content.decode()
    assert "Nobody in this class has answered yet." in page


def test_a_skill_only_estimated_says_so_on_the_heatmap(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    answer(alice, course, "quarters-numeric", True)
    dashboard = class_dashboard(cohort)
    halves, quarters, _ = dashboard.rows[0].cells
    assert halves.estimated and halves.percent.startswith("~")
    assert halves.label == ESTIMATED_LABEL and quarters.label != ESTIMATED_LABEL
    assert dashboard.figure["data"][0]["customdata"][0][:2] == [ESTIMATED_LABEL,
                                                                quarters.label]
    page = _client_for(tess).get(reverse("class_dashboard", args=[cohort.pk])).content.decode()
    assert dashboard.estimated_note in page
    assert f'<td class="lv-{halves.level}">{halves.percent}</td>' in page
    class_page = _client_for(tess).get(reverse("teacher_class", args=[cohort.pk]))
    assert f'title="Halves: {ESTIMATED_LABEL}">{halves.percent}</td>' in class_page.content.decode()


def test_exercise_statistics_flag_the_exercise_nobody_gets_right(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    learners = [alice, *_learners(cohort, ["l1", "l2", "l3"])]
    for learner in learners:
        for _ in range(2):
            answer(learner, course, "quarters-text", False)
        answer(learner, course, "quarters-numeric", True)
    stats = item_stats(cohort)
    by_key = {e.key: e for e in stats.exercises}
    text = by_key["quarters-text"]
    assert (text.attempts, text.correct, text.learners, text.success_percent) == (8, 0, 4, 0)
    assert text.broken
    assert [e.key for e in stats.broken] == ["quarters-text"]
    assert not by_key["quarters-numeric"].broken
    assert by_key["quarters-numeric"].success_percent == 100
    assert "adding-old" not in by_key  # retired and never answered
    assert stats.exercises[0].key == "quarters-text"
    quarters = next(s for s in stats.skills if s.key == "quarters")
    assert (quarters.attempts, quarters.learners, quarters.success_percent) == (12, 4, 33)
    for figure in stats.figures.values():
        go.Figure(figure)


def test_predicted_success_is_bkt_before_each_attempt(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    answer(alice, course, "quarters-numeric", True)
    answer(alice, course, "quarters-numeric", True)
    params = mastery.DEFAULT_PARAMS
    first = mastery.predict_correct(params.p_init, params)
    after_one = MasteryEvent.objects.filter(learner=alice, skill__key="quarters").first()
    second = mastery.predict_correct(after_one.p_mastery, params)
    stats = item_stats(cohort)
    numeric = next(e for e in stats.exercises if e.key == "quarters-numeric")
    assert numeric.predicted_percent == round(100 * (first + second) / 2)
    assert numeric.predicted_percent != numeric.success_percent


def test_predicted_success_uses_fitted_parameters_and_averages_skills(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    fitted = mastery.BKTParams(p_init=0.5, p_learn=0.1, p_guess=0.3, p_slip=0.1)
    Skill.objects.filter(course=course, key="adding").update(bkt_params=fitted.__dict__)
    answer(alice, course, "adding-numeric", False)
    stats = item_stats(cohort)
    adding = next(e for e in stats.exercises if e.key == "adding-numeric")
    expected = (mastery.predict_correct(0.5, fitted)
                + mastery.predict_correct(0.2, mastery.DEFAULT_PARAMS)) / 2
    assert adding.predicted_percent == round(100 * expected)


def test_another_model_plugs_in_as_the_predictor(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    answer(alice, course, "halves-choice", True)
    stats = item_stats(
        cohort, predictor=lambda history: {a.attempt_id: 0.25 for a in history.attempts}
    )
    halves = next(e for e in stats.exercises if e.key == "halves-choice")
    assert (halves.predicted_percent, halves.success_percent, halves.surprise) == (25, 100, 75)


def test_attempts_to_mastery_counts_answers_until_mastered(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    (zoe,) = _learners(cohort, ["zoe"])
    for n in range(12):
        answer(alice, course, "halves-choice", n >= 3)
    for _ in range(8):
        answer(zoe, course, "halves-choice", True)
    needed = {}
    for learner in (alice, zoe):
        events = MasteryEvent.objects.filter(learner=learner, skill__key="halves").order_by("id")
        needed[learner.username] = 1 + [e.level for e in events].index("mastered")
    assert needed["alice"] > needed["zoe"]
    halves = next(s for s in item_stats(cohort).skills if s.key == "halves")
    assert halves.mastered_learners == 2
    assert halves.attempts_to_mastery == (needed["alice"] + needed["zoe"]) / 2


def test_item_statistics_run_a_fixed_number_of_queries(
    course: Course, cohort: Cohort, alice: Any
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            item_stats(cohort)
        return len(queries)

    answer(alice, course, "halves-choice", True)
    count()  # builds the skill graph, kept per process from then on
    few = count()
    for learner in _learners(cohort, ["l1", "l2", "l3"]):
        answer(learner, course, "quarters-text", False)
        answer(learner, course, "adding-numeric", True)
    assert count() == few


def test_csv_export_is_the_mastery_table(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    _learners(cohort, ["=HYPERLINK(1)"])
    answer(alice, course, "halves-choice", True)
    response = _client_for(tess).get(reverse("class_mastery_csv", args=[cohort.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="class-1-mastery.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["learner", "name", "attempts", "last_active", "halves mastery",
                       "halves level", "quarters mastery", "quarters level", "adding mastery",
                       "adding level"]
    halves = SkillState.objects.get(learner=alice, skill__key="halves")
    assert rows[2][:3] == ["alice", "", "1"]
    assert rows[2][4:6] == [f"{halves.p_mastery:.3f}", halves.level]
    assert rows[2][8:10] == ["", "not_started"]
    # A name that a spreadsheet would run as a formula is written as text.
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert len(rows) == 3


def test_class_pages_render_heatmap_links_and_tables(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    answer(alice, course, "halves-choice", True)
    client = _client_for(tess)
    page = client.get(reverse("class_dashboard", args=[cohort.pk])).content.decode()
    learner_url = reverse("teacher_learner_dashboard", args=[cohort.pk, alice.pk])
    assert 'data-links="learner-links"' in page
    assert f'<script id="learner-links" type="application/json">["{learner_url}"]' in page
    assert '<script src="/static/vendor/plotly.min.js"></script>' in page
    assert 'id="figure-heatmap"' in page
    assert "Show as a table" in page
    items = client.get(reverse("class_items", args=[cohort.pk]))
    assert items.status_code == 200
    assert 'id="figure-skills"' in items.content.decode()
    assert 'id="figure-exercises"' in items.content.decode()


# ---------------------------------------------------------------- access


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, cohort: Cohort) -> None:
    for url in _urls(cohort):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}", url


def test_wrong_method_is_405(cohort: Cohort, tess: Any) -> None:
    client = _client_for(tess)
    for url in _urls(cohort):
        assert client.post(url).status_code == 405, url
        assert client.put(url).status_code == 405, url


@pytest.mark.parametrize("who", ["ted", "alice", "bob"])
def test_only_the_classes_teacher_sees_its_dashboards(
    who: str, cohort: Cohort, other_cohort: Cohort, request: pytest.FixtureRequest
) -> None:
    client = _client_for(request.getfixturevalue(who))
    for url in _urls(cohort):
        assert client.get(url).status_code == 403, url


def test_teacher_and_superuser_see_the_dashboards_and_unknown_classes_are_404(
    cohort: Cohort, other_cohort: Cohort, tess: Any, root: Any
) -> None:
    for user in (tess, root):
        client = _client_for(user)
        for url in _urls(cohort):
            assert client.get(url).status_code == 200, url
    tess_client = _client_for(tess)
    for url in _urls(other_cohort):
        assert tess_client.get(url).status_code == 403, url
    assert tess_client.get(reverse("class_dashboard", args=[9999])).status_code == 404
