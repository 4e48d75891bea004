"""Teacher pages through the test client: a teacher sees only the learners in their classes.

tess teaches alice's class ("Class 1"); ted teaches bob's class ("Class 2"); root is a superuser.
"""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from courses.actions.attempts import record_attempt
from courses.models import Cohort, Course, Exercise


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _class_url(cohort: Cohort) -> str:
    return reverse("teacher_class", args=[cohort.pk])


def _learner_url(cohort: Cohort, learner: Any) -> str:
    return reverse("teacher_learner", args=[cohort.pk, learner.pk])


def _answer(learner: Any, course: Course, key: str, given: str) -> None:
    record_attempt(
        learner=learner, exercise=Exercise.objects.get(course=course, key=key), given=given,
        client_id=uuid.uuid4(),
    )


@pytest.fixture
def classes(cohort: Cohort, other_cohort: Cohort) -> tuple[Cohort, Cohort]:
    return cohort, other_cohort


def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, classes: tuple[Cohort, Cohort], alice: Any
) -> None:
    cohort, _ = classes
    for url in (reverse("teacher_classes"), _class_url(cohort), _learner_url(cohort, alice)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}", url


def test_wrong_http_method_is_405(tess: Any, classes: tuple[Cohort, Cohort], alice: Any) -> None:
    cohort, _ = classes
    client = _client_for(tess)
    for url in (reverse("teacher_classes"), _class_url(cohort), _learner_url(cohort, alice)):
        assert client.post(url).status_code == 405, url
        assert client.delete(url).status_code == 405, url


def test_teacher_sees_only_her_classes(tess: Any, classes: tuple[Cohort, Cohort]) -> None:
    cohort, other = classes
    response = _client_for(tess).get(reverse("teacher_classes"))
    assert response.status_code == 200
    assert list(response.context["cohorts"]) == [cohort]
    page = response.content.decode()
    assert _class_url(cohort) in page
    assert _class_url(other) not in page


def test_class_page_lists_her_learners_with_their_progress(
    tess: Any, alice: Any, classes: tuple[Cohort, Cohort], course: Course
) -> None:
    cohort, _ = classes
    _answer(alice, course, "quarters-numeric", "0.75")
    _answer(alice, course, "quarters-text", "one half")
    response = _client_for(tess).get(_class_url(cohort))
    assert response.status_code == 200
    rows = response.context["class_grid"].rows
    assert [(row.username, row.attempts) for row in rows] == [("alice", 2)]
    page = response.content.decode()
    assert _learner_url(cohort, alice) in page
    assert "bob" not in page


def test_teacher_sees_her_learners_chart_and_attempts(
    tess: Any, alice: Any, bob: Any, classes: tuple[Cohort, Cohort], course: Course
) -> None:
    cohort, _ = classes
    _answer(alice, course, "quarters-numeric", "0.75")
    _answer(bob, course, "quarters-text", "two fifths")
    response = _client_for(tess).get(_learner_url(cohort, alice))
    assert response.status_code == 200
    assert response.context["learner"] == alice
    chart_rows = {row.key: row for row in response.context["chart"].rows}
    assert chart_rows["quarters"].attempts == 1
    assert chart_rows["quarters"].correct == 1
    assert [a.exercise.key for a in response.context["recent_attempts"]] == ["quarters-numeric"]
    assert "two fifths" not in response.content.decode()


def test_another_teacher_gets_403_on_her_class_and_learner(
    ted: Any, alice: Any, classes: tuple[Cohort, Cohort]
) -> None:
    cohort, _ = classes
    client = _client_for(ted)
    assert client.get(_class_url(cohort)).status_code == 403
    assert client.get(_learner_url(cohort, alice)).status_code == 403


def test_learner_of_another_class_is_403(
    tess: Any, bob: Any, classes: tuple[Cohort, Cohort]
) -> None:
    cohort, other = classes
    client = _client_for(tess)
    assert client.get(_learner_url(cohort, bob)).status_code == 403
    assert client.get(_learner_url(other, bob)).status_code == 403


def test_learners_get_403_on_teacher_pages(
    alice: Any, bob: Any, classes: tuple[Cohort, Cohort]
) -> None:
    cohort, _ = classes
    for learner in (alice, bob):
        client = _client_for(learner)
        response = client.get(reverse("teacher_classes"))
        assert response.status_code == 403
        assert "Only teachers have classes." in response.content.decode()
        assert client.get(_class_url(cohort)).status_code == 403
        assert client.get(_learner_url(cohort, alice)).status_code == 403


def test_unknown_class_is_404(tess: Any, alice: Any, classes: tuple[Cohort, Cohort]) -> None:
    client = _client_for(tess)
    assert client.get(reverse("teacher_class", args=[99999])).status_code == 404
    assert client.get(reverse("teacher_learner", args=[99999, alice.pk])).status_code == 404


def test_teacher_without_classes_sees_an_empty_list(tess: Any) -> None:
    response = _client_for(tess).get(reverse("teacher_classes"))
    assert response.status_code == 200
    assert "You have no classes yet." in response.content.decode()


def test_admin_may_open_any_class(
    root: Any, alice: Any, bob: Any, classes: tuple[Cohort, Cohort]
) -> None:
    cohort, other = classes
    client = _client_for(root)
    index = client.get(reverse("teacher_classes"))
    assert index.status_code == 200
    assert list(index.context["cohorts"]) == [cohort, other]
    assert client.get(_class_url(cohort)).status_code == 200
    assert client.get(_learner_url(other, bob)).status_code == 200
    assert client.get(_learner_url(other, alice)).status_code == 403


def test_out_of_range_ids_are_404(tess: Any, classes: tuple[Cohort, Cohort]) -> None:
    cohort, _ = classes
    client = _client_for(tess)
    assert client.get(reverse("teacher_class", args=[10**30])).status_code == 404
    assert client.get(reverse("teacher_learner", args=[cohort.pk, 10**30])).status_code == 403
