"""The review scheduler: ratings move due times as FSRS says, only mastered skills are due, the
planner puts due reviews first, and the simulator's measurement runs."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Rating

from learnpath import mastery, paths, review
from learnpath.mastery import SkillMastery
from learnpath.sim.model import SimCourse, SimExercise, SimSkill
from learnpath.sim.review_eval import RetentionSetup, evaluate_review_rule
from learnpath.skillgraph import SkillGraph, SkillSpec

START = datetime(2025, 1, 6, 9, tzinfo=UTC)
MASTERED = SkillMastery(0.97, evidence=8, attempts=8, correct=8, last_attempt_at=START,
                        peak_p_mastery=0.97)
LEARNING = SkillMastery(0.5, evidence=2, attempts=2, correct=1, last_attempt_at=START,
                        peak_p_mastery=0.5)


def test_answers_map_to_ratings() -> None:
    assert review.rating_for(False, False) is Rating.Again
    assert review.rating_for(False, True) is Rating.Again
    assert review.rating_for(True, True) is Rating.Hard
    assert review.rating_for(True, False) is Rating.Good


def test_right_answers_spread_reviews_out_and_a_wrong_one_brings_them_back() -> None:
    card = review.review_skill(None, True, False, START)
    assert card.due == START + timedelta(days=1) and card.reviews == 1  # at 0.95 retention
    intervals = []
    for _ in range(3):
        card = review.review_skill(card, True, False, card.due)
        intervals.append(card.due - card.last_review)
    assert intervals == sorted(intervals) and intervals[-1] > timedelta(days=5)
    hard = review.review_skill(card, True, True, card.due)
    lapse = review.review_skill(card, False, False, card.due)
    good = review.review_skill(card, True, False, card.due)
    assert lapse.due < hard.due < good.due
    assert lapse.stability < card.stability < good.stability


def test_cards_are_plain_json_and_a_replay_equals_the_incremental_cards() -> None:
    answers = [(("a", "b"), True, False, START), (("a",), False, False, START + timedelta(days=1)),
               (("b",), True, True, START + timedelta(days=2))]
    cards: dict[str, review.SkillCard] = {}
    for skills, correct, hint, at in answers:
        cards.update(review.apply_answer(cards, skills, correct, hint, at))
    assert review.replay_cards(answers) == cards
    assert {k: review.SkillCard.from_json(c.to_json()) for k, c in cards.items()} == cards
    with pytest.raises(ValueError, match="not a stored review card"):
        review.SkillCard.from_json({"stability": 1})
    with pytest.raises(ValueError, match="timezone-aware"):
        review.review_skill(None, True, False, datetime(2025, 1, 6))  # noqa: DTZ001


def test_only_mastered_skills_are_due_most_overdue_first() -> None:
    chart = {"a": MASTERED, "b": LEARNING, "c": MASTERED, "d": MASTERED}
    schedule = {"a": START + timedelta(days=3), "b": START, "c": START + timedelta(days=1),
                "d": START + timedelta(days=9)}
    now = START + timedelta(days=5)
    assert [(key, str(why)) for key, why in review.due_reviews(chart, now, schedule)] == [
        ("c", "due for review since 7 Jan 2025"), ("a", "due for review since 9 Jan 2025")]
    assert review.next_review_at(chart, schedule, now) == START + timedelta(days=9)
    assert review.next_review_at(chart, {"b": now + timedelta(days=1)}, now) is None
    assert review.due_reviews(chart, now, {}) == []


def test_without_a_schedule_the_rule_before_fsrs_holds() -> None:
    chart = {"a": MASTERED, "b": LEARNING}
    now = START + timedelta(days=40)
    assert review.due_reviews(chart, now) == mastery.review_candidates(chart, now) != []
    assert review.next_review_at(chart, None, now) is None


def _text(reason: object) -> str:
    return " ".join(map(str, reason)) if isinstance(reason, tuple) else str(reason)


def _plan(schedule: dict[str, datetime] | None, length: int = 3) -> list[paths.PlannedStep]:
    graph = SkillGraph([SkillSpec("a", "A"), SkillSpec("b", "B", ("a",))])
    exercises = [paths.PlanExercise(f"{s}{n}", (s,), 2) for s in "ab" for n in range(3)]
    chart = {"a": MASTERED}
    now = START + timedelta(days=5)
    model = paths.ChartSuccessModel(chart, {e.key: e for e in exercises}, {}, graph, now)
    return paths.plan_path(chart, graph, exercises, model, now=now,
                           config=paths.PlanConfig(length=length), review_schedule=schedule)


def test_the_planner_puts_a_due_review_first_once() -> None:
    steps = _plan({"a": START + timedelta(days=2)})
    assert steps[0].kind == paths.REVIEW and steps[0].skill_key == "a"
    assert "Review of A: due for review since 8 Jan 2025." in _text(steps[0].reason)
    assert [step.kind for step in steps[1:]] == [paths.LEARN, paths.LEARN]
    assert all(step.kind == paths.LEARN for step in _plan({"a": START + timedelta(days=6)}))


def test_the_measurement_runs_each_rule_on_the_same_learners() -> None:
    course = SimCourse((SimSkill("a"), SimSkill("b", ("a",))),
                       tuple(SimExercise(f"{s}{n}", (s,), 1 + n) for s in "ab" for n in range(3)))
    setup = RetentionSetup(learn_attempts=25, window_days=10)
    results = {rule: evaluate_review_rule(course, rule, range(3), seed=1, setup=setup)
               for rule in ("none", "today", "fsrs")}
    measured = {rule: [row.measured for row in result.learners]
                for rule, result in results.items()}
    assert measured["none"] == measured["today"] == measured["fsrs"]
    assert all(0.0 <= r.mean_retention <= 1.0 for r in results.values())
    with pytest.raises(ValueError, match="unknown review rule"):
        evaluate_review_rule(course, "sometimes", range(1), seed=1, setup=setup)
