"""The stored learning path: a page that shows it costs one lookup, every change that affects it
(an answer, a pin, a new model, a content or settings change, a chart rebuild, the clock) makes
the next page plan it again, the worker's refresh is queued after an answer and is safe twice at
once, and the feedback page's polling endpoint serves only the learner's own path."""
from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses import jobs
from courses.actions.charts import rebuild_course_charts
from courses.actions.enrolment import add_to_cohort, enrol
from courses.actions.pins import add_pin, remove_pin
from courses.ml import training
from courses.models import Attempt, CachedPath, Cohort, Course, Exercise, ModelVersion
from courses.recommend import cache
from courses.recommend.paths import BROKEN_MODEL_NOTE, LearningPath, recommend_path
from courses.tasks import refresh_learning_path
from tests.factories import answer

Plans = list[str]


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> Plans:
    """Counts the planner's runs: one username per call."""
    calls: Plans = []

    def counted(learner: Any, course: Course, length: int | None = None) -> LearningPath:
        calls.append(learner.get_username())
        return recommend_path(learner, course, length)

    monkeypatch.setattr(cache, "recommend_path", counted)
    return calls


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _after_grace(learner: Any, course: Course) -> None:
    """As if the learner's newest answer was given longer ago than the worker's head start."""
    Attempt.objects.filter(learner=learner, course=course).update(
        submitted_at=timezone.now() - cache.REFRESH_GRACE - timedelta(seconds=1))


# ---------------------------------------------------------------- hits


def test_a_stored_path_is_shown_without_planning_in_one_query(
    course: Course, enrolled_alice: Any, plans: Plans
) -> None:
    first = cache.learning_path(enrolled_alice, course)
    assert plans == ["alice"]
    with CaptureQueriesContext(connection) as queries:
        again = cache.learning_path(enrolled_alice, course)
    assert again == first and plans == ["alice"]
    assert len(queries) == 1


def test_the_pages_read_the_stored_path(
    course: Course, cohort: Cohort, tess: Any, alice: Any, plans: Plans
) -> None:
    enrol(alice, course)
    client = _client_for(alice)
    assert client.get(reverse("course_detail", args=[course.slug])).status_code == 200
    for url in (reverse("course_detail", args=[course.slug]),
                reverse("learner_dashboard", args=[course.slug]),
                reverse("exercise", args=[course.slug, "halves-choice"]),
                reverse("path_fragment", args=[course.slug])):
        assert client.get(url).status_code == 200, url
    assert _client_for(tess).get(
        reverse("teacher_learner", args=[cohort.pk, alice.pk])).status_code == 200
    assert plans == ["alice"]


def test_the_stored_path_is_the_planned_one(course: Course, enrolled_alice: Any) -> None:
    answer(enrolled_alice, course, "halves-choice", False)
    stored = cache.learning_path(enrolled_alice, course)
    assert cache.learning_path(enrolled_alice, course) == stored
    assert stored == recommend_path(enrolled_alice, course)
    assert all(isinstance(item.other_skill_names, tuple) for item in stored.items)


def test_a_stored_path_in_another_format_is_planned_again(
    course: Course, enrolled_alice: Any, plans: Plans
) -> None:
    cache.learning_path(enrolled_alice, course)
    CachedPath.objects.update(path={"format": cache.FORMAT + 1, "items": []})
    assert cache.learning_path(enrolled_alice, course).items
    CachedPath.objects.update(path={"format": cache.FORMAT, "items": [{"unknown": 1}],
                                    "source": "x", "note": "", "model_version": None})
    assert cache.learning_path(enrolled_alice, course).items
    CachedPath.objects.update(path={"format": cache.FORMAT, "items": [], "source": "x",
                                    "note": "", "model_version": None, "added_later": 1})
    assert cache.learning_path(enrolled_alice, course).items
    assert plans == ["alice"] * 4


# ---------------------------------------------------------------- what makes it stale


def _activate_a_model(course: Course) -> None:
    candidate = ModelVersion.objects.create(
        course=course, number=1, artifact_path="/nonexistent/model.pt", checksum="0" * 64,
        training_attempts=0, training_learners=0, valid_auc=0.7, valid_hr10=0.2)
    assert training.promote(candidate)[0]


def _an_answer(course: Course, alice: Any, tess: Any, cohort: Cohort) -> None:
    answer(alice, course, "halves-choice", True)


def _a_pin_for_the_learner(course: Course, alice: Any, tess: Any, cohort: Cohort) -> None:
    add_pin(tess, cohort, "quarters-text", learner=alice)


def _a_pin_for_the_class(course: Course, alice: Any, tess: Any, cohort: Cohort) -> None:
    add_pin(tess, cohort, "quarters-text")


def _a_new_model(course: Course, alice: Any, tess: Any, cohort: Cohort) -> None:
    _activate_a_model(course)


def _an_exercise_edited(course: Course, alice: Any, tess: Any, cohort: Cohort) -> None:
    Exercise.objects.get(course=course, key="halves-choice").save()


def _the_course_settings_saved(course: Course, alice: Any, tess: Any, cohort: Cohort) -> None:
    Course.objects.get(pk=course.pk).save()


def _the_charts_rebuilt(course: Course, alice: Any, tess: Any, cohort: Cohort) -> None:
    rebuild_course_charts(course)


def _an_hour_later(course: Course, alice: Any, tess: Any, cohort: Cohort) -> None:
    CachedPath.objects.update(
        computed_at=timezone.now() - cache.EXPIRES_AFTER - timedelta(seconds=1))


CHANGES: dict[str, Callable[[Course, Any, Any, Cohort], None]] = {
    change.__name__.strip("_"): change
    for change in (_an_answer, _a_pin_for_the_learner, _a_pin_for_the_class, _a_new_model,
                   _an_exercise_edited, _the_course_settings_saved, _the_charts_rebuilt,
                   _an_hour_later)
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_change_plans_the_path_again(
    course: Course, cohort: Cohort, tess: Any, alice: Any, plans: Plans, change: str
) -> None:
    enrol(alice, course)
    answer(alice, course, "quarters-numeric", True)  # a chart to rebuild
    cache.learning_path(alice, course)
    cache.learning_path(alice, course)
    assert plans == ["alice"]
    CHANGES[change](course, alice, tess, cohort)
    path = cache.learning_path(alice, course)
    assert plans == ["alice", "alice"]
    assert path == recommend_path(alice, course)
    cache.learning_path(alice, course)
    assert plans == ["alice", "alice"]  # stored again under the new stamp


def test_a_pin_shows_at_once_and_goes_when_removed_or_answered(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    enrol(alice, course)
    assert "quarters-text" not in [i.exercise_key for i in cache.learning_path(alice, course).items]
    pin = add_pin(tess, cohort, "quarters-text", learner=alice)
    assert cache.learning_path(alice, course).items[0].exercise_key == "quarters-text"
    remove_pin(cohort, pin.pk)
    assert not any(item.pinned for item in cache.learning_path(alice, course).items)
    add_pin(tess, cohort, "quarters-text")
    assert cache.learning_path(alice, course).items[0].pinned
    answer(alice, course, "quarters-text", True)  # done once answered
    assert not any(item.pinned for item in cache.learning_path(alice, course).items)


def test_renewing_a_pin_and_joining_a_class_with_pins_plan_again(
    course: Course, cohort: Cohort, other_cohort: Cohort, tess: Any, ted: Any, alice: Any,
    enrolled_bob: Any, plans: Plans
) -> None:
    enrol(alice, course)
    pin = add_pin(tess, cohort, "quarters-text", learner=alice)
    cache.learning_path(alice, course)
    add_pin(tess, cohort, pin.exercise.key, learner=alice)  # renewed from now
    cache.learning_path(alice, course)
    add_pin(ted, other_cohort, "halves-multi")
    cache.learning_path(alice, course)  # another class's pin: nothing changes for alice
    assert plans == ["alice", "alice"]
    add_to_cohort(other_cohort, alice)
    path = cache.learning_path(alice, course)
    assert plans == ["alice"] * 3
    assert "halves-multi" in [item.exercise_key for item in path.items if item.pinned]


def test_a_new_model_changes_the_note(course: Course, enrolled_alice: Any) -> None:
    assert cache.learning_path(enrolled_alice, course).about != BROKEN_MODEL_NOTE
    _activate_a_model(course)  # its file is missing: the path says the model is unavailable
    assert cache.learning_path(enrolled_alice, course).about == BROKEN_MODEL_NOTE


def test_content_and_settings_changes_show_at_once(course: Course, enrolled_alice: Any) -> None:
    first = cache.learning_path(enrolled_alice, course).items[0].exercise_key
    exercise = Exercise.objects.get(course=course, key=first)
    exercise.status = Exercise.Status.RETIRED
    exercise.save()
    assert first not in [i.exercise_key for i in cache.learning_path(enrolled_alice, course).items]
    fresh = Course.objects.get(pk=course.pk)
    fresh.path_length = 1
    fresh.save()
    assert len(cache.learning_path(enrolled_alice, fresh).items) == 1


# ---------------------------------------------------------------- after an answer


def test_an_answer_queues_the_refresh_by_name_on_the_paths_queue(
    course: Course, enrolled_alice: Any, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any
) -> None:
    sent: list[tuple[str, Any, dict[str, Any]]] = []
    monkeypatch.setattr("courses.jobs.current_app.send_task",
                        lambda name, args, **options: sent.append((name, args, options)))
    with django_capture_on_commit_callbacks(execute=True):
        answer(enrolled_alice, course, "halves-choice", True)
    options = {"retry": False, "queue": jobs.PATHS_QUEUE, "expires": jobs.PATH_REFRESH_EXPIRES}
    assert (jobs.REFRESH_LEARNING_PATH, (enrolled_alice.pk, course.pk), options) in sent


def test_a_broker_that_is_down_costs_the_answer_nothing(
    course: Course, enrolled_alice: Any, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr("courses.jobs.current_app.send_task", down)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        answer(enrolled_alice, course, "halves-choice", True)
    assert Attempt.objects.count() == 1
    assert jobs.REFRESH_LEARNING_PATH in caplog.text
    assert cache.learning_path(enrolled_alice, course).items  # the page plans it itself


def test_the_refresh_task_plans_only_a_stale_path(
    course: Course, enrolled_alice: Any, plans: Plans
) -> None:
    assert refresh_learning_path(enrolled_alice.pk, course.pk) is True
    assert refresh_learning_path(enrolled_alice.pk, course.pk) is False
    answer(enrolled_alice, course, "halves-choice", False)
    assert refresh_learning_path(enrolled_alice.pk, course.pk) is True
    row = CachedPath.objects.get()
    assert row.last_attempt_id == Attempt.objects.get().pk
    cache.learning_path(enrolled_alice, course)
    assert plans == ["alice", "alice"]


def test_the_refresh_task_skips_learners_and_courses_that_are_gone(
    course: Course, enrolled_alice: Any
) -> None:
    for learner_id, course_id in ((10**9, course.pk), (enrolled_alice.pk, 10**9), (0, 0),
                                  (-5, -5)):
        assert refresh_learning_path(learner_id, course_id) is False
    assert not CachedPath.objects.exists()


def test_a_stale_path_is_planned_by_the_page_that_needs_it(
    course: Course, enrolled_alice: Any, plans: Plans
) -> None:
    client = _client_for(enrolled_alice)
    client.get(reverse("course_detail", args=[course.slug]))
    answer(enrolled_alice, course, "halves-choice", False)  # the worker has not run
    newest = Attempt.objects.get().pk
    response = client.get(reverse("practice_next", args=[course.slug]))
    assert response.status_code == 302
    assert CachedPath.objects.get().last_attempt_id == newest
    page = client.get(response["Location"]).content.decode()
    assert 'id="learning-path"' in page and "being updated" not in page
    assert plans == ["alice", "alice"]


def test_two_refreshes_of_the_same_change_do_not_collide(
    course: Course, enrolled_alice: Any
) -> None:
    before = cache._lookup(enrolled_alice.pk, course.pk)  # no row yet: both would insert
    assert cache.refresh_path(enrolled_alice.pk, course.pk)
    cache._plan_and_store(enrolled_alice, course, before)
    assert CachedPath.objects.count() == 1
    assert cache.refresh_path(enrolled_alice.pk, course.pk) is False


def test_a_path_planned_for_an_older_stamp_stays_stale(
    course: Course, enrolled_alice: Any, plans: Plans
) -> None:
    before = cache._lookup(enrolled_alice.pk, course.pk)
    answer(enrolled_alice, course, "halves-choice", True)
    cache._plan_and_store(enrolled_alice, course, before)  # a slow refresh finishing late
    cache.learning_path(enrolled_alice, course)
    assert plans == ["alice", "alice"]


@pytest.mark.skipif("connection.vendor != 'postgresql'",
                    reason="SQLite's test database locks whole tables between threads")
def test_refreshes_in_threads_at_once_store_one_row(
    transactional_db: Any, course: Course, alice: Any
) -> None:
    enrol(alice, course)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def refresh() -> None:
        try:
            start.wait()
            cache._plan_and_store(alice, course, cache._lookup(alice.pk, course.pk))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert CachedPath.objects.filter(learner=alice).count() == 1


# ---------------------------------------------------------------- the feedback page and its poll


def _answer_through_the_page(client: Client, course: Course) -> str:
    page = client.get(reverse("exercise", args=[course.slug, "quarters-numeric"]))
    ticket = page.context["ticket"]
    response = client.post(reverse("exercise", args=[course.slug, "quarters-numeric"]),
                           {"answer": "0.75", "client_id": str(uuid.uuid4()), "ticket": ticket})
    assert response.status_code == 302
    return str(response["Location"])


def test_right_after_an_answer_the_feedback_page_says_the_path_is_being_updated(
    course: Course, enrolled_alice: Any
) -> None:
    client = _client_for(enrolled_alice)
    feedback = client.get(_answer_through_the_page(client, course)).content.decode()
    assert "Your next steps are being updated" in feedback
    assert f'data-poll="{reverse("path_fragment", args=[course.slug])}"' in feedback
    assert f'href="{reverse("course_detail", args=[course.slug])}#learning-path"' in feedback
    assert "js/path.js" in feedback
    assert "path-item" not in feedback


def test_the_poll_waits_for_the_worker_then_plans_the_path_itself(
    course: Course, enrolled_alice: Any, plans: Plans
) -> None:
    client = _client_for(enrolled_alice)
    url = reverse("path_fragment", args=[course.slug])
    feedback_url = _answer_through_the_page(client, course)
    plans.clear()
    pending = client.get(url)
    assert pending.status_code == 200 and pending.json()["ready"] is False
    assert pending.json()["retry_ms"] > 0 and plans == []
    _after_grace(enrolled_alice, course)
    ready = client.get(url).json()
    assert ready["ready"] is True and 'class="path-item' in ready["html"]
    assert 'id="learning-path"' in ready["html"]
    feedback = client.get(feedback_url).content.decode()
    assert "being updated" not in feedback and 'class="path-item' in feedback
    assert plans == ["alice"]


def test_the_poll_serves_a_path_the_worker_planned(course: Course, enrolled_alice: Any) -> None:
    client = _client_for(enrolled_alice)
    _answer_through_the_page(client, course)
    assert refresh_learning_path(enrolled_alice.pk, course.pk)  # what the worker does
    answer_json = client.get(reverse("path_fragment", args=[course.slug])).json()
    assert answer_json["ready"] is True and "path-item" in answer_json["html"]


def test_the_poll_shows_only_the_learners_own_path(
    course: Course, cohort: Cohort, tess: Any, alice: Any, enrolled_bob: Any
) -> None:
    enrol(alice, course)
    add_pin(tess, cohort, "quarters-text", learner=alice)
    url = reverse("path_fragment", args=[course.slug])
    own = _client_for(alice).get(url).json()["html"]
    other = _client_for(enrolled_bob).get(url).json()["html"]
    assert "Teacher&#x27;s choice" in own or "Teacher's choice" in own
    assert "Teacher's choice" not in other and "Teacher&#x27;s choice" not in other
    assert _client_for(enrolled_bob).get(f"{url}?learner={alice.pk}").json()["html"] == other


def test_the_poll_refuses_strangers_and_bad_addresses(
    course: Course, alice: Any, tess: Any, client: Client
) -> None:
    url = reverse("path_fragment", args=[course.slug])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    assert _client_for(alice).get(url).status_code == 403  # not enrolled
    assert _client_for(tess).get(url).status_code == 403
    enrol(alice, course)
    learner = _client_for(alice)
    assert learner.post(url).status_code == 405
    for bad in ("/courses/no-such-course/path/", "/courses/%00/path/",
                f"/courses/{'x' * 5000}/path/", "/courses/../path/"):
        assert learner.get(bad).status_code == 404, bad
    assert json.loads(learner.get(f"{url}?x=%00").content)["ready"] is True


def test_a_deleted_learner_takes_the_stored_path_along(course: Course, alice: Any) -> None:
    enrol(alice, course)
    cache.learning_path(alice, course)
    get_user_model().objects.filter(pk=alice.pk).delete()
    assert not CachedPath.objects.exists()
