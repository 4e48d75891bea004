"""Per-learner skill mastery: Bayesian Knowledge Tracing on the skill graph, as plain data.

Estimator
    Each skill is tracked with Bayesian Knowledge Tracing (Corbett & Anderson, 1995): the
    learner either knows the skill or not; :class:`BKTParams` hold the probability of knowing it
    before any practice (``p_init``), of learning it at an attempt (``p_learn``), of answering
    correctly without knowing it (``p_guess``), of answering wrongly while knowing it
    (``p_slip``) and of forgetting it at an attempt (``p_forget``, 0 in classic BKT). After an
    attempt with prior ``p`` the posterior is

        correct:  p(1-slip) / (p(1-slip) + (1-p)guess)
        wrong:    p·slip    / (p·slip + (1-p)(1-guess))

    and the stored ``p_mastery`` is the probability of knowing the skill at the next attempt,
    ``posterior(1-forget) + (1-posterior)learn``. The chance of a correct next answer is
    ``p_mastery(1-slip) + (1-p_mastery)guess`` (:func:`predict_correct`). An exercise tagged with
    several skills is one observation of each of them. Parameters come per skill from
    ``learnpath.mastery_fit.fit_bkt_params`` (EM on the course's data) or default to
    :data:`DEFAULT_PARAMS` for a new course or a skill with little data.

Prerequisite evidence
    A correct answer on a skill is evidence that its *direct* prerequisites are known: each of
    them gets a soft correct observation, ``p ← (1-w)p + w·posterior_correct(p)`` with
    ``w = PREREQUISITE_EVIDENCE_WEIGHT`` = 0.5 (indirect evidence counts as half an answer), and
    no learning step (they were not practised); attempts, correct and last_attempt_at stay. Wrong
    answers say nothing about prerequisites (the advanced step itself may be what failed), and
    prerequisites that are themselves skills of the exercise get only their direct update. So an
    attempt changes the exercise's skills plus their direct prerequisites, nothing else.

Evidence and uncertainty
    ``evidence`` counts observations: 1 per attempt on the skill, ``w`` per inferred one.
    ``std`` is the standard deviation of a Beta distribution with mean ``p_mastery`` and
    ``evidence + PRIOR_PSEUDO_OBSERVATIONS`` pseudo-observations: a transparent measure of how
    firmly the estimate is backed (it shrinks as evidence grows), not a BKT posterior.

Levels (:func:`mastery_level`)
    ``not_started``: no evidence. ``mastered``: p ≥ :data:`MASTERED_P` (0.95, the classic BKT
    mastery criterion) with evidence ≥ :data:`MASTERED_EVIDENCE`. ``proficient``: p ≥
    :data:`PROFICIENT_P` with evidence ≥ :data:`PROFICIENT_EVIDENCE`. ``familiar``: p ≥
    :data:`FAMILIAR_P`. ``attempted``: any other skill with evidence.

Frontier, review and ability chart
    :func:`ready_to_learn` lists skills not mastered whose prerequisites are all proficient or
    better, in topological order. :func:`review_candidates` lists skills whose mastery fell by at
    least ``falling_drop`` from a peak of proficient or better, then mastered skills not practised
    for ``stale_after_days``; the stale ones are ordered by :func:`retained_p_mastery`, a
    decay-on-read estimate ``p·0.5^(days/half_life)`` that never changes the stored chart.
    :func:`ability_chart` averages ``p_mastery`` per area, counting unstarted skills as 0.

Fitting
    :mod:`learnpath.mastery_fit`: ``fit_bkt_params`` runs Baum-Welch EM on one skill's answer
    sequences (one per learner) from three fixed starting points and keeps the most likely
    result, so it is deterministic; guess and slip are capped at :data:`MAX_GUESS_OR_SLIP` to
    keep out the degenerate solutions where knowing a skill makes a correct answer less likely.
    ``fit_course_params`` fits every skill with at least ``min_observations`` answers; the rest
    keep the defaults.

Determinism
    :func:`apply_attempt` is a pure function of the chart, the attempt, the graph and the
    parameters, in plain Python floats, and each skill's new state depends only on its own old
    state; :func:`replay` folds it over an ordered history, so a chart rebuilt from stored
    attempts is bit-identical to one kept incrementally. The chart depends on the graph only
    through prerequisite evidence and on the parameters everywhere: after the graph or the fitted
    parameters change, replay the history to rebuild it.

Use in the app
    On an attempt, load the chart rows of the exercise's skills and of their direct prerequisites,
    call :func:`apply_attempt` and upsert exactly the rows it returns, in the attempt's
    transaction. Store the floats as double precision (IEEE binary64, e.g. Django's FloatField)
    so they round-trip exactly and a rebuild compares equal. Replay attempts in the order they
    were applied (e.g. by time, then id).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from learnpath.phrases import Phrase, gettext_noop
from learnpath.skillgraph import SkillGraph

FAMILIAR_P = 0.60
PROFICIENT_P = 0.80
MASTERED_P = 0.95
PROFICIENT_EVIDENCE = 3.0
MASTERED_EVIDENCE = 5.0
PREREQUISITE_EVIDENCE_WEIGHT = 0.5
PRIOR_PSEUDO_OBSERVATIONS = 2.0
STALE_AFTER_DAYS = 30.0
FALLING_DROP = 0.15
RETENTION_HALF_LIFE_DAYS = 90.0
MAX_GUESS_OR_SLIP = 0.45
_SECONDS_PER_DAY = 86400.0


class MasteryLevel(StrEnum):
    NOT_STARTED = "not_started"
    ATTEMPTED = "attempted"
    FAMILIAR = "familiar"
    PROFICIENT = "proficient"
    MASTERED = "mastered"

    @property
    def rank(self) -> int:
        """Position in the order not_started < attempted < familiar < proficient < mastered."""
        return list(MasteryLevel).index(self)


@dataclass(frozen=True)
class BKTParams:
    """One skill's BKT parameters; the defaults are common textbook starting values for BKT.

    Plain data: ``dataclasses.asdict(params)`` and ``BKTParams(**stored)`` round-trip it.
    """

    p_init: float = 0.2
    p_learn: float = 0.15
    p_guess: float = 0.2
    p_slip: float = 0.1
    p_forget: float = 0.0

    def __post_init__(self) -> None:
        values = (self.p_init, self.p_learn, self.p_guess, self.p_slip, self.p_forget)
        if not all(0.0 <= value <= 1.0 for value in values):
            raise ValueError(f"BKT probabilities must lie in [0, 1]: {self}")
        if self.p_guess + self.p_slip >= 1.0:
            raise ValueError(
                f"p_guess + p_slip must be below 1, else a correct answer is no "
                f"evidence of knowing the skill: {self}"
            )


DEFAULT_PARAMS = BKTParams()


def mastery_level(p_mastery: float, evidence: float) -> MasteryLevel:
    """The documented thresholds on probability and evidence."""
    if evidence <= 0.0:
        return MasteryLevel.NOT_STARTED
    if p_mastery >= MASTERED_P and evidence >= MASTERED_EVIDENCE:
        return MasteryLevel.MASTERED
    if p_mastery >= PROFICIENT_P and evidence >= PROFICIENT_EVIDENCE:
        return MasteryLevel.PROFICIENT
    if p_mastery >= FAMILIAR_P:
        return MasteryLevel.FAMILIAR
    return MasteryLevel.ATTEMPTED


@dataclass(frozen=True)
class SkillMastery:
    """A learner's state on one skill; ``p_mastery`` is P(knows it at the next attempt)."""

    p_mastery: float
    evidence: float = 0.0
    attempts: int = 0
    correct: int = 0
    last_attempt_at: datetime | None = None
    peak_p_mastery: float = 0.0

    @property
    def level(self) -> MasteryLevel:
        return mastery_level(self.p_mastery, self.evidence)

    @property
    def std(self) -> float:
        pseudo_observations = self.evidence + PRIOR_PSEUDO_OBSERVATIONS
        return math.sqrt(self.p_mastery * (1.0 - self.p_mastery) / (pseudo_observations + 1.0))

    @property
    def interval(self) -> tuple[float, float]:
        """An approximate 95% band: p ± 1.96·std, clipped to [0, 1]."""
        half_width = 1.96 * self.std
        return max(0.0, self.p_mastery - half_width), min(1.0, self.p_mastery + half_width)


def initial_mastery(params: BKTParams = DEFAULT_PARAMS) -> SkillMastery:
    return SkillMastery(p_mastery=params.p_init, peak_p_mastery=params.p_init)


def predict_correct(p_mastery: float, params: BKTParams = DEFAULT_PARAMS) -> float:
    return p_mastery * (1.0 - params.p_slip) + (1.0 - p_mastery) * params.p_guess


def posterior(p_mastery: float, correct: bool, params: BKTParams) -> float:
    """P(knows the skill | this answer), before any learning or forgetting."""
    if correct:
        known = p_mastery * (1.0 - params.p_slip)
        unknown = (1.0 - p_mastery) * params.p_guess
    else:
        known = p_mastery * params.p_slip
        unknown = (1.0 - p_mastery) * (1.0 - params.p_guess)
    if known + unknown == 0.0:
        return p_mastery  # an answer the parameters call impossible carries no information
    return known / (known + unknown)


def _observe(state: SkillMastery, correct: bool, at: datetime, params: BKTParams) -> SkillMastery:
    known = posterior(state.p_mastery, correct, params)
    p_next = known * (1.0 - params.p_forget) + (1.0 - known) * params.p_learn
    return SkillMastery(
        p_mastery=p_next,
        evidence=state.evidence + 1.0,
        attempts=state.attempts + 1,
        correct=state.correct + int(correct),
        last_attempt_at=at,
        peak_p_mastery=max(state.peak_p_mastery, p_next),
    )


def _infer_from_dependent(state: SkillMastery, params: BKTParams) -> SkillMastery:
    weight = PREREQUISITE_EVIDENCE_WEIGHT
    p_next = (1.0 - weight) * state.p_mastery + weight * posterior(state.p_mastery, True, params)
    return SkillMastery(
        p_mastery=p_next,
        evidence=state.evidence + weight,
        attempts=state.attempts,
        correct=state.correct,
        last_attempt_at=state.last_attempt_at,
        peak_p_mastery=max(state.peak_p_mastery, p_next),
    )


def apply_attempt(
    chart: Mapping[str, SkillMastery],
    exercise_skills: Sequence[str],
    correct: bool,
    at: datetime,
    graph: SkillGraph,
    params: Mapping[str, BKTParams] | None = None,
) -> dict[str, SkillMastery]:
    """The new states of the skills this attempt changes (only those), from the old chart."""
    skills = list(dict.fromkeys(exercise_skills))
    unknown = [key for key in skills if key not in graph]
    if unknown:
        raise ValueError(f"attempt on skills not in the graph: {', '.join(unknown)}")
    params = params or {}

    def state_of(key: str) -> SkillMastery:
        return chart.get(key) or initial_mastery(params.get(key, DEFAULT_PARAMS))

    changed = {
        key: _observe(state_of(key), correct, at, params.get(key, DEFAULT_PARAMS)) for key in skills
    }
    if correct:
        prerequisites = {p for key in skills for p in graph.prerequisites(key)} - set(skills)
        for key in sorted(prerequisites):
            changed[key] = _infer_from_dependent(state_of(key), params.get(key, DEFAULT_PARAMS))
    return changed


def replay(
    attempts: Iterable[tuple[Sequence[str], bool, datetime]],
    graph: SkillGraph,
    params: Mapping[str, BKTParams] | None = None,
) -> dict[str, SkillMastery]:
    """Rebuild a chart from an ordered history of (exercise skills, correct, at)."""
    chart: dict[str, SkillMastery] = {}
    for skills, correct, at in attempts:
        chart.update(apply_attempt(chart, skills, correct, at, graph, params))
    return chart


def _level_of(chart: Mapping[str, SkillMastery], key: str) -> MasteryLevel:
    state = chart.get(key)
    return state.level if state else MasteryLevel.NOT_STARTED


def ready_to_learn(chart: Mapping[str, SkillMastery], graph: SkillGraph) -> list[str]:
    """Skills not yet mastered whose prerequisites are all proficient or better."""
    enough = MasteryLevel.PROFICIENT.rank
    return [
        key
        for key in graph.topological_order()
        if _level_of(chart, key) is not MasteryLevel.MASTERED
        and all(_level_of(chart, p).rank >= enough for p in graph.prerequisites(key))
    ]


def retained_p_mastery(
    state: SkillMastery, now: datetime, half_life_days: float = RETENTION_HALF_LIFE_DAYS
) -> float:
    """Decay on read: p_mastery halved every ``half_life_days`` since the last attempt."""
    if state.last_attempt_at is None:
        return state.p_mastery
    days = max(0.0, (now - state.last_attempt_at).total_seconds() / _SECONDS_PER_DAY)
    return state.p_mastery * 0.5 ** (days / half_life_days)


def review_candidates(
    chart: Mapping[str, SkillMastery],
    now: datetime,
    *,
    stale_after_days: float = STALE_AFTER_DAYS,
    falling_drop: float = FALLING_DROP,
    half_life_days: float = RETENTION_HALF_LIFE_DAYS,
) -> list[tuple[str, Phrase]]:
    """(skill, reason) pairs: falling skills (largest drop first), then stale mastered ones."""
    falling: list[tuple[float, str, Phrase]] = []
    stale: list[tuple[float, str, Phrase]] = []
    for key, state in chart.items():
        drop = state.peak_p_mastery - state.p_mastery
        if state.peak_p_mastery >= PROFICIENT_P and drop >= falling_drop:
            reason = Phrase.of(gettext_noop("mastery falling from %(peak)s to %(now)s"),
                               peak=Decimal(f"{state.peak_p_mastery:.2f}"),
                               now=Decimal(f"{state.p_mastery:.2f}"))
            falling.append((-drop, key, reason))
        elif state.level is MasteryLevel.MASTERED and state.last_attempt_at is not None:
            days = (now - state.last_attempt_at).total_seconds() / _SECONDS_PER_DAY
            if days >= stale_after_days:
                retained = retained_p_mastery(state, now, half_life_days)
                stale.append((retained, key, Phrase.of(
                    gettext_noop("mastered, last practised %(days)s days ago"), days=int(days))))
    return [(key, reason) for _, key, reason in sorted(falling, key=_by_rank)
            + sorted(stale, key=_by_rank)]


def _by_rank(row: tuple[float, str, Phrase]) -> tuple[float, str]:
    return row[0], row[1]


def ability_chart(chart: Mapping[str, SkillMastery], graph: SkillGraph) -> dict[str, float]:
    """Mean p_mastery per area (unstarted skills count as 0), for a radar chart."""
    result: dict[str, float] = {}
    for area in graph.areas():
        values = [
            chart[key].p_mastery if _level_of(chart, key) is not MasteryLevel.NOT_STARTED else 0.0
            for key in graph.skills_in_area(area)
        ]
        result[area] = sum(values) / len(values)
    return result


def evidence_between(p_before: float, p_after: float, params: BKTParams = DEFAULT_PARAMS
                     ) -> float:
    """How many answers' worth of evidence moved P(knows the skill) from ``p_before`` to
    ``p_after``: the change of log-odds over that of one right answer, ``log((1-slip)/guess)``
    (a placement check's inference, :mod:`learnpath.placement`, counted like answers)."""
    def logit(p: float) -> float:
        p = min(max(p, 1e-9), 1 - 1e-9)
        return math.log(p / (1 - p))

    one_answer = math.log((1.0 - params.p_slip) / params.p_guess) if params.p_guess > 0 else 1.0
    return abs(logit(p_after) - logit(p_before)) / max(one_answer, 1e-9)


def placed_mastery(p_known: float, evidence: float) -> SkillMastery:
    """A skill's state after a placement check: P(knows it) kept within
    [1 - MASTERED_P, MASTERED_P], so that practice can still revise it, with the check's
    evidence (:func:`evidence_between`) and no attempts."""
    p = min(max(p_known, 1.0 - MASTERED_P), MASTERED_P)
    return SkillMastery(p_mastery=p, evidence=evidence, peak_p_mastery=p)
