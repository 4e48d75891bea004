"""The placement check on the site: offered to a new learner, taken question by question
(resumed after a reload), finishing with the chart set and the path planned from it; skipped;
taken again; bad input gets a 4xx; a rebuild of the charts keeps the check's chart."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from courses.actions.charts import rebuild_course_charts
from courses.models import Course, Exercise, PlacementAnswer, PlacementCheck, SkillState
from courses.queries.charts import chart_of
from courses.queries.exercises import answer_for
from courses.recommend.cache import learning_path
from tests.factories import answer


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name: str, course: Course) -> str:
    return reverse(name, args=[course.slug])


def _answer_current(client: Client, course: Course, right: bool) -> Any:
    page = client.get(_url("placement", course))
    assert page.status_code == 200
    key = page.context["exercise"].key
    given = answer_for(Exercise.objects.get(course=course, key=key), right)
    field: dict[str, Any] = ({"choice": [str(v) for v in given]} if isinstance(given, list)
                             else {"answer": given})
    return client.post(_url("placement_answer", course), {"exercise": key, **field})


def _take(client: Client, course: Course, right: bool) -> int:
    client.post(_url("placement_start", course))
    answered = 0
    while "exercise" in (client.get(_url("placement", course)).context or {}):
        assert _answer_current(client, course, right).status_code == 302
        answered += 1
    return answered


def test_a_new_learner_is_offered_the_check_and_can_skip_it(course: Course,
                                                             enrolled_alice: Any) -> None:
    client = _client_for(enrolled_alice)
    page = client.get(_url("course_detail", course)).content.decode()
    assert 'id="placement-take"' in page and 'id="placement-skip"' in page
    assert client.post(_url("placement_skip", course)).status_code == 302
    page = client.get(_url("course_detail", course)).content.decode()
    assert 'id="placement-skip"' not in page and 'id="placement-again"' in page
    assert not SkillState.objects.filter(learner=enrolled_alice).exists()


def test_a_learner_who_practised_is_not_offered_it_but_may_ask(course: Course,
                                                               enrolled_alice: Any) -> None:
    answer(enrolled_alice, course, "quarters-numeric", True)
    client = _client_for(enrolled_alice)
    page = client.get(_url("course_detail", course)).content.decode()
    assert 'id="placement-skip"' not in page and 'id="placement-again"' in page
    assert client.get(_url("placement", course)).status_code == 200


def test_the_check_resumes_after_a_reload_and_sets_the_chart(course: Course,
                                                             enrolled_alice: Any) -> None:
    client = _client_for(enrolled_alice)
    before = learning_path(enrolled_alice, course)
    client.post(_url("placement_start", course))
    first = client.get(_url("placement", course)).context["exercise"].key
    assert client.get(_url("placement", course)).context["exercise"].key == first  # reload
    assert _answer_current(client, course, True).status_code == 302
    check = PlacementCheck.objects.get(learner=enrolled_alice)
    assert check.answers.count() == 1 and check.status == PlacementCheck.Status.ACTIVE
    page = client.get(_url("course_detail", course)).content.decode()
    assert 'id="placement-resume"' in page
    answered = 1
    while "exercise" in (client.get(_url("placement", course)).context or {}):
        _answer_current(client, course, True)
        answered += 1
    assert answered <= 15
    check.refresh_from_db()
    assert check.status == PlacementCheck.Status.FINISHED
    chart = chart_of(enrolled_alice, course)
    assert set(chart) == set(course.skills.values_list("key", flat=True))
    assert all(state.p_mastery > 0.5 and state.attempts == 0 for state in chart.values())
    assert any(value["direct"] == 0 and value["inferred"] > 0 for value in check.result.values()) \
        or all(value["direct"] > 0 for value in check.result.values())
    result = client.get(_url("placement", course))
    assert b'id="placement-table"' in result.content
    after = learning_path(enrolled_alice, course)
    assert after != before  # the stored path was planned again, from the new chart


def test_a_learner_who_knows_nothing_is_placed_so(course: Course, enrolled_alice: Any) -> None:
    client = _client_for(enrolled_alice)
    assert 1 <= _take(client, course, False) <= 15
    assert all(state.p_mastery < 0.5 for state in chart_of(enrolled_alice, course).values())


def test_taking_it_again_replaces_the_chart_and_a_rebuild_keeps_it(course: Course,
                                                                   enrolled_alice: Any) -> None:
    client = _client_for(enrolled_alice)
    _take(client, course, False)
    answer(enrolled_alice, course, "quarters-numeric", False)
    _take(client, course, True)
    assert PlacementCheck.objects.filter(learner=enrolled_alice,
                                         status=PlacementCheck.Status.FINISHED).count() == 2
    kept = chart_of(enrolled_alice, course)
    assert all(state.p_mastery > 0.5 for state in kept.values())
    answer(enrolled_alice, course, "quarters-numeric", True)
    incremental = chart_of(enrolled_alice, course)
    rebuild_course_charts(course)
    assert chart_of(enrolled_alice, course) == incremental


def test_bad_input_gets_a_4xx(course: Course, enrolled_alice: Any, bob: Any) -> None:
    client = _client_for(enrolled_alice)
    assert client.post(_url("placement_answer", course), {"exercise": "x"}).status_code == 409
    client.post(_url("placement_start", course))
    current = client.get(_url("placement", course)).context["exercise"]
    other = Exercise.objects.filter(course=course).exclude(key=current.key).first()
    assert other is not None
    wrong_question = client.post(_url("placement_answer", course), {"exercise": other.key})
    assert wrong_question.status_code == 400
    assert client.post(_url("placement_answer", course), {"exercise": "nope"}).status_code == 400
    if current.is_choice:  # an option of another exercise
        bad = client.post(_url("placement_answer", course),
                          {"exercise": current.key, "choice": ["999999"]})
    else:
        bad = client.post(_url("placement_answer", course), {"exercise": current.key})
    assert bad.status_code == 400 and bad.context["exercise"].key == current.key
    assert not PlacementAnswer.objects.exists()
    # A double submission of an answered question changes nothing.
    _answer_current(client, course, True)
    again = client.post(_url("placement_answer", course),
                        {"exercise": current.key, "answer": "0.75"})
    assert again.status_code == 302 and PlacementAnswer.objects.count() == 1
    # Another learner, not enrolled, gets no placement pages.
    assert _client_for(bob).get(_url("placement", course)).status_code in (403, 404)


@pytest.mark.parametrize("name", ["placement_start", "placement_skip", "placement_answer"])
def test_forms_take_post_only(course: Course, enrolled_alice: Any, name: str) -> None:
    assert _client_for(enrolled_alice).get(_url(name, course)).status_code == 405


def test_evaluate_placement_prints_one_row_per_method(course: Course, tmp_path: Any) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("evaluate_placement", "--course", "mini", "--learners", "3",
                 "--validation-learners", "2", "--items", "4", "--out", str(tmp_path),
                 stdout=out)
    results = json.loads((tmp_path / "results.json").read_text())
    assert [row["method"] for row in results["scores"]] == [
        "none", "fixed_bkt", "fixed_placement", "adaptive"]
    assert all(row["mean_items"] <= 4 for row in results["scores"])
    assert "| adaptive |" in out.getvalue()
