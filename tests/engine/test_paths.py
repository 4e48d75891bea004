"""Path planning on tiny graphs: constraints, order, band, pins, reasons, roll-forward."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from learnpath import mastery
from learnpath.paths import (
    LEARN,
    PINNED,
    REVIEW,
    ChartSuccessModel,
    PlanConfig,
    PlanExercise,
    TargetOutlook,
    plan_path,
)
from learnpath.rule import rule_next_exercise
from learnpath.skillgraph import SkillSpec, build_skill_graph
from learnpath.success import chart_predictions, sequence_model_earns_paths

NOW = datetime(2026, 1, 10, tzinfo=UTC)
GRAPH = build_skill_graph(
    [SkillSpec("a", "Alpha"), SkillSpec("b", "Beta", ("a",)), SkillSpec("c", "Gamma", ("b",))]
)
EXERCISES = [
    PlanExercise(f"{skill}{n}", (skill,), difficulty=1 + n % 3)
    for skill in "abc"
    for n in range(4)
] + [PlanExercise("a-retired", ("a",), difficulty=2, active=False)]
BY_KEY = {e.key: e for e in EXERCISES}


def _cold(chart: dict[str, mastery.SkillMastery]) -> ChartSuccessModel:
    return ChartSuccessModel(chart, BY_KEY, graph=GRAPH, at=NOW)


def _state(p: float, evidence: float = 8.0, **kwargs: object) -> mastery.SkillMastery:
    return mastery.SkillMastery(p_mastery=p, evidence=evidence, attempts=int(evidence),
                                peak_p_mastery=max(p, 0.0), **kwargs)


@dataclass(frozen=True)
class FixedModel:
    """A stand-in success model with fixed predictions, recording the roll-forward."""

    predictions: dict[str, float]
    rolled: tuple[tuple[str, bool], ...] = ()

    def p_correct(self, exercise_keys: Sequence[str]) -> dict[str, float]:
        return {key: self.predictions[key] for key in exercise_keys}

    def after(self, exercise_key: str, correct: bool) -> FixedModel:
        return FixedModel(self.predictions, (*self.rolled, (exercise_key, correct)))


def test_new_learner_starts_at_the_root_and_never_gets_retired_or_blocked_work() -> None:
    steps = plan_path({}, GRAPH, EXERCISES, _cold({}), now=NOW)
    assert len(steps) == 5
    assert steps[0].skill_key == "a"
    assert all(step.exercise_key != "a-retired" for step in steps)
    assert len({step.exercise_key for step in steps}) == 5
    assert all(step.kind == LEARN for step in steps)


def test_the_path_builds_skills_in_order_as_it_rolls_forward() -> None:
    chart = {"a": _state(0.7, evidence=4)}
    steps = plan_path(chart, GRAPH, EXERCISES, _cold(chart), now=NOW,
                      config=PlanConfig(length=8, band=(0.0, 1.0)))
    skills = [step.skill_key for step in steps]
    assert skills[0] == "a"
    assert "b" in skills
    assert skills.index("b") > 0
    assert "c" not in skills[: skills.index("b")]


def test_prerequisites_far_from_mastered_block_an_exercise() -> None:
    chart = {"a": _state(0.3, evidence=3)}
    joint = PlanExercise("ab", ("a", "b"), difficulty=1)
    model = FixedModel({e.key: 0.7 for e in [*EXERCISES, joint]})
    steps = plan_path(chart, GRAPH, [*EXERCISES, joint], model, now=NOW,
                      config=PlanConfig(length=1))
    assert [step.skill_key for step in steps] == ["a"]
    assert steps[0].exercise_key != "ab"


def test_desirable_difficulty_band_is_preferred() -> None:
    chart = {"a": _state(0.9, evidence=6), "b": _state(0.2, evidence=1)}
    predictions = {e.key: 0.97 for e in EXERCISES} | {"b2": 0.7, "b0": 0.2, "b1": 0.99}
    steps = plan_path(chart, GRAPH, EXERCISES, FixedModel(predictions), now=NOW,
                      config=PlanConfig(length=1, band=(0.55, 0.85)))
    assert steps[0].exercise_key == "b2"
    assert "Beta" in steps[0].reason_text and "Alpha" in steps[0].reason_text
    assert "70%" in steps[0].reason_text


def test_pins_come_first_and_the_model_is_rolled_through_them() -> None:
    model = FixedModel({e.key: 0.6 for e in EXERCISES})
    steps = plan_path({}, GRAPH, EXERCISES, model, now=NOW, pinned=["c3", "b1"],
                      config=PlanConfig(length=4))
    assert [s.exercise_key for s in steps[:2]] == ["c3", "b1"]
    assert [s.kind for s in steps[:2]] == [PINNED, PINNED]
    assert steps[2].exercise_key not in {"c3", "b1"}


def test_recent_exercises_are_not_repeated() -> None:
    steps = plan_path({}, GRAPH, EXERCISES, _cold({}), now=NOW, recent=["a0", "a1", "a2"],
                      config=PlanConfig(length=1))
    assert steps[0].exercise_key == "a3"


def test_falling_skills_are_offered_for_review_with_the_reason() -> None:
    chart = {
        "a": mastery.SkillMastery(p_mastery=0.7, evidence=10, attempts=10, correct=7,
                                  last_attempt_at=NOW - timedelta(days=1), peak_p_mastery=0.96),
        "b": _state(0.99, evidence=10),
        "c": _state(0.99, evidence=10),
    }
    steps = plan_path(chart, GRAPH, EXERCISES, _cold(chart), now=NOW,
                      config=PlanConfig(length=2, band=(0.0, 1.0)))
    assert steps and steps[0].kind == REVIEW and steps[0].skill_key == "a"
    assert "mastery falling" in steps[0].reason_text


def test_nothing_to_do_gives_an_empty_or_short_path() -> None:
    done = {key: _state(0.99, evidence=10) for key in "abc"}
    assert plan_path(done, GRAPH, EXERCISES, _cold(done), now=NOW) == []


def test_cold_start_difficulty_shifts_the_prediction() -> None:
    model = _cold({"a": _state(0.5, evidence=2)})
    p = model.p_correct(["a0", "a1", "a2"])
    assert p["a0"] > p["a1"] > p["a2"]


def test_reasons_use_the_learners_current_values_not_the_rolled_forward_plan() -> None:
    near = _state(0.78, evidence=3.0, correct=3)  # Alpha almost proficient: Beta not open yet
    chart = {"a": near}
    assert "b" not in mastery.ready_to_learn(chart, GRAPH)
    keys = [e.key for e in EXERCISES]
    steps = plan_path(chart, GRAPH, EXERCISES, FixedModel(dict.fromkeys(keys, 0.9)), now=NOW,
                      config=PlanConfig(length=6, band=(0.5, 0.95)))
    later = [step for step in steps if step.skill_key == "b"]
    assert later, [step.skill_key for step in steps]  # Beta opens once Alpha is proficient
    for step in later:
        assert "you are ready" not in step.reason_text
        assert "builds on Alpha: the steps before it prepare it" in step.reason_text
    assert all("a starting skill" in step.reason_text for step in steps if step.skill_key == "a")


def test_a_skill_on_the_current_frontier_is_ready_for_its_stated_reason() -> None:
    chart = {"a": _state(0.97, evidence=8.0, correct=8)}
    keys = [e.key for e in EXERCISES]
    steps = plan_path(chart, GRAPH, EXERCISES, FixedModel(dict.fromkeys(keys, 0.7)), now=NOW,
                      config=PlanConfig(length=1))
    assert steps[0].skill_key == "b"
    assert "Trains Beta: you are ready for it, since Alpha is in place." in steps[0].reason_text


def _flat(p: float) -> FixedModel:
    return FixedModel({e.key: p for e in EXERCISES})


def test_unseen_exercises_come_before_ones_answered_lately() -> None:
    chart = {"a": _state(0.5, evidence=2.0)}
    seen = {"a0": NOW - timedelta(hours=2), "a1": NOW - timedelta(hours=3)}
    steps = plan_path(chart, GRAPH, EXERCISES, _flat(0.7), now=NOW, last_seen=seen,
                      config=PlanConfig(length=3, recent_window=0))
    assert steps[0].exercise_key in {"a2", "a3"}
    assert not {step.exercise_key for step in steps} & set(seen)


def test_an_answered_exercise_comes_back_only_after_the_spacing() -> None:
    chart = {"a": _state(0.5, evidence=2.0)}
    lately = {f"a{n}": NOW - timedelta(hours=n + 1) for n in range(4)}
    long_ago = dict(lately, a2=NOW - timedelta(days=3))
    first = plan_path(chart, GRAPH, EXERCISES, _flat(0.7), now=NOW, last_seen=long_ago,
                      config=PlanConfig(length=1, recent_window=0))
    assert first[0].exercise_key == "a2"  # the only one answered longer ago than a day
    fallback = plan_path(chart, GRAPH, EXERCISES, _flat(0.7), now=NOW, last_seen=lately,
                         config=PlanConfig(length=1, recent_window=0))
    assert fallback[0].exercise_key == "a3"  # all lately: the least recently answered


def test_after_a_wrong_answer_the_next_step_is_easier_on_the_same_skill() -> None:
    chart = {"a": _state(0.97, evidence=8.0, correct=8), "b": _state(0.4, evidence=2.0)}
    failed = next(e for e in EXERCISES if e.skills == ("b",) and e.difficulty == 3)
    steps = plan_path(chart, GRAPH, EXERCISES, _flat(0.7), now=NOW,
                      last_answer=(failed.key, False), recent=[failed.key])
    first = steps[0]
    assert first.skill_key == "b"
    assert BY_KEY[first.exercise_key].difficulty < failed.difficulty
    assert first.reason_text.startswith(
        "After your wrong answer on Beta: an easier exercise on it.")


def test_with_nothing_easier_the_next_step_goes_back_to_the_weakest_prerequisite() -> None:
    chart = {"a": _state(0.82, evidence=4.0, correct=4), "b": _state(0.4, evidence=2.0)}
    failed = next(e for e in EXERCISES if e.skills == ("b",) and e.difficulty == 1)
    steps = plan_path(chart, GRAPH, EXERCISES, _flat(0.7), now=NOW,
                      last_answer=(failed.key, False), recent=[failed.key])
    assert steps[0].skill_key == "a"
    assert ("back to Alpha, the least secure skill it builds on (82% mastery)"
            in steps[0].reason_text)
    right = plan_path(chart, GRAPH, EXERCISES, _flat(0.7), now=NOW,
                      last_answer=(failed.key, True), recent=[failed.key])
    assert "After your wrong answer" not in right[0].reason_text


def test_with_nothing_easier_nor_before_it_the_next_step_stays_at_the_same_level() -> None:
    chart = {"a": _state(0.4, evidence=2.0)}
    steps = plan_path(chart, GRAPH, EXERCISES, _flat(0.7), now=NOW,
                      last_answer=("a0", False), recent=["a0"])
    assert steps[0].exercise_key == "a3"  # the other difficulty-1 exercise of Alpha
    assert steps[0].reason_text.startswith(
        "After your wrong answer on Alpha: another exercise on it")


@dataclass(frozen=True)
class LookingModel(FixedModel):
    """A stand-in whose lookahead says how much each candidate would raise the targets."""

    rises: tuple[tuple[str, float], ...] = ()
    asked: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)

    def after(self, exercise_key: str, correct: bool) -> LookingModel:
        return self

    def outlook(self, candidates: Sequence[str], targets: Sequence[str]) -> TargetOutlook:
        self.asked.append((tuple(candidates), tuple(targets)))
        rise = dict(self.rises)
        return TargetOutlook(0.5, {k: 0.5 + rise.get(k, 0.0) for k in candidates},
                             {k: 0.5 + rise.get(k, 0.0) for k in candidates})


def test_the_lookahead_picks_the_candidate_the_model_expects_to_raise_the_targets_most() -> None:
    chart = {"a": _state(0.97)}
    predictions = dict.fromkeys(BY_KEY, 0.7)
    plain = plan_path(chart, GRAPH, EXERCISES, FixedModel(predictions), now=NOW,
                      config=PlanConfig(length=1))
    model = LookingModel(predictions, rises=(("b3", 0.2),))
    steps = plan_path(chart, GRAPH, EXERCISES, model, now=NOW, config=PlanConfig(length=1))
    assert plain[0].exercise_key != "b3" and steps[0].exercise_key == "b3"
    (candidates, targets), = model.asked
    assert "b3" in candidates and plain[0].exercise_key in candidates
    assert set(targets) == {e.key for e in EXERCISES if e.active}  # no targets: the course
    off = plan_path(chart, GRAPH, EXERCISES, LookingModel(predictions, rises=(("b3", 0.2),)),
                    now=NOW, config=PlanConfig(length=1, lookahead=0))
    assert off[0].exercise_key == plain[0].exercise_key


def test_with_targets_the_path_stays_on_them_and_what_they_build_on() -> None:
    graph = build_skill_graph([SkillSpec("a", "Alpha"), SkillSpec("b", "Beta", ("a",)),
                               SkillSpec("x", "Other")])
    exercises = [PlanExercise(f"{s}{n}", (s,), 2) for s in "abx" for n in range(3)]
    by_key = {e.key: e for e in exercises}
    model = ChartSuccessModel({}, by_key, graph=graph, at=NOW)
    config = PlanConfig(length=4, targets=("b",))
    steps = plan_path({}, graph, exercises, model, now=NOW, config=config)
    assert steps and {s.skill_key for s in steps} <= {"a", "b"}
    untargeted = plan_path({}, graph, exercises, model, now=NOW, config=PlanConfig(length=6))
    assert "x" in {s.skill_key for s in untargeted}
    # Every skill towards the target mastered: the target's own exercises still come.
    chart = {"a": _state(0.99), "b": _state(0.99), "x": _state(0.2, evidence=1)}
    done = plan_path(chart, graph, exercises, ChartSuccessModel(chart, by_key, graph=graph,
                     at=NOW), now=NOW, config=PlanConfig(length=2, targets=("b",)))
    assert done and all(s.skill_key == "b" for s in done)
    rule = rule_next_exercise({}, graph, exercises, {}, NOW, targets=("x",))
    assert rule is not None and rule.startswith("x")


def test_the_cold_start_outlook_is_bkt_rolled_forward_on_the_target_exercises() -> None:
    chart = {"a": _state(0.9), "b": _state(0.3, evidence=2)}
    model = _cold(chart)
    targets = ["b0", "b1", "c0"]
    outlook = model.outlook(["b2", "a1"], targets)
    now = model.p_correct(targets)
    assert outlook.now == pytest.approx(sum(now.values()) / 3)
    right = model.after("b2", True).p_correct(targets)
    assert outlook.after_right["b2"] == pytest.approx(sum(right.values()) / 3)
    wrong = model.after("b2", False).p_correct(targets)
    assert outlook.after_wrong["b2"] == pytest.approx(sum(wrong.values()) / 3)
    assert outlook.after_right["b2"] > outlook.now > outlook.after_wrong["b2"]
    rise = outlook.after_right["b2"] - outlook.now
    assert outlook.expected_rise("b2", 1.0) == pytest.approx(rise)


def test_a_trained_model_plans_paths_only_when_it_beats_the_chart_on_held_out_learners() -> None:
    assert sequence_model_earns_paths({"valid_auc": 0.75, "valid_chart_auc": 0.71})
    assert not sequence_model_earns_paths({"valid_auc": 0.674, "valid_chart_auc": 0.678})
    assert not sequence_model_earns_paths({"valid_auc": 0.70, "valid_chart_auc": 0.70})
    assert sequence_model_earns_paths({"valid_auc": 0.70})  # measured before the chart's AUC


def test_chart_predictions_replay_the_chart_before_each_answer() -> None:
    from learnpath.seq.records import Attempt, LearnerSequence

    learner = LearnerSequence("l", (Attempt("a0", True), Attempt("zz", True),
                                    Attempt("a1", True), Attempt("a2", False)))
    answers, predicted = chart_predictions([learner], BY_KEY, GRAPH, {})
    assert answers == [True, True, False]  # the unknown exercise is skipped
    first = _cold({}).p_correct(["a0"])["a0"]
    assert predicted[0] == pytest.approx(first)
    # Two right answers raise the next prediction on the same skill (same difficulty level).
    assert predicted[2] > _cold({}).p_correct(["a2"])["a2"]


def test_after_a_wrong_answer_with_nothing_as_easy_left_the_easiest_left_comes() -> None:
    graph = build_skill_graph([SkillSpec("a", "Alpha"), SkillSpec("x", "Other")])
    exercises = [PlanExercise("a0", ("a",), 1), PlanExercise("a1", ("a",), 3),
                 PlanExercise("a2", ("a",), 2), PlanExercise("x0", ("x",), 1)]
    by_key = {e.key: e for e in exercises}
    chart = {"a": _state(0.3, evidence=2)}
    steps = plan_path(chart, graph, exercises, ChartSuccessModel(chart, by_key, graph=graph,
                                                                 at=NOW),
                      now=NOW, config=PlanConfig(length=1), recent=["a0"],
                      last_seen={"a0": NOW}, last_answer=("a0", False))
    assert steps[0].exercise_key == "a2"
    assert steps[0].reason_text.startswith("After your wrong answer on Alpha: the easiest exercise")


def test_with_targets_the_fallback_and_the_step_after_a_wrong_answer_stay_towards_them() -> None:
    graph = build_skill_graph([SkillSpec("a", "Alpha"), SkillSpec("b", "Beta", ("a",)),
                               SkillSpec("x", "Other")])
    exercises = [PlanExercise("b0", ("b",), 2), PlanExercise("bx", ("b", "x"), 2),
                 PlanExercise("x0", ("x",), 1), PlanExercise("x1", ("x",), 2)]
    by_key = {e.key: e for e in exercises}
    chart = {"a": _state(0.99), "b": _state(0.99), "x": _state(0.2, evidence=1)}
    model = ChartSuccessModel(chart, by_key, graph=graph, at=NOW)
    steps = plan_path(chart, graph, exercises, model, now=NOW,
                      config=PlanConfig(length=3, targets=("b", "nowhere")))
    assert [s.exercise_key for s in steps] == ["b0"]  # never bx: x is not towards b
    assert steps[0].reason_text.startswith("Trains Beta, a skill you are working towards.")
    after_x = plan_path(chart, graph, exercises, model, now=NOW,
                        config=PlanConfig(length=1, targets=("b",)),
                        last_answer=("x0", False), recent=["x0"], last_seen={"x0": NOW})
    assert after_x[0].exercise_key == "b0"


def test_a_loss_outside_the_band_never_wins_by_looking_small() -> None:
    from learnpath.paths import _weighed

    assert _weighed(-0.02, 0.01) < _weighed(-0.01, 1.0)  # far outside the band, a bigger loss
    assert _weighed(0.02, 0.5) == pytest.approx(0.01) and _weighed(0.02, 1.0) == 0.02
