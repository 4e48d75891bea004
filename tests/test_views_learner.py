"""Learner pages through the test client: who may see what, and bad input that gets a 4xx.

People come from ``tests/conftest.py``: alice and bob learn in the small course; tess teaches
alice's class. Every page is tried anonymously, as the learner, as another learner and with
the wrong HTTP method.
"""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.urls import resolve, reverse

from courses.actions.attempts import record_attempt
from courses.actions.course_import import import_course
from courses.models import Attempt, Choice, Course, Enrollment, Exercise
from courses.queries.charts import chart_of, learner_chart_view
from courses.views.learner import TICKET_SALT
from learnpath.mastery import MasteryLevel
from tests.factories import small_course_document


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _exercise_url(course: Course, key: str) -> str:
    return reverse("exercise", args=[course.slug, key])


def _exercise(course: Course, key: str) -> Exercise:
    return Exercise.objects.get(course=course, key=key)


def _choice_ids(exercise: Exercise, correct: bool) -> list[str]:
    return [str(c.pk) for c in exercise.choices.all() if c.is_correct == correct]


def _form_fields(client: Client, course: Course, key: str) -> dict[str, str]:
    """The hidden fields of the exercise page as the browser would send them back."""
    response = client.get(_exercise_url(course, key))
    assert response.status_code == 200
    return {"client_id": str(response.context["client_id"]), "ticket": response.context["ticket"]}


def _post_answer(client: Client, course: Course, key: str, **answer: Any) -> Any:
    data = {**_form_fields(client, course, key), **answer}
    return client.post(_exercise_url(course, key), data)


@pytest.fixture
def alice_client(enrolled_alice: Any) -> Client:
    return _client_for(enrolled_alice)


def _learner_urls(course: Course) -> list[tuple[str, str]]:
    return [
        ("GET", reverse("home")),
        ("GET", reverse("course_detail", args=[course.slug])),
        ("POST", reverse("enrol", args=[course.slug])),
        ("GET", reverse("practice_next", args=[course.slug])),
        ("GET", _exercise_url(course, "halves-choice")),
        ("POST", _exercise_url(course, "halves-choice")),
        ("GET", reverse("attempt_feedback", args=[course.slug, 1])),
    ]


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(client: Client, course: Course) -> None:
    for method, url in _learner_urls(course):
        response = client.generic(method, url)
        assert response.status_code == 302, (method, url)
        assert response["Location"] == f"{reverse('login')}?next={url}", (method, url)
    assert not Enrollment.objects.exists()
    assert not Attempt.objects.exists()


@pytest.mark.parametrize(
    ("name", "wrong_method"),
    [
        ("home", "POST"),
        ("course_detail", "POST"),
        ("enrol", "GET"),
        ("practice_next", "POST"),
        ("exercise", "PUT"),
        ("exercise", "DELETE"),
        ("attempt_feedback", "POST"),
    ],
)
def test_wrong_http_method_is_405(
    alice_client: Client, course: Course, name: str, wrong_method: str
) -> None:
    args: dict[str, list[Any]] = {
        "home": [],
        "exercise": [course.slug, "halves-choice"],
        "attempt_feedback": [course.slug, 1],
    }
    url = reverse(name, args=args.get(name, [course.slug]))
    assert alice_client.generic(wrong_method, url).status_code == 405


def test_home_lists_enrolled_and_other_courses(alice_client: Client, course: Course) -> None:
    other = import_course(small_course_document(slug="other", title="Other course")).course
    response = alice_client.get(reverse("home"))
    assert response.status_code == 200
    assert list(response.context["enrolled"]) == [course]
    assert list(response.context["available"]) == [other]
    assert reverse("enrol", args=["other"]) in response.content.decode()


def test_home_sends_a_teacher_without_courses_to_their_classes(tess: Any, course: Course) -> None:
    response = _client_for(tess).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("teacher_classes")


def test_course_detail_shows_the_chart_to_an_enrolled_learner(
    alice_client: Client, course: Course
) -> None:
    response = alice_client.get(reverse("course_detail", args=[course.slug]))
    assert response.status_code == 200
    assert [row.key for row in response.context["chart"].rows] == ["halves", "quarters", "adding"]
    assert "Skill chart" in response.content.decode()


def test_course_detail_offers_enrolment_to_others(alice: Any, course: Course) -> None:
    response = _client_for(alice).get(reverse("course_detail", args=[course.slug]))
    assert response.status_code == 200
    assert response.templates[0].name == "courses/course_enrol.html"
    assert "Enrol in this course" in response.content.decode()
    assert "chart" not in response.context


def test_unknown_course_is_404(alice_client: Client) -> None:
    assert alice_client.get(reverse("course_detail", args=["nope"])).status_code == 404
    assert alice_client.post(reverse("enrol", args=["nope"])).status_code == 404
    assert alice_client.get(reverse("practice_next", args=["nope"])).status_code == 404


def test_enrol_post_enrols_once_and_goes_to_the_course(alice: Any, course: Course) -> None:
    client = _client_for(alice)
    url = reverse("enrol", args=[course.slug])
    for _ in range(2):
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("course_detail", args=[course.slug])
    assert Enrollment.objects.filter(learner=alice, course=course).count() == 1
    assert client.get(reverse("course_detail", args=[course.slug])).context["chart"] is not None


def test_practice_next_needs_enrolment(alice: Any, course: Course) -> None:
    response = _client_for(alice).get(reverse("practice_next", args=[course.slug]))
    assert response.status_code == 403


def _frontier_skill_keys(learner: Any, course: Course) -> set[str]:
    return set(learner_chart_view(learner, course).ready_to_learn)


def _redirected_exercise(response: Any, course: Course) -> Exercise:
    assert response.status_code == 302
    match = resolve(response["Location"])
    assert match.url_name == "exercise"
    assert match.kwargs["slug"] == course.slug
    return _exercise(course, match.kwargs["key"])


def test_practice_next_starts_on_the_frontier(alice_client: Client, course: Course) -> None:
    response = alice_client.get(reverse("practice_next", args=[course.slug]))
    exercise = _redirected_exercise(response, course)
    assert exercise.is_active
    assert {skill.key for skill in exercise.skills.all()} == {"halves"}


def test_practice_next_moves_on_once_a_skill_is_mastered(
    alice_client: Client, enrolled_alice: Any, course: Course
) -> None:
    halves = _exercise(course, "halves-choice")
    for _ in range(30):
        state = chart_of(enrolled_alice, course).get("halves")
        if state is not None and state.level is MasteryLevel.MASTERED:
            break
        record_attempt(
            learner=enrolled_alice, exercise=halves, given=_choice_ids(halves, True),
            client_id=uuid.uuid4(),
        )
    assert chart_of(enrolled_alice, course)["halves"].level is MasteryLevel.MASTERED
    frontier = _frontier_skill_keys(enrolled_alice, course)
    assert "halves" not in frontier
    response = alice_client.get(reverse("practice_next", args=[course.slug]))
    exercise = _redirected_exercise(response, course)
    assert exercise.is_active
    assert {skill.key for skill in exercise.skills.all()} & frontier


def test_practice_next_without_active_exercises_explains(
    alice_client: Client, course: Course
) -> None:
    course.exercises.update(status=Exercise.Status.RETIRED)
    response = alice_client.get(reverse("practice_next", args=[course.slug]), follow=True)
    assert response.redirect_chain == [(reverse("course_detail", args=[course.slug]), 302)]
    assert "no exercises to practise" in response.content.decode()


@pytest.mark.parametrize(
    ("key", "kind"),
    [("halves-choice", "radio"), ("halves-multi", "checkbox"),
     ("quarters-numeric", "text"), ("quarters-text", "text")],
)
def test_exercise_page_shows_the_prompt_and_no_answers(
    alice_client: Client, course: Course, key: str, kind: str
) -> None:
    exercise = _exercise(course, key)
    response = alice_client.get(_exercise_url(course, key))
    page = response.content.decode()
    assert response.status_code == 200
    assert exercise.prompt in page
    assert f'type="{kind}"' in page
    assert "correct" not in page.lower()
    assert exercise.solution == "" or exercise.solution not in page
    assert response.context["client_id"]
    signing.loads(response.context["ticket"], salt=TICKET_SALT)


def _right_and_wrong(exercise: Exercise) -> tuple[dict[str, Any], dict[str, Any]]:
    if exercise.kind == Exercise.Kind.CHOICE:
        wrong = _choice_ids(exercise, False)[:1]
        return {"choice": _choice_ids(exercise, True)}, {"choice": wrong}
    if exercise.kind == Exercise.Kind.NUMERIC:
        return {"answer": "3/4"}, {"answer": "0.7"}
    return {"answer": " One QUARTER "}, {"answer": "one third"}


@pytest.mark.parametrize("key", ["halves-choice", "halves-multi", "quarters-numeric",
                                 "quarters-text"])
@pytest.mark.parametrize("right", [True, False], ids=["right", "wrong"])
def test_answer_is_stored_and_feedback_shown(
    alice_client: Client, enrolled_alice: Any, course: Course, key: str, right: bool
) -> None:
    exercise = _exercise(course, key)
    answer = _right_and_wrong(exercise)[0 if right else 1]
    response = _post_answer(alice_client, course, key, **answer)
    attempt = Attempt.objects.get()
    assert (attempt.learner, attempt.exercise, attempt.correct) == (enrolled_alice, exercise, right)
    assert response.status_code == 302
    assert response["Location"] == reverse("attempt_feedback", args=[course.slug, attempt.pk])
    feedback = alice_client.get(response["Location"])
    page = feedback.content.decode()
    assert feedback.status_code == 200
    assert ("Right!" in page) is right
    assert ("Not quite." in page) is not right
    assert ("The right answer" in page) is not right


def test_wrong_answer_feedback_names_the_right_one(alice_client: Client, course: Course) -> None:
    exercise = _exercise(course, "halves-choice")
    response = _post_answer(alice_client, course, exercise.key,
                            choice=_choice_ids(exercise, False)[:1])
    page = alice_client.get(response["Location"]).content.decode()
    assert "Your answer: <b>1/3</b>" in page
    assert "The right answer: <b>1/2</b>" in page
    assert "Two equal parts." in page


def test_hint_use_is_recorded(alice_client: Client, course: Course) -> None:
    _post_answer(alice_client, course, "quarters-numeric", answer="0.75", hint_used="1")
    assert Attempt.objects.get().hint_used is True


@pytest.mark.parametrize(
    ("key", "answer", "message"),
    [
        ("quarters-numeric", {"answer": ""}, "Please type a number."),
        ("quarters-numeric", {"answer": "   "}, "Please type a number."),
        ("quarters-numeric", {"answer": "three quarters"}, "is not a number"),
        ("quarters-numeric", {"answer": "1/0"}, "denominator"),
        ("quarters-text", {"answer": ""}, "Please type your answer."),
        ("quarters-text", {"answer": "x" * 501}, "at most 500 characters"),
        ("halves-choice", {}, "Please select an answer."),
        ("halves-choice", {"choice": ["abc"]}, "not one of this exercise"),
    ],
)
def test_empty_or_malformed_answer_is_400_and_not_stored(
    alice_client: Client, course: Course, key: str, answer: dict[str, Any], message: str
) -> None:
    response = _post_answer(alice_client, course, key, **answer)
    assert response.status_code == 400
    assert message in response.context["error"]
    assert 'role="alert"' in response.content.decode()
    assert not Attempt.objects.exists()


def test_malformed_answer_keeps_what_was_typed_and_the_client_id(
    alice_client: Client, course: Course
) -> None:
    fields = _form_fields(alice_client, course, "quarters-numeric")
    response = alice_client.post(
        _exercise_url(course, "quarters-numeric"), {**fields, "answer": "0,7,5"}
    )
    assert response.status_code == 400
    assert response.context["previous_answer"] == "0,7,5"
    assert str(response.context["client_id"]) == fields["client_id"]


def test_choice_of_another_exercise_is_400(alice_client: Client, course: Course) -> None:
    foreign = _choice_ids(_exercise(course, "halves-multi"), True)[:1]
    response = _post_answer(alice_client, course, "halves-choice", choice=foreign)
    assert response.status_code == 400
    assert "not one of this exercise" in response.context["error"]
    assert not Attempt.objects.exists()


@pytest.mark.parametrize(
    ("ticket_change", "message"),
    [
        ("missing", "expired"),
        ("tampered", "expired"),
        ("other-exercise", "meant for another exercise"),
    ],
)
def test_bad_ticket_is_400(
    alice_client: Client, course: Course, ticket_change: str, message: str
) -> None:
    fields = _form_fields(alice_client, course, "quarters-numeric")
    if ticket_change == "missing":
        del fields["ticket"]
    elif ticket_change == "tampered":
        fields["ticket"] = "x" + fields["ticket"]
    else:
        fields["ticket"] = _form_fields(alice_client, course, "quarters-text")["ticket"]
    response = alice_client.post(
        _exercise_url(course, "quarters-numeric"), {**fields, "answer": "0.75"}
    )
    assert response.status_code == 400
    assert message in response.context["error"]
    assert not Attempt.objects.exists()


@pytest.mark.parametrize("client_id", [None, "", "not-a-uuid", "12345"])
def test_bad_client_id_is_400(alice_client: Client, course: Course, client_id: str | None) -> None:
    fields = _form_fields(alice_client, course, "quarters-numeric")
    if client_id is None:
        del fields["client_id"]
    else:
        fields["client_id"] = client_id
    response = alice_client.post(
        _exercise_url(course, "quarters-numeric"), {**fields, "answer": "0.75"}
    )
    assert response.status_code == 400
    assert "form is incomplete" in response.context["error"]
    assert not Attempt.objects.exists()


def test_repeated_submission_is_stored_once(alice_client: Client, course: Course) -> None:
    url = _exercise_url(course, "quarters-numeric")
    fields = _form_fields(alice_client, course, "quarters-numeric")
    first = alice_client.post(url, {**fields, "answer": "0.75"})
    second = alice_client.post(url, {**fields, "answer": "0.75"})
    attempt = Attempt.objects.get()
    expected = reverse("attempt_feedback", args=[course.slug, attempt.pk])
    assert (first.status_code, first["Location"]) == (302, expected)
    assert (second.status_code, second["Location"]) == (302, expected)


def test_client_id_reused_for_another_exercise_is_409(alice_client: Client, course: Course) -> None:
    numeric = _form_fields(alice_client, course, "quarters-numeric")
    alice_client.post(_exercise_url(course, "quarters-numeric"), {**numeric, "answer": "0.75"})
    text = _form_fields(alice_client, course, "quarters-text")
    response = alice_client.post(
        _exercise_url(course, "quarters-text"),
        {**text, "client_id": numeric["client_id"], "answer": "one quarter"},
    )
    assert response.status_code == 409
    assert "already used" in response.context["error"]
    assert Attempt.objects.count() == 1


def test_retired_exercise_is_refused(alice_client: Client, course: Course) -> None:
    active = _form_fields(alice_client, course, "quarters-numeric")
    url = _exercise_url(course, "adding-old")
    page = alice_client.get(url)
    assert page.status_code == 400
    assert "retired" in page.context["message"]
    response = alice_client.post(url, {**active, "answer": "0.5"})
    assert response.status_code == 400
    assert not Attempt.objects.exists()


def test_unknown_exercise_is_404(alice_client: Client, course: Course) -> None:
    url = _exercise_url(course, "no-such-exercise")
    assert alice_client.get(url).status_code == 404
    assert alice_client.post(url, {"answer": "1"}).status_code == 404


def test_exercise_of_another_course_is_not_reachable(alice_client: Client, course: Course) -> None:
    other = import_course(small_course_document(slug="other", title="Other course")).course
    fields = _form_fields(alice_client, course, "quarters-numeric")
    for method in ("get", "post"):
        response = getattr(alice_client, method)(
            _exercise_url(other, "quarters-numeric"), {**fields, "answer": "0.75"}
        )
        assert response.status_code == 403, method
    assert not Attempt.objects.exists()


def test_not_enrolled_learner_gets_403(bob: Any, course: Course) -> None:
    client = _client_for(bob)
    url = _exercise_url(course, "quarters-numeric")
    assert client.get(url).status_code == 403
    assert client.post(url, {"answer": "0.75", "client_id": str(uuid.uuid4())}).status_code == 403
    assert not Attempt.objects.exists()


def _attempt_by(learner: Any, course: Course) -> Attempt:
    return record_attempt(
        learner=learner, exercise=_exercise(course, "quarters-numeric"), given="0.75",
        client_id=uuid.uuid4(),
    ).attempt


def test_feedback_is_only_for_the_learners_own_attempt(
    alice_client: Client, enrolled_bob: Any, course: Course
) -> None:
    attempt = _attempt_by(get_user_model().objects.get(username="alice"), course)
    url = reverse("attempt_feedback", args=[course.slug, attempt.pk])
    assert alice_client.get(url).status_code == 200
    assert _client_for(enrolled_bob).get(url).status_code == 404
    assert alice_client.get(reverse("attempt_feedback", args=[course.slug, 99999])).status_code \
        == 404


def test_feedback_under_another_course_is_404(alice_client: Client, course: Course) -> None:
    other = import_course(small_course_document(slug="other", title="Other course")).course
    alice = get_user_model().objects.get(username="alice")
    Enrollment.objects.create(learner=alice, course=other)
    attempt = _attempt_by(alice, course)
    url = reverse("attempt_feedback", args=[other.slug, attempt.pk])
    assert alice_client.get(url).status_code == 404


def test_feedback_for_a_learner_no_longer_enrolled_is_403(
    alice_client: Client, enrolled_alice: Any, course: Course
) -> None:
    attempt = _attempt_by(enrolled_alice, course)
    Enrollment.objects.filter(learner=enrolled_alice).delete()
    url = reverse("attempt_feedback", args=[course.slug, attempt.pk])
    assert alice_client.get(url).status_code == 403


def test_feedback_of_a_choice_lists_the_options_given(
    alice_client: Client, course: Course
) -> None:
    multi = _exercise(course, "halves-multi")
    given = _choice_ids(multi, True)[:1] + _choice_ids(multi, False)
    response = _post_answer(alice_client, course, multi.key, choice=given)
    feedback = alice_client.get(response["Location"])
    texts = set(Choice.objects.filter(pk__in=given).values_list("text", flat=True))
    assert set(feedback.context["given_choices"]) == texts == {"2/4", "2/3"}
    assert "The right answer: <b>2/4, 3/6</b>" in feedback.content.decode()


def test_out_of_range_ids_are_404(alice_client: Client, course: Course) -> None:
    huge = 10**30
    assert alice_client.get(reverse("attempt_feedback", args=[course.slug, huge])).status_code \
        == 404


@pytest.mark.parametrize(
    ("key", "answer"),
    [
        ("quarters-text", {"answer": "one\x00quarter"}),
        ("quarters-numeric", {"answer": "0.75\x00"}),
        ("halves-choice", {"choice": ["1\x00"]}),
        ("halves-choice", {"choice": [str(10**30)]}),
        ("quarters-numeric", {"answer": "1e999"}),
        ("quarters-numeric", {"answer": "9" * 80}),
    ],
)
def test_odd_characters_and_sizes_are_400(
    alice_client: Client, course: Course, key: str, answer: dict[str, Any]
) -> None:
    response = _post_answer(alice_client, course, key, **answer)
    assert response.status_code == 400
    assert response.context["error"]
    assert not Attempt.objects.exists()


@pytest.mark.parametrize(("answer", "tolerance", "shown"),
                         [(23.0, 0.0, "23"), (0.8333, 0.001, "5/6"), (0.75, 0.001, "0.75")])
def test_feedback_shows_a_numeric_answer_as_the_author_means_it(
    alice_client: Client, course: Course, answer: float, tolerance: float, shown: str
) -> None:
    Exercise.objects.filter(course=course, key="quarters-numeric").update(
        numeric_answer=answer, tolerance=tolerance)
    response = _post_answer(alice_client, course, "quarters-numeric", answer="99")
    page = alice_client.get(response["Location"]).content.decode()
    assert f'The right answer: <b class="number">{shown}</b>' in page
