"""The placement measurement on the data-driven simulator, with a small stand-in environment."""
from __future__ import annotations

from collections.abc import Sequence

from learnpath.bench.placement_data import (
    evaluate_data_placement,
    held_out_prefixes,
    true_knowledge,
)
from learnpath.placement import PlacementConfig
from learnpath.seq.records import Attempt, LearnerSequence
from learnpath.sim.model import SimCourse, SimExercise, SimSkill

COURSE = SimCourse(
    (SimSkill("a"), SimSkill("b", ("a",)), SimSkill("c", ("b",))),
    tuple(SimExercise(f"{skill}{n}", (skill,), 3) for skill in "abc" for n in (1, 2)),
)


class KnowsWhatItGotRight:
    """P(right) 0.95 on a skill's problems once the history has a right answer on that skill,
    0.05 before; keeps every history it was asked about."""

    def __init__(self) -> None:
        self.seen: list[tuple[tuple[str, bool], ...]] = []

    def p_right(self, history: Sequence[tuple[str, bool]], problems: Sequence[str]
                ) -> list[float]:
        self.seen.append(tuple(history))
        known = {key[0] for key, right in history if right}
        return [0.95 if key[0] in known else 0.05 for key in problems]


def _sequence(name: str, keys: str, right: bool) -> LearnerSequence:
    return LearnerSequence(name, tuple(Attempt(key, right) for key in keys.split()))


def test_held_out_learners_start_from_the_first_half_of_their_history() -> None:
    sequences = [_sequence(f"l{i}", "a1 a2 b1 b2 c1 c2", True) for i in range(5)]
    sequences.append(_sequence("short", "a1 a2", True))
    prefixes = held_out_prefixes(sequences, min_attempts=4, max_prefix=2, learners=10, seed=1)
    assert len(prefixes) == 5  # the short one is left out
    assert all(prefix == (("a1", True), ("a2", True)) for prefix in prefixes)
    assert len(held_out_prefixes(sequences, min_attempts=4, max_prefix=9, learners=3,
                                 seed=1)[0]) == 3
    assert held_out_prefixes(sequences, min_attempts=4, max_prefix=2, learners=2, seed=1) == \
        prefixes[:2]


def test_the_truth_is_the_environments_mean_success_on_each_skill() -> None:
    truth = true_knowledge(KnowsWhatItGotRight(), [("a1", True), ("b1", False)], COURSE)
    assert truth == {"a": True, "b": False, "c": False}


def test_every_method_places_the_same_learners_and_the_answers_move_the_environment() -> None:
    environment = KnowsWhatItGotRight()
    prefixes = [(("a1", True), ("b1", True)), (("a1", False),), (("a1", True),)]
    truths = [true_knowledge(environment, prefix, COURSE) for prefix in prefixes]
    environment.seen.clear()
    scores = evaluate_data_placement(COURSE, environment, prefixes, truths,
                                     PlacementConfig(max_items=4, states=200), items=4)
    by_method = {score.method: score for score in scores}
    assert list(by_method) == ["none", "fixed_bkt", "fixed_placement", "adaptive"]
    assert all(score.learners == 3 and score.mean_items <= 4 for score in scores)
    assert by_method["none"].mean_items == 0
    assert by_method["adaptive"].accuracy > by_method["none"].accuracy
    # Each question is asked on the learner's own history, which grows by the answers.
    first_learner = [h for h in environment.seen if h[:2] == prefixes[0]]
    assert len({len(h) for h in first_learner}) > 1
    assert min(len(h) for h in environment.seen) >= 1
