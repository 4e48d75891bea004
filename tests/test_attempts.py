"""record_attempt: answer checking per kind, idempotency, sessions, and chart update together."""
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from courses.actions.attempts import record_attempt
from courses.errors import Conflict, InvalidInput, NotEnrolled
from courses.models import Attempt, Course, Exercise, MasteryEvent, SkillState, StudySession


def _exercise(course: Course, key: str) -> Exercise:
    return Exercise.objects.get(course=course, key=key)


def _submit(learner: Any, exercise: Exercise, given: Any, **kwargs: Any) -> Any:
    return record_attempt(
        learner=learner, exercise=exercise, given=given,
        client_id=kwargs.pop("client_id", uuid.uuid4()), **kwargs,
    )


def _choice_ids(exercise: Exercise, correct: bool) -> list[int]:
    return [c.pk for c in exercise.choices.all() if c.is_correct == correct]


@pytest.mark.parametrize(
    ("key", "right", "wrong"),
    [
        ("quarters-numeric", "3/4", "0.7"),
        ("quarters-text", "  One   QUARTER ", "one third"),
    ],
)
def test_typed_answers_are_checked(
    course: Course, enrolled_alice: Any, key: str, right: str, wrong: str
) -> None:
    exercise = _exercise(course, key)
    assert _submit(enrolled_alice, exercise, right).attempt.correct is True
    assert _submit(enrolled_alice, exercise, wrong).attempt.correct is False


def test_choice_answers_need_the_exact_set(course: Course, enrolled_alice: Any) -> None:
    multi = _exercise(course, "halves-multi")
    right = _choice_ids(multi, True)
    assert _submit(enrolled_alice, multi, [str(i) for i in right]).attempt.correct is True
    assert _submit(enrolled_alice, multi, right[:1]).attempt.correct is False
    stored = Attempt.objects.filter(exercise=multi).order_by("id").first()
    assert stored.answer == sorted(right)


@pytest.mark.parametrize(
    ("key", "given", "message"),
    [
        ("quarters-numeric", "", "Please type a number"),
        ("quarters-numeric", "three quarters", "is not a number"),
        ("quarters-numeric", "1/0", "denominator"),
        ("quarters-text", "   ", "Please type your answer"),
        ("halves-choice", [], "Please select an answer"),
        ("halves-choice", ["999999"], "not one of this exercise's options"),
        ("halves-choice", ["abc"], "not one of this exercise's options"),
    ],
)
def test_bad_answers_are_refused_and_not_stored(
    course: Course, enrolled_alice: Any, key: str, given: Any, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        _submit(enrolled_alice, _exercise(course, key), given)
    assert not Attempt.objects.exists()
    assert not StudySession.objects.exists()
    assert not SkillState.objects.exists()


def test_option_of_another_exercise_is_refused(course: Course, enrolled_alice: Any) -> None:
    other_option = _choice_ids(_exercise(course, "halves-multi"), True)[0]
    with pytest.raises(InvalidInput):
        _submit(enrolled_alice, _exercise(course, "halves-choice"), [other_option])


def test_repeated_submission_is_stored_once(course: Course, enrolled_alice: Any) -> None:
    exercise = _exercise(course, "quarters-numeric")
    client_id = uuid.uuid4()
    first = _submit(enrolled_alice, exercise, "0.75", client_id=client_id)
    again = _submit(enrolled_alice, exercise, "0.75", client_id=client_id)
    assert first.created and not again.created
    assert again.attempt.pk == first.attempt.pk
    assert Attempt.objects.count() == 1
    assert SkillState.objects.get(skill__key="quarters").attempts == 1


def test_client_id_reused_for_another_exercise_conflicts(
    course: Course, enrolled_alice: Any
) -> None:
    client_id = uuid.uuid4()
    _submit(enrolled_alice, _exercise(course, "quarters-numeric"), "0.75", client_id=client_id)
    with pytest.raises(Conflict):
        _submit(enrolled_alice, _exercise(course, "quarters-text"), "a quarter",
                client_id=client_id)


def test_same_client_id_from_two_learners_is_two_attempts(
    course: Course, enrolled_alice: Any, enrolled_bob: Any
) -> None:
    exercise, client_id = _exercise(course, "quarters-numeric"), uuid.uuid4()
    _submit(enrolled_alice, exercise, "0.75", client_id=client_id)
    _submit(enrolled_bob, exercise, "0.75", client_id=client_id)
    assert Attempt.objects.count() == 2


def test_not_enrolled_learner_is_refused(course: Course, alice: Any) -> None:
    with pytest.raises(NotEnrolled):
        _submit(alice, _exercise(course, "quarters-numeric"), "0.75")
    assert not Attempt.objects.exists()


def test_retired_exercise_is_refused(course: Course, enrolled_alice: Any) -> None:
    with pytest.raises(InvalidInput, match="retired"):
        _submit(enrolled_alice, _exercise(course, "adding-old"), "0.5")


def test_sessions_split_after_the_inactivity_gap(course: Course, enrolled_alice: Any) -> None:
    exercise = _exercise(course, "quarters-numeric")
    start = timezone.now() - timedelta(days=2)
    offsets = [0, 10, 45, 80, 24 * 60]  # minutes; the default gap is 30
    for minutes in offsets:
        _submit(enrolled_alice, exercise, "0.75", submitted_at=start + timedelta(minutes=minutes))
    sessions = list(StudySession.objects.order_by("number"))
    assert [s.number for s in sessions] == [1, 2, 3, 4]
    assert [s.attempt_count for s in sessions] == [2, 1, 1, 1]
    assert sessions[0].last_activity_at == start + timedelta(minutes=10)


def test_course_can_set_its_own_session_gap(course: Course, enrolled_alice: Any) -> None:
    course.session_gap_minutes = 5
    course.save()
    exercise = _exercise(course, "quarters-numeric")
    start = timezone.now() - timedelta(hours=1)
    for minutes in (0, 4, 10):
        _submit(enrolled_alice, exercise, "0.75", submitted_at=start + timedelta(minutes=minutes))
    assert StudySession.objects.count() == 2


def test_duration_is_clamped(course: Course, enrolled_alice: Any) -> None:
    exercise = _exercise(course, "quarters-numeric")
    now = timezone.now()
    future = _submit(enrolled_alice, exercise, "0.75", started_at=now + timedelta(hours=1),
                     submitted_at=now).attempt
    stale = _submit(enrolled_alice, exercise, "0.75", started_at=now - timedelta(days=3),
                    submitted_at=now).attempt
    assert future.duration_seconds == 0
    assert stale.duration_seconds == 2 * 3600


def test_attempt_updates_only_the_exercise_skills_and_prerequisites(
    course: Course, enrolled_alice: Any
) -> None:
    _submit(enrolled_alice, _exercise(course, "adding-numeric"), "0.75")
    changed = set(SkillState.objects.values_list("skill__key", flat=True))
    # adding + quarters practised; halves is quarters' prerequisite (right answer = evidence).
    assert changed == {"adding", "quarters", "halves"}
    assert MasteryEvent.objects.count() == 3
    halves = SkillState.objects.get(skill__key="halves")
    assert halves.attempts == 0 and halves.evidence > 0


def test_wrong_answer_gives_no_prerequisite_evidence(course: Course, enrolled_alice: Any) -> None:
    _submit(enrolled_alice, _exercise(course, "quarters-numeric"), "0.1")
    assert set(SkillState.objects.values_list("skill__key", flat=True)) == {"quarters"}
