"""What the pages that show the path cost in queries, pinned, and the caches that keep them
cheap: each is invalidated exactly when its inputs change.

Without ``CACHE_URL`` the session is read from the database (one query per request that
production reads from Redis), and in these tests the answer's transaction is a savepoint (two
queries that are BEGIN and COMMIT in production).
"""
from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import access, jobs
from courses.actions.charts import rebuild_course_charts
from courses.actions.enrolment import enrol
from courses.dashboards.history_html import render_ahead
from courses.models import Attempt, Choice, Cohort, Course, Exercise, Skill, StudySession
from courses.queries import content as content_module
from courses.queries.content import course_content
from courses.queries.per_content import PerContent, read_now
from courses.recommend.cache import learning_path, read_course, refresh_path
from courses.tasks import refresh_learning_path, render_history_ahead
from tests.factories import answer

# A signed-in page: the session and the user (with whether they teach a class), then one query
# for the course, the enrolment and the stored path's lookup.
SIGNED_IN = 1 + (settings.SESSION_ENGINE == "django.contrib.sessions.backends.db")
PAGE_QUERIES = {
    "practice": SIGNED_IN + 1,
    "exercise": SIGNED_IN + 1,  # the exercise comes from the content cache
    "path poll": SIGNED_IN + 1,
    "feedback": SIGNED_IN + 2,  # the attempt
    # the chart's states, the learner's assignments, where their placement check stands
    "course": SIGNED_IN + 4,
    # the states, the learner's class with its size, the class's totals; the history (timeline,
    # practice per day, recent answers) is kept until the next answer
    "dashboard": SIGNED_IN + 4,
    "dashboard after an answer": SIGNED_IN + 4 + 3,
}
# course; then the transaction: the enrolment lock with the latest session, the attempt, the
# session's update, the chart's states, their upsert, their history events, the learner's LMS
# links (courses.lti: their scores are queued only for a learner who came from an LMS), the
# review cards of the exercise's skills and their upsert
ANSWER_QUERIES = SIGNED_IN + 1 + 2 + 6 + 1 + 2


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 302), url
    return len(queries)


def _urls(course: Course) -> dict[str, str]:
    return {
        "practice": reverse("practice_next", args=[course.slug]),
        "exercise": reverse("exercise", args=[course.slug, "quarters-text"]),
        "path poll": reverse("path_fragment", args=[course.slug]),
        "course": reverse("course_detail", args=[course.slug]),
        "dashboard": reverse("learner_dashboard", args=[course.slug]),
    }


def _answer_form(client: Client, course: Course, key: str) -> dict[str, str]:
    page = client.get(reverse("exercise", args=[course.slug, key])).content.decode()
    fields = dict(re.findall(r'name="(client_id|ticket)" value="([^"]+)"', page))
    return {**fields, "answer": "one quarter"}


@pytest.fixture
def learner(course: Course, cohort: Cohort, alice: Any) -> Any:
    """alice, enrolled, in tess's class, with an answer and her stored path."""
    enrol(alice, course)
    answer(alice, course, "halves-choice", True)
    _client_for(alice).get(reverse("course_detail", args=[course.slug]))
    return alice


# ---------------------------------------------------------------- the counts


def test_each_page_that_shows_the_path_costs_its_pinned_queries(
    course: Course, learner: Any
) -> None:
    client = _client_for(learner)
    urls = _urls(course)
    for name, url in urls.items():
        client.get(url)
        assert _count(client, url) == PAGE_QUERIES[name], name
    attempt = Attempt.objects.filter(learner=learner).latest("id")
    feedback = reverse("attempt_feedback", args=[course.slug, attempt.pk])
    assert _count(client, feedback) == PAGE_QUERIES["feedback"]


def test_the_answer_costs_its_pinned_queries_and_the_dashboard_reads_the_history_again(
    course: Course, learner: Any
) -> None:
    client = _client_for(learner)
    url = reverse("exercise", args=[course.slug, "quarters-text"])
    form = _answer_form(client, course, "quarters-text")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, form)
    assert response.status_code == 302
    assert len(queries) == ANSWER_QUERIES, [query["sql"][:80] for query in queries]
    writes = [query["sql"].split()[0] for query in queries][SIGNED_IN + 1:]
    assert writes[0] == "SAVEPOINT" and writes[-1] == "RELEASE"
    refresh_path(learner.pk, course.pk)  # as the worker does after the answer
    dashboard = _urls(course)["dashboard"]
    assert _count(client, dashboard) == PAGE_QUERIES["dashboard after an answer"]
    assert _count(client, dashboard) == PAGE_QUERIES["dashboard"]


def test_queries_do_not_grow_with_the_content_or_the_history(
    course: Course, learner: Any
) -> None:
    client = _client_for(learner)
    urls = _urls(course)
    for n in range(6):
        answer(learner, course, ["quarters-text", "adding-numeric"][n % 2], n % 2 == 0)
    for name, url in urls.items():
        client.get(url)
        assert _count(client, url) == PAGE_QUERIES[name], name


def test_the_top_bar_knows_a_teacher_without_a_query_of_its_own(
    course: Course, learner: Any, tess: Any
) -> None:
    enrol(tess, course)
    home_of_tess = _client_for(tess)
    url = reverse("course_detail", args=[course.slug])
    home_of_tess.get(url)
    page = home_of_tess.get(url).content.decode()
    assert "My classes" in page
    assert "My classes" not in _client_for(learner).get(url).content.decode()
    assert _count(home_of_tess, url) == PAGE_QUERIES["course"]


def test_a_learner_given_a_class_sees_the_teacher_link_on_the_next_page(
    course: Course, learner: Any
) -> None:
    client = _client_for(learner)
    url = reverse("course_detail", args=[course.slug])
    assert "My classes" not in client.get(url).content.decode()
    Cohort.objects.create(name="Her own class", course=course, teacher=learner)
    assert "My classes" in client.get(url).content.decode()


def test_teaches_a_class_asks_the_database_for_a_user_read_elsewhere(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    teacher, learner = (get_user_model().objects.get(pk=user.pk) for user in (tess, alice))
    with CaptureQueriesContext(connection) as queries:
        assert access.teaches_a_class(teacher)
        assert not access.teaches_a_class(learner)
    assert len(queries) == 2


def test_the_lookup_read_with_the_course_serves_one_path_read_of_that_learner(
    course: Course, learner: Any, bob: Any
) -> None:
    found = read_course(learner, course.slug)
    assert found is not None and found[1] is True
    with CaptureQueriesContext(connection) as first:
        path = learning_path(learner, found[0])
    with CaptureQueriesContext(connection) as second:
        assert learning_path(learner, found[0]) == path
    assert (len(first), len(second)) == (0, 1)
    other = read_course(bob, course.slug)
    assert other is not None and other[1] is False
    with CaptureQueriesContext(connection) as for_someone_else:
        learning_path(learner, other[0])
    assert len(for_someone_else) >= 1
    assert read_course(learner, "no-such-course") is None


# ---------------------------------------------------------------- the content cache


def test_an_edit_shows_on_the_next_exercise_page_and_checks_the_next_answer(
    course: Course, learner: Any
) -> None:
    client = _client_for(learner)
    url = reverse("exercise", args=[course.slug, "quarters-numeric"])
    assert "Write 3/4 as a decimal." in client.get(url).content.decode()
    exercise = Exercise.objects.get(course=course, key="quarters-numeric")
    exercise.prompt, exercise.numeric_answer = "Write 1/4 as a decimal.", 0.25
    exercise.save()
    page = client.get(url)
    assert "Write 1/4 as a decimal." in page.content.decode()
    fields = dict(re.findall(r'name="(client_id|ticket)" value="([^"]+)"', page.content.decode()))
    feedback = client.post(url, {**fields, "answer": "0.25"}, follow=True)
    assert "Right!" in feedback.content.decode()


def test_an_option_renamed_and_a_skill_renamed_show_at_once(
    course: Course, learner: Any
) -> None:
    client = _client_for(learner)
    url = reverse("exercise", args=[course.slug, "halves-choice"])
    client.get(url)
    choice = Choice.objects.get(exercise__course=course, text="1/3")
    choice.text = "one third"
    choice.save()
    skill = Skill.objects.get(course=course, key="halves")
    skill.name = "One half"
    skill.save()
    page = client.get(url).content.decode()
    assert "one third" in page and "One half" in page


def test_a_retired_exercise_is_refused_at_once(course: Course, learner: Any, root: Any) -> None:
    client = _client_for(learner)
    url = reverse("exercise", args=[course.slug, "quarters-text"])
    assert client.get(url).status_code == 200
    _client_for(root).post(
        reverse("admin:courses_exercise_changelist"),
        {"action": "retire", "_selected_action": [
            Exercise.objects.get(course=course, key="quarters-text").pk]},
    )
    assert Exercise.objects.get(course=course, key="quarters-text").status == "retired"
    assert client.get(url).status_code == 400


def test_a_course_object_older_than_the_content_still_gets_the_new_content(
    course: Course, learner: Any
) -> None:
    stale = Course.objects.get(pk=course.pk)
    before = course_content(stale).by_key["quarters-text"].accepted_answers
    exercise = Exercise.objects.get(course=course, key="quarters-text")
    exercise.accepted_answers = ["one fourth"]
    exercise.save()
    assert course_content(stale).by_key["quarters-text"].accepted_answers == ("one fourth",)
    assert before != ("one fourth",)


def test_a_course_read_now_costs_no_query_for_its_content(
    course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(content_module, "_contents", PerContent(content_module.CourseContent.load))
    course_content(read_now(Course.objects.get(pk=course.pk)))  # loads: four queries
    with CaptureQueriesContext(connection) as queries:
        content = course_content(read_now(Course.objects.get(pk=course.pk)))
    assert len(queries) == 1  # the course itself
    assert content.by_key["halves-choice"].takes_several_options is False
    assert content.by_key["halves-multi"].takes_several_options is True
    assert [skill.key for skill in content.by_key["adding-numeric"].skills] == [
        "adding", "quarters"]


def test_the_cached_answer_key_is_the_stored_exercises(course: Course) -> None:
    from courses.queries.exercises import answer_key_for

    content = course_content(course)
    for exercise in Exercise.objects.filter(course=course).prefetch_related("choices"):
        assert content.by_id[exercise.pk].answer_key == answer_key_for(exercise)


# ---------------------------------------------------------------- the answer's transaction


def test_a_resubmission_returns_the_stored_attempt_even_once_the_exercise_is_retired(
    course: Course, learner: Any
) -> None:
    client = _client_for(learner)
    url = reverse("exercise", args=[course.slug, "quarters-text"])
    form = _answer_form(client, course, "quarters-text")
    first = client.post(url, form)
    assert client.post(url, form)["Location"] == first["Location"]
    assert Attempt.objects.filter(client_id=form["client_id"]).count() == 1
    exercise = Exercise.objects.get(course=course, key="quarters-text")
    from courses.actions.attempts import record_attempt

    exercise.status = Exercise.Status.RETIRED
    exercise.save()
    again = record_attempt(learner=learner, exercise=exercise, given="one quarter",
                           client_id=uuid.UUID(form["client_id"]))
    assert not again.created and again.attempt.pk == int(first["Location"].rstrip("/")
                                                        .rsplit("/", 1)[1])


def test_sessions_are_counted_and_opened_after_the_gap(course: Course, learner: Any) -> None:
    start = timezone.now() - timedelta(hours=3)
    Attempt.objects.filter(learner=learner).delete()
    StudySession.objects.filter(learner=learner).delete()
    for minutes in (0, 5, 10, 100, 101):
        answer(learner, course, "quarters-text", True, at=start + timedelta(minutes=minutes))
    sessions = list(StudySession.objects.filter(learner=learner).order_by("number"))
    assert [(s.number, s.attempt_count) for s in sessions] == [(1, 3), (2, 2)]
    assert sessions[0].last_activity_at == start + timedelta(minutes=10)
    assert sessions[1].started_at == start + timedelta(minutes=100)
    assert sessions[1].last_activity_at == start + timedelta(minutes=101)
    late_but_earlier = start + timedelta(minutes=100, seconds=30)
    answer(learner, course, "quarters-text", True, at=late_but_earlier)
    assert StudySession.objects.get(pk=sessions[1].pk).last_activity_at == (
        start + timedelta(minutes=101))


# ---------------------------------------------------------------- the dashboard's history cache


def _dashboard(client: Client, course: Course, query: str = "") -> str:
    response = client.get(reverse("learner_dashboard", args=[course.slug]) + query)
    assert response.status_code == 200
    return response.content.decode()


def _recent_rows(page: str) -> int:
    recent = page.split('id="recent-title"', 1)[1]
    return recent.count("<code>")


def test_the_history_shown_follows_each_answer(course: Course, learner: Any) -> None:
    client = _client_for(learner)
    assert _recent_rows(_dashboard(client, course)) == 1
    assert _recent_rows(_dashboard(client, course)) == 1
    answer(learner, course, "quarters-text", False)
    page = _dashboard(client, course)
    assert _recent_rows(page) == 2 and "<b>2</b> answers in 28 days" in page


def test_the_history_follows_a_rename_a_rebuild_and_the_chosen_skills(
    course: Course, learner: Any
) -> None:
    client = _client_for(learner)
    answer(learner, course, "quarters-text", True)
    assert "Quarter skill" not in _dashboard(client, course)
    skill = Skill.objects.get(course=course, key="quarters")
    skill.name = "Quarter skill"
    skill.save()
    assert "Quarter skill" in _dashboard(client, course).split('id="timeline-title"', 1)[1]
    chosen = _dashboard(client, course, "?skill=halves")
    assert 'value="halves" checked' in chosen and 'value="quarters" checked' not in chosen
    assert 'value="quarters" checked' in _dashboard(client, course, "?skill=quarters")
    # A rebuild replays the history: what it shows is read again.
    events = _dashboard(client, course).split('id="timeline-title"', 1)[1].count("<td>")
    rebuild_course_charts(course)
    assert _dashboard(client, course).split('id="timeline-title"', 1)[1].count("<td>") == events


def test_after_an_answer_a_worker_renders_the_history_ahead(
    course: Course, learner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client_for(learner)
    dashboard = _urls(course)["dashboard"]
    client.get(dashboard)
    answer(learner, course, "quarters-text", True)
    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr(jobs, "send_now", lambda name, *args, **options: sent.append(
        (name, *args, options.get("queue"))))
    assert refresh_learning_path.apply(args=[learner.pk, course.pk]).get() is True
    # Queued for the default queue's worker, once the path is planned.
    assert sent == [(jobs.RENDER_HISTORY_AHEAD, learner.pk, course.pk, None)]
    assert render_history_ahead.apply(args=[learner.pk, course.pk]).get() is True
    assert not render_ahead(learner.pk, course.pk)  # already rendered
    assert _count(client, dashboard) == PAGE_QUERIES["dashboard"]
    assert _recent_rows(_dashboard(client, course)) == 2


def test_the_history_is_rendered_ahead_only_for_a_dashboard_opened_lately(
    course: Course, learner: Any
) -> None:
    answer(learner, course, "quarters-text", True)
    with CaptureQueriesContext(connection) as queries:
        assert render_ahead(learner.pk, course.pk) is False
    assert len(queries) == 2  # the learner and the course
    _dashboard(_client_for(learner), course)
    answer(learner, course, "quarters-text", False)
    assert render_ahead(learner.pk, course.pk) is True


def test_the_history_is_keyed_by_the_day(course: Course, learner: Any) -> None:
    from courses.dashboards.learner import learner_dashboard

    today = timezone.localdate()
    now = learner_dashboard(learner, course, today=today)
    later = learner_dashboard(learner, course, today=today + timedelta(days=30))
    assert now.history_key != later.history_key
    assert later.answers_in_period == 0 and now.answers_in_period == 1
    answer(learner, course, "quarters-text", True)
    assert learner_dashboard(learner, course, today=today).history_key != now.history_key


def test_the_history_key_is_a_digest_that_ignores_unknown_skills(
    course: Course, learner: Any
) -> None:
    from courses.dashboards.learner import learner_dashboard

    plain = learner_dashboard(learner, course).history_key
    odd = learner_dashboard(learner, course, chosen_skills=["9" * 5000, "<b>"]).history_key
    assert odd == plain and len(plain) == 64
    assert learner_dashboard(learner, course, chosen_skills=["halves"]).history_key != plain
