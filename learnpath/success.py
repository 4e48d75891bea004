"""Success models for planning: P(right answer) on each exercise from the learner's current
(possibly hypothetical) state, rolled forward by one attempt, and the *lookahead* the planner
ranks its best candidates by.

- :class:`SequenceSuccessModel`: the LSTM (served by :mod:`learnpath.seq`) over the learner's
  history; its lookahead steps the recurrent state through a right and a wrong answer on every
  candidate in one batch and reads the model's P(right) on the target exercises after each.
- :class:`ChartSuccessModel`: the cold-start model, from the skill chart (BKT) and the authors'
  difficulty ratings; its lookahead applies BKT's update for a right and a wrong answer and
  reads the same formula on the target exercises.

A lookahead is the mean P(right) over the target exercises now and after each outcome; the
planner turns it into the expected rise ``p · after_right + (1 − p) · after_wrong − now``.

A trained model plans paths only when it earns it (:func:`sequence_model_earns_paths`): on
the learners held out of its training, its AUC must beat the skill chart's on the same learners
(:func:`chart_predictions` replays the chart as the site keeps it, on the attempts at the
course's exercises; the model's validation AUC is over its validation windows). Otherwise the
cold-start model plans, and the path says why.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from learnpath import mastery
from learnpath.skillgraph import SkillGraph


@dataclass(frozen=True)
class PlanExercise:
    key: str
    skills: tuple[str, ...]
    difficulty: int = 3
    active: bool = True


@dataclass(frozen=True)
class TargetOutlook:
    """Mean P(right) over the target exercises now, and after a right or a wrong answer on
    each candidate (``after_right[key]``, ``after_wrong[key]``)."""

    now: float
    after_right: Mapping[str, float]
    after_wrong: Mapping[str, float]

    def expected_rise(self, key: str, p: float) -> float:
        return p * self.after_right[key] + (1 - p) * self.after_wrong[key] - self.now


class SuccessModel(Protocol):
    def p_correct(self, exercise_keys: Sequence[str]) -> dict[str, float]: ...

    def after(self, exercise_key: str, correct: bool) -> SuccessModel: ...


class LookaheadModel(SuccessModel, Protocol):
    """A success model that can also say how a step would move the targets (both models here
    can; a model without ``outlook`` is planned by the BKT score alone)."""

    def outlook(self, candidates: Sequence[str], targets: Sequence[str]) -> TargetOutlook: ...


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def p_mastery_of(
    chart: Mapping[str, mastery.SkillMastery], key: str, params: Mapping[str, mastery.BKTParams]
) -> float:
    state = chart.get(key)
    return state.p_mastery if state else params.get(key, mastery.DEFAULT_PARAMS).p_init


@dataclass(frozen=True)
class ChartSuccessModel:
    """Cold start: BKT's P(right) on the weakest skill, shifted by the authored difficulty.

    ``p = sigmoid(logit(predict_correct(min p_mastery)) − 0.5 · (difficulty − 3))``: a
    difficulty-5 exercise is harder than the skill estimate alone says, a difficulty-1 easier.
    """

    chart: Mapping[str, mastery.SkillMastery]
    exercises: Mapping[str, PlanExercise]
    params: Mapping[str, mastery.BKTParams] = field(default_factory=dict)
    graph: SkillGraph | None = None
    at: datetime | None = None

    def p_correct(self, exercise_keys: Sequence[str]) -> dict[str, float]:
        return {key: self._p(self.chart, self.exercises[key]) for key in exercise_keys}

    def _p(self, chart: Mapping[str, mastery.SkillMastery], exercise: PlanExercise) -> float:
        weakest = min(p_mastery_of(chart, s, self.params) for s in exercise.skills)
        weakest_key = min(exercise.skills, key=lambda s: p_mastery_of(chart, s, self.params))
        base = mastery.predict_correct(
            weakest, self.params.get(weakest_key, mastery.DEFAULT_PARAMS)
        )
        return 1.0 / (1.0 + math.exp(-(_logit(base) - 0.5 * (exercise.difficulty - 3))))

    def _changed(self, key: str, correct: bool) -> dict[str, mastery.SkillMastery]:
        if self.graph is None or self.at is None:
            raise ValueError("rolling the chart forward needs the graph and a time")
        return mastery.apply_attempt(
            self.chart, self.exercises[key].skills, correct, self.at, self.graph, self.params,
        )

    def after(self, exercise_key: str, correct: bool) -> ChartSuccessModel:
        changed = self._changed(exercise_key, correct)
        return ChartSuccessModel({**self.chart, **changed}, self.exercises, self.params,
                                 self.graph, self.at)

    def outlook(self, candidates: Sequence[str], targets: Sequence[str]) -> TargetOutlook:
        """Only target exercises that share a skill BKT changes are scored again."""
        target_exercises = [self.exercises[key] for key in targets]
        now = {e.key: self._p(self.chart, e) for e in target_exercises}
        mean_now = sum(now.values()) / max(len(now), 1)
        by_outcome: list[dict[str, float]] = [{}, {}]
        for key in candidates:
            for slot, correct in enumerate((True, False)):
                changed = self._changed(key, correct)
                chart = {**self.chart, **changed}
                delta = sum(self._p(chart, e) - now[e.key] for e in target_exercises
                            if not changed.keys().isdisjoint(e.skills))
                by_outcome[slot][key] = mean_now + delta / max(len(now), 1)
        return TargetOutlook(mean_now, by_outcome[0], by_outcome[1])


@dataclass(frozen=True)
class SequenceSuccessModel:
    """The LSTM as a success model: scores from the learner's recurrent state, rolled forward
    through hypothetical attempts without touching the stored state."""

    model: object
    state: object
    skills: Mapping[str, tuple[str, ...]]

    def p_correct(self, exercise_keys: Sequence[str]) -> dict[str, float]:
        scores = self.model.score(self.state).p_correct  # type: ignore[attr-defined]
        index = self.model.catalog_index  # type: ignore[attr-defined]
        return {key: float(scores[index[key]]) for key in exercise_keys}

    def after(self, exercise_key: str, correct: bool) -> SequenceSuccessModel:
        from learnpath.seq import Attempt

        state = self.model.step(  # type: ignore[attr-defined]
            self.state, Attempt(exercise_key, correct), self.skills.get(exercise_key)
        )
        return SequenceSuccessModel(self.model, state, self.skills)

    def outlook(self, candidates: Sequence[str], targets: Sequence[str]) -> TargetOutlook:
        ahead = self.model.lookahead(self.state, candidates, targets)  # type: ignore[attr-defined]
        return TargetOutlook(
            ahead.now,
            dict(zip(candidates, ahead.after_right.tolist(), strict=True)),
            dict(zip(candidates, ahead.after_wrong.tolist(), strict=True)),
        )


def chart_predictions(
    sequences: Sequence[Any],
    exercises: Mapping[str, PlanExercise],
    graph: SkillGraph,
    params: Mapping[str, mastery.BKTParams],
) -> tuple[list[bool], list[float]]:
    """(answers, the cold-start model's P(right) before each) over learners' attempt sequences
    (:class:`learnpath.seq.LearnerSequence`), each learner's chart replayed from empty as the
    site keeps it; attempts on exercises not in ``exercises`` are skipped, attempts without a
    time are a minute apart."""
    answers: list[bool] = []
    predicted: list[float] = []
    start = datetime(2000, 1, 1, tzinfo=UTC)
    for sequence in sequences:
        chart: dict[str, mastery.SkillMastery] = {}
        for index, attempt in enumerate(sequence.attempts):
            exercise = exercises.get(attempt.exercise)
            if exercise is None:
                continue
            at = (datetime.fromtimestamp(attempt.timestamp, UTC) if attempt.timestamp is not None
                  else start + timedelta(minutes=index))
            model = ChartSuccessModel(chart, exercises, params, graph, at)
            predicted.append(model._p(chart, exercise))
            answers.append(bool(attempt.correct))
            chart.update(mastery.apply_attempt(chart, exercise.skills, attempt.correct, at,
                                               graph, params))
    return answers, predicted


def sequence_model_earns_paths(metrics: Mapping[str, Any]) -> bool:
    """True unless the model's validation AUC is known not to beat the chart's on the same
    learners (``valid_auc`` against ``valid_chart_auc``); a model measured before the chart's
    AUC was recorded keeps planning."""
    model_auc, chart_auc = metrics.get("valid_auc"), metrics.get("valid_chart_auc")
    if model_auc is None or chart_auc is None or math.isnan(float(chart_auc)):
        return True
    return float(model_auc) > float(chart_auc)
