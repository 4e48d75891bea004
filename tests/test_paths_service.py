"""The learning path in the site: cold start, constraints, reasons, pins, and the pages."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from courses.actions.attempts import record_attempt
from courses.actions.pins import add_pin, remove_pin
from courses.errors import InvalidInput, NotFound
from courses.models import Cohort, Course, Exercise, PathPin, SkillState
from courses.recommend.paths import NEW_LEARNER_NOTE, NO_MODEL_NOTE, SKILL_GRAPH, recommend_path


def test_cold_start_path_from_the_skill_graph_says_so(course: Course, enrolled_alice: Any) -> None:
    path = recommend_path(enrolled_alice, course)
    assert path.source == SKILL_GRAPH and path.about == NO_MODEL_NOTE
    assert [item.skill_key for item in path.items][:1] == ["halves"]
    assert all(item.reason and "Predicted chance of success" in item.reason
               for item in path.items)
    assert "Halves" in path.items[0].reason
    assert path.about != NEW_LEARNER_NOTE


def test_path_never_offers_retired_or_blocked_exercises(
    course: Course, enrolled_alice: Any
) -> None:
    keys = {item.exercise_key for item in recommend_path(enrolled_alice, course, length=10).items}
    assert "adding-old" not in keys
    assert "adding-numeric" not in keys  # its prerequisite chain is far from mastered


def test_path_length_follows_the_course_setting(course: Course, enrolled_alice: Any) -> None:
    course.path_length = 2
    course.save()
    assert len(recommend_path(enrolled_alice, course).items) == 2


def test_pins_come_first_and_are_the_teachers_choice(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    add_pin(tess, cohort, "quarters-text", learner=alice)
    add_pin(tess, cohort, "halves-multi")
    items = recommend_path(alice, course).items
    assert {item.exercise_key for item in items[:2]} == {"halves-multi", "quarters-text"}
    assert all(item.pinned for item in items[:2])
    assert "Chosen by your teacher" in items[0].reason
    assert not any(item.pinned for item in items[2:])


def test_class_pins_reach_every_learner_of_the_class_only(
    course: Course, cohort: Cohort, tess: Any, alice: Any, enrolled_bob: Any
) -> None:
    add_pin(tess, cohort, "quarters-text")
    assert recommend_path(alice, course).items[0].exercise_key == "quarters-text"
    assert recommend_path(enrolled_bob, course).items[0].exercise_key != "quarters-text"


def test_pin_rules(course: Course, cohort: Cohort, tess: Any, bob: Any) -> None:
    with pytest.raises(InvalidInput, match="retired"):
        add_pin(tess, cohort, "adding-old")
    with pytest.raises(NotFound):
        add_pin(tess, cohort, "nope")
    with pytest.raises(InvalidInput, match="not in the class"):
        add_pin(tess, cohort, "quarters-text", learner=bob)
    first = add_pin(tess, cohort, "quarters-text")
    assert add_pin(tess, cohort, "quarters-text") == first
    remove_pin(cohort, first.pk)
    assert not PathPin.objects.exists()


def test_retired_pins_drop_out_of_the_path(course: Course, cohort: Cohort, tess: Any,
                                          alice: Any) -> None:
    add_pin(tess, cohort, "quarters-text")
    Exercise.objects.filter(key="quarters-text").update(status="retired")
    assert "quarters-text" not in {i.exercise_key for i in recommend_path(alice, course).items}


def test_practice_follows_the_path_and_the_page_shows_it(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    add_pin(tess, cohort, "quarters-text")
    client = Client()
    client.force_login(alice)
    response = client.get(f"/courses/{course.slug}/practice/")
    assert response["Location"].endswith("/exercises/quarters-text/")
    page = client.get(f"/courses/{course.slug}/").content.decode()
    assert "Your learning path" in page and "Teacher's choice" in page
    assert str(NO_MODEL_NOTE).split(",")[0] in page


def test_teacher_pins_through_the_pages(course: Course, cohort: Cohort, tess: Any, alice: Any,
                                        ted: Any) -> None:
    client = Client()
    client.force_login(tess)
    url = f"/teach/classes/{cohort.pk}/pins/"
    assert client.get(url).status_code == 405
    response = client.post(url, {"exercise": "quarters-text", "learner": alice.pk})
    assert response.status_code == 302
    pin = PathPin.objects.get()
    assert pin.learner == alice and pin.cohort is None
    bad = client.post(url, {"exercise": "adding-old"}, follow=True)
    assert "retired" in bad.content.decode()
    assert client.post(url, {"exercise": "halves-multi", "learner": "x"}).status_code == 403
    other = Client()
    other.force_login(ted)
    assert other.post(url, {"exercise": "halves-multi"}).status_code == 403
    assert other.post(f"{url}{pin.pk}/delete/").status_code == 403
    assert client.post(f"{url}{pin.pk}/delete/").status_code == 302
    assert not PathPin.objects.exists()


def test_the_path_changes_as_the_learner_practises(course: Course, enrolled_alice: Any) -> None:
    before = [item.exercise_key for item in recommend_path(enrolled_alice, course).items]
    for key in ("halves-choice", "halves-multi") * 3:
        exercise = Exercise.objects.get(key=key)
        right = [c.pk for c in exercise.choices.all() if c.is_correct]
        record_attempt(learner=enrolled_alice, exercise=exercise, given=right,
                       client_id=uuid.uuid4())
    after = recommend_path(enrolled_alice, course).items
    assert [item.exercise_key for item in after] != before
    assert after[0].skill_key == "quarters"


def test_content_changes_reach_the_cached_course_view(course: Course, enrolled_alice: Any,
                                                       root: Any) -> None:
    first = recommend_path(enrolled_alice, course).items[0].exercise_key
    client = Client()
    client.force_login(root)
    response = client.post("/admin/courses/exercise/", {
        "action": "retire", "_selected_action": list(
            Exercise.objects.filter(key=first).values_list("pk", flat=True))})
    assert response.status_code == 302
    assert first not in {i.exercise_key for i in recommend_path(enrolled_alice, course).items}
    Exercise.objects.get(key=first).skills.clear()
    Exercise.objects.filter(key=first).update(status="active")
    assert first not in {i.exercise_key for i in recommend_path(enrolled_alice, course).items}


def test_a_step_names_every_skill_of_its_exercise(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    add_pin(tess, cohort, "adding-numeric")
    (step,) = [item for item in recommend_path(alice, course).items
               if item.exercise_key == "adding-numeric"]
    assert step.skills_label == f"{step.skill_name} + " + (
        "Quarters" if step.skill_key == "adding" else "Adding")
    client = Client()
    client.force_login(alice)
    page = client.get(f"/courses/{course.slug}/").content.decode()
    assert step.skills_label in page


def _pinned_keys(learner: Any, course: Course) -> list[str]:
    return [item.exercise_key for item in recommend_path(learner, course).items if item.pinned]


def _answer(learner: Any, key: str, given: str) -> None:
    record_attempt(learner=learner, exercise=Exercise.objects.get(key=key), given=given,
                   client_id=uuid.uuid4())


def test_a_pin_is_done_once_the_learner_answered_it_right_or_wrong(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    add_pin(tess, cohort, "quarters-text")
    add_pin(tess, cohort, "quarters-numeric", learner=alice)
    assert set(_pinned_keys(alice, course)) == {"quarters-text", "quarters-numeric"}
    assert "until you have answered it" in recommend_path(alice, course).items[0].reason
    _answer(alice, "quarters-text", "no idea")  # wrong: done all the same
    assert _pinned_keys(alice, course) == ["quarters-numeric"]
    _answer(alice, "quarters-numeric", "0.75")
    assert _pinned_keys(alice, course) == []


def test_pinning_again_renews_a_pin_the_learner_is_done_with(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    first = add_pin(tess, cohort, "quarters-text")
    _answer(alice, "quarters-text", "a quarter")
    assert _pinned_keys(alice, course) == []
    again = add_pin(tess, cohort, "quarters-text")
    assert again.pk == first.pk and again.created_at > first.created_at
    assert _pinned_keys(alice, course) == ["quarters-text"]


def test_a_pin_until_mastered_stays_until_every_skill_is_mastered(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    pin = add_pin(tess, cohort, "quarters-text", until=PathPin.Until.MASTERED)
    assert "until you have mastered its skills" in recommend_path(alice, course).items[0].reason
    _answer(alice, "quarters-text", "a quarter")
    assert _pinned_keys(alice, course) == ["quarters-text"]  # answered, not yet mastered
    SkillState.objects.filter(learner=alice, skill__key="quarters").update(level="mastered")
    assert _pinned_keys(alice, course) == []
    with pytest.raises(InvalidInput, match="how long the pin holds"):
        add_pin(tess, cohort, "halves-choice", until="forever")
    assert PathPin.objects.get() == pin


def test_the_teacher_chooses_how_long_a_pin_holds(
    course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    client = Client()
    client.force_login(tess)
    page = client.get(f"/teach/classes/{cohort.pk}/").content.decode()
    assert 'name="until"' in page
    response = client.post(f"/teach/classes/{cohort.pk}/pins/",
                           {"exercise": "quarters-text", "until": "mastered"})
    assert response.status_code == 302
    assert PathPin.objects.get().until == PathPin.Until.MASTERED
    assert "until its skills are mastered" in client.get(
        f"/teach/classes/{cohort.pk}/").content.decode()
    client.post(f"/teach/classes/{cohort.pk}/pins/", {"exercise": "halves-choice",
                                                       "until": "forever"})
    assert PathPin.objects.count() == 1
