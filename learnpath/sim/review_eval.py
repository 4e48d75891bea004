"""Retention of mastered skills under a review rule, in the simulator (which forgets).

Each simulated learner of the seed's population (:func:`learnpath.sim.population.draw_learner`)
first learns the course for ``learn_attempts`` attempts, in sessions at their own rhythm, on
the site's planner (the cold-start model, one step planned after every answer) with the rule
before FSRS: this phase is the same for every rule. The skills the learner's chart calls
*mastered* at its end are the ones measured. Then come ``window_days`` days of the learner's
sessions (start times and sizes drawn from a stream of their own, so every rule gets the same
sessions), planned the same way but with the rule under test:

- ``none``: nothing is ever due for review (an empty schedule);
- ``today``: :func:`learnpath.mastery.review_candidates`, the rule before FSRS (falling skills,
  and mastered ones not practised for 30 days), scored like any other candidate;
- ``fsrs``: the FSRS schedule of :mod:`learnpath.review`, its cards fed by every answer of the
  learner since the start, due reviews first.

A session ends early when the planner has nothing to offer. At the end of the window,
*retention* is the mean latent knowledge of the measured skills, and *retained* the share of
them still at ``threshold`` or above; the attempts of the window, how many were on a measured
skill, and the mean latent knowledge gained on the other skills (what the window still taught)
say what the retention cost; the mean latent knowledge of every skill at the end (measured or
not) is what parameters are chosen by, on validation learners only.
"""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from learnpath import mastery, review
from learnpath.sim.model import SimCourse, SimulatedLearner
from learnpath.sim.policies import ReviewingPlanner
from learnpath.sim.population import (
    _session_gap_seconds,
    _session_size,
    _set_up_learner,
    _stream,
    _think_seconds,
)

RULES = ("none", "today", "fsrs")
START = datetime(2025, 1, 6, 9, tzinfo=UTC)


@dataclass(frozen=True)
class RetentionSetup:
    learn_attempts: int = 80
    window_days: float = 30.0
    attempts_per_session: tuple[int, int] = (5, 15)
    threshold: float = 0.8


@dataclass(frozen=True)
class LearnerRetention:
    learner_index: int
    measured: tuple[str, ...]
    retention: float | None  # None: nothing was mastered
    retained_share: float | None
    window_attempts: int
    measured_attempts: int
    other_gain: float
    course_knowledge: float  # mean latent knowledge over every skill at the window's end


@dataclass(frozen=True)
class RetentionResult:
    rule: str
    learners: tuple[LearnerRetention, ...]

    @property
    def measured(self) -> list[LearnerRetention]:
        return [row for row in self.learners if row.measured]

    @property
    def mean_retention(self) -> float:
        return _mean([row.retention for row in self.measured])

    @property
    def mean_retained_share(self) -> float:
        return _mean([row.retained_share for row in self.measured])

    @property
    def mean_measured_skills(self) -> float:
        return _mean([len(row.measured) for row in self.learners])

    @property
    def mean_window_attempts(self) -> float:
        return _mean([row.window_attempts for row in self.learners])

    @property
    def mean_measured_attempts(self) -> float:
        return _mean([row.measured_attempts for row in self.learners])

    @property
    def mean_other_gain(self) -> float:
        return _mean([row.other_gain for row in self.learners])

    @property
    def mean_course_knowledge(self) -> float:
        return _mean([row.course_knowledge for row in self.learners])


def _mean(values: Sequence[float | int | None]) -> float:
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present) if present else 0.0


def _session(learner: SimulatedLearner, kept: ReviewingPlanner, rule: str, start: datetime,
             size: int, think: random.Random, until: datetime | None = None) -> list[str]:
    """One session of at most ``size`` attempts from ``start``; the exercises answered."""
    now, answered = start, []
    for _ in range(size):
        if until is not None and now >= until:
            break
        key = kept.choose(now, rule)
        if key is None:
            break
        outcome = learner.attempt(key, now)
        submitted = now + timedelta(seconds=outcome.duration_seconds)
        kept.record(key, outcome.correct, outcome.hint_used, submitted)
        answered.append(key)
        now = submitted + timedelta(seconds=_think_seconds(think))
    learner.advance(max(learner.clock, now))
    return answered


def evaluate_learner(
    course: SimCourse, rule: str, index: int, *, seed: int, setup: RetentionSetup,
    bkt: Mapping[str, mastery.BKTParams], params: review.ReviewParams,
) -> LearnerRetention:
    if rule not in RULES:
        raise ValueError(f"unknown review rule {rule!r}; one of {', '.join(RULES)}")
    drawn = _set_up_learner(course, seed, index, START)
    learner, timing, traits = drawn.learner, drawn.timing, drawn.learner.traits
    kept = ReviewingPlanner(course, bkt, params)
    done, start = 0, learner.clock
    while done < setup.learn_attempts:
        size = min(setup.learn_attempts - done,
                   _session_size(timing, traits.persistence, setup.attempts_per_session))
        answered = _session(learner, kept, "today", start, size, timing)
        if not answered:
            break
        done += len(answered)
        start = learner.clock + timedelta(
            seconds=_session_gap_seconds(timing, traits.sessions_per_week))
    window_start = learner.clock
    window_end = window_start + timedelta(days=setup.window_days)
    mastered = mastery.MasteryLevel.MASTERED
    measured = tuple(key for key, state in kept.chart.items() if state.level is mastered)
    before = dict(learner.knowledge)
    sessions = _stream(seed, index, "review-window")
    think = _stream(seed, index, "review-think")
    attempts: list[str] = []
    start = window_start
    while True:
        start += timedelta(seconds=_session_gap_seconds(sessions, traits.sessions_per_week))
        size = _session_size(sessions, traits.persistence, setup.attempts_per_session)
        if start >= window_end:
            break
        attempts += _session(learner, kept, rule, max(start, learner.clock), size, think,
                             until=window_end)
    learner.advance(max(learner.clock, window_end))
    after = learner.knowledge
    others = [key for key in course.skill_keys if key not in measured]
    return LearnerRetention(
        learner_index=index, measured=measured,
        retention=_mean([after[key] for key in measured]) if measured else None,
        retained_share=(_mean([after[key] >= setup.threshold for key in measured])
                        if measured else None),
        window_attempts=len(attempts),
        measured_attempts=sum(
            bool(set(measured) & set(kept.by_key[key].skills)) for key in attempts),
        other_gain=_mean([after[key] - before[key] for key in others]) if others else 0.0,
        course_knowledge=_mean(list(after.values())),
    )


def evaluate_review_rule(
    course: SimCourse, rule: str, learners: Sequence[int], seed: int,
    setup: RetentionSetup | None = None, bkt: Mapping[str, mastery.BKTParams] | None = None,
    params: review.ReviewParams = review.DEFAULT_REVIEW_PARAMS, workers: int = 1,
) -> RetentionResult:
    """The rule's retention over the given learners of the seed's population (``workers``
    processes; the result does not depend on how many)."""
    setup = setup or RetentionSetup()
    run = partial(evaluate_learner, course, rule, seed=seed, setup=setup, bkt=bkt or {},
                  params=params)
    if workers <= 1:
        return RetentionResult(rule, tuple(run(index) for index in learners))
    with ProcessPoolExecutor(workers) as pool:
        return RetentionResult(rule, tuple(pool.map(run, learners, chunksize=8)))
