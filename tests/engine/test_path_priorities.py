"""Assigned work in the planner: urgency bands (:mod:`learnpath.urgency`) and priorities."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from learnpath import mastery, urgency
from learnpath.paths import ChartSuccessModel, PlanConfig, PlanExercise, Priority, plan_path
from learnpath.phrases import Phrase
from learnpath.skillgraph import SkillSpec, build_skill_graph

NOW = datetime(2026, 1, 10, 12, tzinfo=UTC)
GRAPH = build_skill_graph(
    [SkillSpec("a", "Alpha"), SkillSpec("b", "Beta", ("a",)), SkillSpec("c", "Gamma", ("b",))]
)
EXERCISES = [PlanExercise(f"{skill}{n}", (skill,), difficulty=1 + n % 3)
             for skill in "abc" for n in range(4)]
BY_KEY = {e.key: e for e in EXERCISES}
# Alpha mastered, Beta barely started: the planner's own choice is a Beta exercise.
CHART = {
    "a": mastery.SkillMastery(p_mastery=0.99, evidence=10, attempts=10, correct=10,
                              last_attempt_at=NOW - timedelta(days=2), peak_p_mastery=0.99),
    "b": mastery.SkillMastery(p_mastery=0.3, evidence=1, attempts=1, correct=0,
                              last_attempt_at=NOW - timedelta(days=2), peak_p_mastery=0.3),
}


def _plan(priorities: dict[str, Priority], length: int = 1) -> list[str]:
    steps = plan_path(CHART, GRAPH, EXERCISES, ChartSuccessModel(CHART, BY_KEY, graph=GRAPH,
                                                                  at=NOW),
                      now=NOW, config=PlanConfig(length=length), priorities=priorities)
    return [f"{step.exercise_key}|{step.reason_text}" for step in steps]


def test_the_bands_grow_more_urgent_as_the_due_date_nears_and_say_when_they_change() -> None:
    names = [urgency.band(NOW + left, NOW).name for left in
             (timedelta(days=10), timedelta(days=5), timedelta(days=2), timedelta(hours=3),
              -timedelta(days=1))]
    assert names == ["later", "this_week", "soon", "now", "now"]
    weights = [b.weight for b in urgency.BANDS]
    assert weights == sorted(weights)
    due = NOW + timedelta(days=10)
    assert urgency.next_change(due, NOW) == due - timedelta(days=7)
    assert urgency.next_change(due, due - timedelta(hours=2)) == due
    assert urgency.next_change(due, due + timedelta(seconds=1)) is None


def test_assigned_work_whose_prerequisites_are_far_from_mastered_is_not_forced() -> None:
    # Gamma builds on Beta, which is not even familiar: its exercise stays out of the plan.
    assert _plan({"c0": Priority(1.0, Phrase.of("Assigned: Gamma, due today."))}) == _plan({})
    assert _plan({})[0].startswith("b")


def test_work_due_today_comes_first_even_off_the_frontier_and_says_why() -> None:
    due_today = Phrase.of("Assigned: Warm-up, due today.")
    [step] = _plan({"a2": Priority(urgency.BANDS[-1].weight, due_today)})
    key, reason = step.split("|")
    assert key == "a2"  # Alpha is mastered: not a candidate without the assignment
    assert reason.startswith("Assigned: Warm-up, due today. Predicted chance of success:")


def test_work_due_in_weeks_only_nudges() -> None:
    later = urgency.band(NOW + timedelta(days=20), NOW).weight
    due_later = Phrase.of("Assigned: Warm-up, due 30 January.")
    assert _plan({"a2": Priority(later, due_later)})[0].startswith("b")


def test_among_frontier_exercises_an_assigned_one_due_soon_wins_and_is_labelled() -> None:
    plain = _plan({})[0].split("|")[0]
    other = next(e.key for e in EXERCISES if e.skills == ("b",) and e.key != plain)
    soon = urgency.band(NOW + timedelta(days=2), NOW).weight
    [step] = _plan({other: Priority(soon, Phrase.of("Assigned: Beta practice, due Monday."))})
    key, reason = step.split("|")
    assert key == other
    assert reason.startswith("Assigned: Beta practice, due Monday. Trains Beta")
