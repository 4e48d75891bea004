"""Simulated populations: each learner's sessions driven by a policy (:func:`simulate_population`),
and the offline evaluation of policies on the same population (:func:`evaluate_policy`). The
learner model, the population's traits and the metrics are documented in
:mod:`learnpath.sim.model`."""
from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from learnpath.sim.model import (
    ENROLMENT_SPREAD_DAYS,
    MASTERY_THRESHOLD,
    MAX_SESSION_GAP_DAYS,
    MAX_THINK_SECONDS,
    MEDIAN_THINK_SECONDS,
    MIN_SESSION_GAP_HOURS,
    LearnerTraits,
    SimCourse,
    SimulatedLearner,
    _clip,
    _require_aware,
    draw_initial_knowledge,
)
from learnpath.sim.policies import (
    BehaviouralPolicy,
    Observation,
    ObservedAttempt,
    Policy,
    PolicyFactory,
)


@dataclass(frozen=True)
class SimAttempt:
    exercise_key: str
    correct: bool
    hint_used: bool
    started_at: datetime
    submitted_at: datetime
    session_index: int

    @property
    def at(self) -> datetime:
        """When the app recorded the attempt (its submission)."""
        return self.submitted_at


@dataclass(frozen=True)
class SimHistory:
    learner_index: int
    traits: LearnerTraits
    initial_knowledge: Mapping[str, float]
    final_knowledge: Mapping[str, float]
    attempts: tuple[SimAttempt, ...]


def _stream(seed: int, learner_index: int, name: str) -> random.Random:
    # The seed string keeps its historical prefix, so populations stay the same as before.
    return random.Random(f"learnpath.simulator/{seed}/{learner_index}/{name}")


@dataclass
class _LearnerSetup:
    learner: SimulatedLearner
    timing: random.Random
    policy_rng: random.Random


def _set_up_learner(
    course: SimCourse, seed: int, learner_index: int, start: datetime
) -> _LearnerSetup:
    traits_rng = _stream(seed, learner_index, "traits")
    traits = LearnerTraits.draw(traits_rng)
    initial = draw_initial_knowledge(course, traits, traits_rng)
    timing = _stream(seed, learner_index, "timing")
    enrolled = start + timedelta(days=timing.uniform(0.0, ENROLMENT_SPREAD_DAYS))
    learner = SimulatedLearner(
        course, traits, initial, _stream(seed, learner_index, "answers"), enrolled
    )
    return _LearnerSetup(learner, timing, _stream(seed, learner_index, "policy"))


def draw_learner(
    course: SimCourse, seed: int, learner_index: int, start: datetime
) -> SimulatedLearner:
    """The ``learner_index``-th learner of the population of ``seed``, enrolled near start."""
    return _set_up_learner(course, seed, learner_index, start).learner


def _session_size(rng: random.Random, persistence: float, bounds: tuple[int, int]) -> int:
    low, high = bounds
    mean = low + persistence * (high - low)
    return int(_clip(round(mean + rng.gauss(0.0, (high - low) / 6.0)), low, high))


def _population_session_sizes(
    rng: random.Random, persistence: float, sessions: tuple[int, int],
    attempts_per_session: tuple[int, int],
) -> list[int]:
    extra_sessions = sum(rng.random() < persistence for _ in range(sessions[1] - sessions[0]))
    count = sessions[0] + extra_sessions
    return [_session_size(rng, persistence, attempts_per_session) for _ in range(count)]


def _budget_session_sizes(
    rng: random.Random, persistence: float, budget: int, attempts_per_session: tuple[int, int]
) -> list[int]:
    sizes: list[int] = []
    left = budget
    while left > 0:
        sizes.append(min(left, _session_size(rng, persistence, attempts_per_session)))
        left -= sizes[-1]
    return sizes


def _think_seconds(rng: random.Random) -> float:
    return min(MEDIAN_THINK_SECONDS * math.exp(rng.gauss(0.0, 0.8)), MAX_THINK_SECONDS)


def _session_gap_seconds(rng: random.Random, sessions_per_week: float) -> float:
    days = rng.expovariate(sessions_per_week / 7.0)
    hours = _clip(days * 24.0, MIN_SESSION_GAP_HOURS, MAX_SESSION_GAP_DAYS * 24.0)
    return hours * 3600.0


def _attempt_stream(
    setup: _LearnerSetup, policy: Policy, session_sizes: Sequence[int]
) -> Iterator[SimAttempt]:
    """Drive the learner with the policy through the sessions, yielding each attempt."""
    learner, timing = setup.learner, setup.timing
    observed: list[ObservedAttempt] = []
    session_start = learner.clock
    for session_index, size in enumerate(session_sizes):
        now = session_start
        for _ in range(size):
            key = policy.choose(Observation(learner.course, tuple(observed), now))
            if not learner.course.has_exercise(key):
                raise ValueError(f"policy chose unknown exercise {key!r}")
            outcome = learner.attempt(key, now)
            submitted = now + timedelta(seconds=outcome.duration_seconds)
            observed.append(ObservedAttempt(key, outcome.correct, outcome.hint_used, submitted,
                                           session_index))
            yield SimAttempt(key, outcome.correct, outcome.hint_used, now, submitted,
                             session_index)
            now = submitted + timedelta(seconds=_think_seconds(timing))
        gap = _session_gap_seconds(timing, learner.traits.sessions_per_week)
        session_start = (observed[-1].at if observed else now) + timedelta(seconds=gap)


def simulate_population(
    course: SimCourse,
    n_learners: int,
    seed: int,
    start: datetime,
    sessions: tuple[int, int] = (3, 8),
    attempts_per_session: tuple[int, int] = (5, 20),
    policy_factory: PolicyFactory = BehaviouralPolicy,
) -> list[SimHistory]:
    """Give ``n_learners`` simulated learners an attempt history over several sessions."""
    _require_aware(start)
    _require_range(sessions, "sessions", minimum=1)
    _require_range(attempts_per_session, "attempts_per_session", minimum=1)
    histories = []
    for index in range(n_learners):
        setup = _set_up_learner(course, seed, index, start)
        initial = dict(setup.learner.knowledge)
        sizes = _population_session_sizes(
            setup.timing, setup.learner.traits.persistence, sessions, attempts_per_session
        )
        policy = policy_factory(course, setup.policy_rng)
        attempts = tuple(_attempt_stream(setup, policy, sizes))
        histories.append(SimHistory(
            index, setup.learner.traits, initial, dict(setup.learner.knowledge), attempts
        ))
    return histories


def _require_range(bounds: tuple[int, int], name: str, minimum: int) -> None:
    if not minimum <= bounds[0] <= bounds[1]:
        raise ValueError(f"{name} must be (min, max) with {minimum} <= min <= max")


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class LearnerEvaluation:
    learner_index: int
    traits: LearnerTraits
    initial_knowledge: Mapping[str, float]
    final_knowledge: Mapping[str, float]
    mastery_gain: float
    attempts_to_target: int | None


@dataclass(frozen=True)
class PolicyResult:
    target_skills: tuple[str, ...]
    attempts_per_learner: int
    threshold: float
    mean_mastery_gain: float
    mean_attempts_to_target: float | None
    censored_mean_attempts_to_target: float
    reached_target_share: float
    learners: tuple[LearnerEvaluation, ...]


def evaluate_policy(
    course: SimCourse,
    policy_factory: PolicyFactory,
    n_learners: int,
    attempts_per_learner: int,
    seed: int,
    target_skills: Sequence[str] | None = None,
    threshold: float = MASTERY_THRESHOLD,
    start: datetime | None = None,
    attempts_per_session: tuple[int, int] = (5, 15),
) -> PolicyResult:
    """Run the seed's population under a policy with a fixed attempt budget each."""
    targets = tuple(target_skills) if target_skills is not None else course.skill_keys
    unknown = [key for key in targets if not course.has_skill(key)]
    if unknown:
        raise ValueError(f"unknown target skills {unknown}")
    if not targets or n_learners < 1 or attempts_per_learner < 1:
        raise ValueError("need target skills, at least one learner and one attempt each")
    _require_range(attempts_per_session, "attempts_per_session", minimum=1)
    start = start or datetime.fromisoformat("2025-01-06T09:00:00+00:00")
    learners = tuple(
        _evaluate_learner(course, policy_factory, index, attempts_per_learner, seed, targets,
                          threshold, start, attempts_per_session)
        for index in range(n_learners)
    )
    reached = [ev.attempts_to_target for ev in learners if ev.attempts_to_target is not None]
    censored = [
        ev.attempts_to_target if ev.attempts_to_target is not None else attempts_per_learner
        for ev in learners
    ]
    return PolicyResult(
        target_skills=targets,
        attempts_per_learner=attempts_per_learner,
        threshold=threshold,
        mean_mastery_gain=sum(ev.mastery_gain for ev in learners) / len(learners),
        mean_attempts_to_target=sum(reached) / len(reached) if reached else None,
        censored_mean_attempts_to_target=sum(censored) / len(censored),
        reached_target_share=len(reached) / len(learners),
        learners=learners,
    )


def _evaluate_learner(
    course: SimCourse, policy_factory: PolicyFactory, index: int, budget: int, seed: int,
    targets: tuple[str, ...], threshold: float, start: datetime,
    attempts_per_session: tuple[int, int],
) -> LearnerEvaluation:
    setup = _set_up_learner(course, seed, index, start)
    learner = setup.learner
    initial = {key: learner.knowledge_of(key) for key in targets}
    sizes = _budget_session_sizes(
        setup.timing, learner.traits.persistence, budget, attempts_per_session
    )
    policy = policy_factory(course, setup.policy_rng)

    def all_mastered() -> bool:
        return all(learner.mastered(key, threshold) for key in targets)

    attempts_to_target = 0 if all_mastered() else None
    for count, _ in enumerate(_attempt_stream(setup, policy, sizes), start=1):
        if attempts_to_target is None and all_mastered():
            attempts_to_target = count
    final = {key: learner.knowledge_of(key) for key in targets}
    gain = sum(final[key] - initial[key] for key in targets) / len(targets)
    return LearnerEvaluation(index, learner.traits, initial, final, gain, attempts_to_target)
