"""The placement check on small graphs: it stops in time, asks where it learns most, places
learners who know everything or nothing so, and says what evidence stands behind each skill."""
from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import pytest

from learnpath import mastery
from learnpath.placement import CheckedAnswer, Placement, PlacementConfig, fixed_test
from learnpath.skillgraph import SkillSpec, build_skill_graph
from learnpath.success import PlanExercise

# A chain a -> b -> c -> d -> e with a side branch a -> x.
CHAIN = "abcde"
GRAPH = build_skill_graph(
    [SkillSpec("a", "A"), SkillSpec("x", "X", ("a",))]
    + [SkillSpec(key, key.upper(), (before,)) for before, key in pairwise(CHAIN)]
)
EXERCISES = [PlanExercise(f"{skill}{n}", (skill,), difficulty=difficulty)
             for skill in "abcdex" for n, difficulty in enumerate((2, 3, 3))]
SMALL = PlacementConfig(states=500)


def _run(placement: Placement, answers_right: Callable[[str], bool]) -> list[CheckedAnswer]:
    answers: list[CheckedAnswer] = []
    while (key := placement.next_exercise(answers)) is not None:
        answers.append(CheckedAnswer(key, answers_right(key)))
    return answers


def test_it_stops_within_the_item_limit_and_never_asks_twice() -> None:
    wide = build_skill_graph([SkillSpec(f"s{i}", f"S{i}") for i in range(30)])
    exercises = [PlanExercise(f"e{i}", (f"s{i}",)) for i in range(30)]
    placement = Placement(wide, exercises, config=SMALL)
    answers = _run(placement, lambda key: int(key[1:]) % 2 == 0)
    assert len(answers) == 15
    assert len({a.exercise_key for a in answers}) == 15
    short = Placement(wide, exercises, config=PlacementConfig(max_items=4, states=200))
    assert len(_run(short, lambda key: True)) == 4


def test_a_learner_who_knows_everything_or_nothing_is_placed_so() -> None:
    placement = Placement(GRAPH, EXERCISES, config=SMALL)
    everything = placement.result(_run(placement, lambda key: True))
    nothing = placement.result(_run(placement, lambda key: False))
    assert all(skill.known for skill in everything.values())
    assert not any(skill.known for skill in nothing.values())


def test_it_asks_where_the_answer_tells_most() -> None:
    placement = Placement(GRAPH, EXERCISES, config=SMALL)
    bits = placement.information([])
    first = placement.next_exercise([])
    assert first is not None and bits[first] == max(bits.values())
    # Only exercises of difficulty nearest 3 are asked: two per skill here.
    assert set(bits) == {f"{skill}{n}" for skill in "abcdex" for n in (1, 2)}
    # Once the root is answered right, asking it again would tell nothing: it is not offered,
    # and its dependent b (now likelier) tells more than it did.
    after = placement.information([CheckedAnswer("a1", True)])
    assert "a1" not in after and after["b1"] > bits["b1"]


def test_answers_propagate_along_the_graph_with_their_evidence() -> None:
    placement = Placement(GRAPH, EXERCISES, config=SMALL)
    right_on_d = [CheckedAnswer("d1", True)]
    placed = placement.result(right_on_d)
    for prerequisite in "abc":  # a right answer on d is evidence for everything it builds on
        assert placed[prerequisite].p_known > placed[prerequisite].p_prior
        assert placed[prerequisite].direct == 0 and placed[prerequisite].inferred > 0
    assert placed["d"].direct == 1
    wrong_on_b = placement.result([CheckedAnswer("b1", False)])
    for dependent in "cde":  # a wrong answer on b is evidence against what builds on it
        assert wrong_on_b[dependent].p_known < wrong_on_b[dependent].p_prior


def test_the_chart_it_sets_can_still_be_revised_by_practice() -> None:
    placement = Placement(GRAPH, EXERCISES, config=SMALL)
    answers = _run(placement, lambda key: key[0] in "abx")
    chart = placement.chart(answers)
    assert set(chart) == set(GRAPH.topological_order())
    for state in chart.values():
        assert 1 - mastery.MASTERED_P <= state.p_mastery <= mastery.MASTERED_P
        assert state.attempts == 0
    assert chart["a"].p_mastery > 0.8 and chart["e"].p_mastery < 0.2
    # a is placed well enough for what builds on it to be ready to learn.
    assert {"b", "x"} <= set(mastery.ready_to_learn(chart, GRAPH))


def test_the_same_course_and_answers_give_the_same_check() -> None:
    one, two = Placement(GRAPH, EXERCISES, config=SMALL), Placement(GRAPH, EXERCISES, config=SMALL)
    answers = [CheckedAnswer("c1", True), CheckedAnswer("e1", False)]
    assert one.p_known(answers) == two.p_known(answers)
    assert one.next_exercise(answers) == two.next_exercise(answers)


def test_answers_on_exercises_it_does_not_use_are_refused() -> None:
    with pytest.raises(ValueError, match="does not use"):
        Placement(GRAPH, EXERCISES, config=SMALL).belief([CheckedAnswer("nope", True)])


def test_evidence_is_counted_in_answers() -> None:
    one_right = mastery.posterior(0.2, True, mastery.DEFAULT_PARAMS)
    assert mastery.evidence_between(0.2, one_right) == pytest.approx(1.0)
    assert mastery.evidence_between(0.2, 0.2) == 0.0


def test_the_fixed_test_spreads_over_the_skills() -> None:
    chosen = fixed_test(GRAPH, EXERCISES, 4)
    assert len(chosen) == len(set(chosen)) == 4
    assert not any(key.endswith("0") for key in chosen)  # difficulty 3 first
    assert len(fixed_test(GRAPH, EXERCISES, 15)) == 15
