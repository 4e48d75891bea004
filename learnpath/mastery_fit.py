"""Fitting BKT parameters per skill from answer histories (see :mod:`learnpath.mastery` for the
model): Baum-Welch EM on the two-state hidden Markov model, from three fixed starting points,
keeping the most likely result, so it is deterministic."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from learnpath.mastery import DEFAULT_PARAMS, MAX_GUESS_OR_SLIP, BKTParams

# Fitting: Baum-Welch EM on the two-state BKT hidden Markov model, one skill at a time.
# State 0 = does not know the skill, 1 = knows it; sequences are one learner's answers in order.
_EM_STARTS = (
    BKTParams(p_init=0.3, p_learn=0.1, p_guess=0.2, p_slip=0.1, p_forget=0.05),
    BKTParams(p_init=0.6, p_learn=0.2, p_guess=0.1, p_slip=0.2, p_forget=0.05),
    BKTParams(p_init=0.1, p_learn=0.05, p_guess=0.3, p_slip=0.05, p_forget=0.05),
)
_MIN_P = 1e-4


@dataclass(frozen=True)
class _SequenceBatch:
    """Answers padded into an (n, length) matrix, longest first: step t uses rows [:active[t]]."""

    answers: np.ndarray
    valid: np.ndarray
    active: np.ndarray

    @classmethod
    def from_sequences(cls, sequences: Iterable[Sequence[bool]]) -> _SequenceBatch:
        ordered = sorted((list(s) for s in sequences if len(s)), key=len, reverse=True)
        width = len(ordered[0]) if ordered else 0
        answers = np.zeros((len(ordered), width))
        valid = np.zeros((len(ordered), width), dtype=bool)
        for row, sequence in enumerate(ordered):
            answers[row, : len(sequence)] = sequence
            valid[row, : len(sequence)] = True
        return cls(answers, valid, valid.sum(axis=0))


def _transition_matrix(params: BKTParams) -> np.ndarray:
    return np.array(
        [[1.0 - params.p_learn, params.p_learn], [params.p_forget, 1.0 - params.p_forget]]
    )


def _expectation(batch: _SequenceBatch, params: BKTParams) -> tuple[dict[str, float], float]:
    """Forward-backward with per-step scaling; expected counts for the M-step and log-likelihood."""
    transition = _transition_matrix(params)
    correct = batch.answers
    emission = np.stack(
        [
            np.where(correct > 0, params.p_guess, 1.0 - params.p_guess),
            np.where(correct > 0, 1.0 - params.p_slip, params.p_slip),
        ],
        axis=-1,
    )
    rows, length = correct.shape
    alpha = np.zeros((rows, length, 2))
    scale = np.ones((rows, length))
    first = np.array([1.0 - params.p_init, params.p_init]) * emission[:, 0]
    scale[:, 0] = first.sum(axis=1)
    alpha[:, 0] = first / scale[:, 0, None]
    for t in range(1, length):
        n = batch.active[t]
        step = (alpha[:n, t - 1] @ transition) * emission[:n, t]
        scale[:n, t] = step.sum(axis=1)
        alpha[:n, t] = step / scale[:n, t, None]
    beta = np.ones((rows, length, 2))
    for t in range(length - 2, -1, -1):
        n = batch.active[t + 1]
        beta[:n, t] = (
            emission[:n, t + 1] * beta[:n, t + 1] / scale[:n, t + 1, None]
        ) @ transition.T
    gamma = alpha * beta
    following = emission[:, 1:] * beta[:, 1:] / scale[:, 1:, None] * batch.valid[:, 1:, None]
    pair_counts = transition * (alpha[:, :-1].reshape(-1, 2).T @ following.reshape(-1, 2))
    counts = {
        "known_first": float(gamma[:, 0, 1].sum()),
        "sequences": float(rows),
        "learned": float(pair_counts[0, 1]),
        "unknown_before": float(pair_counts[0].sum()),
        "forgot": float(pair_counts[1, 0]),
        "known_before": float(pair_counts[1].sum()),
        "guessed": float((gamma[..., 0] * correct).sum()),
        "unknown": float(gamma[..., 0].sum()),
        "slipped": float((gamma[..., 1] * (1.0 - correct)).sum()),
        "known": float(gamma[..., 1].sum()),
    }
    return counts, float(np.log(scale).sum())


def _ratio(numerator: float, denominator: float, fallback: float, high: float) -> float:
    if denominator <= 0.0:
        return fallback
    return min(high, max(_MIN_P, numerator / denominator))


def _maximization(counts: dict[str, float], old: BKTParams, fit_forget: bool) -> BKTParams:
    top = 1.0 - _MIN_P
    return BKTParams(
        p_init=_ratio(counts["known_first"], counts["sequences"], old.p_init, top),
        p_learn=_ratio(counts["learned"], counts["unknown_before"], old.p_learn, top),
        p_guess=_ratio(counts["guessed"], counts["unknown"], old.p_guess, MAX_GUESS_OR_SLIP),
        p_slip=_ratio(counts["slipped"], counts["known"], old.p_slip, MAX_GUESS_OR_SLIP),
        p_forget=(
            _ratio(counts["forgot"], counts["known_before"], old.p_forget, top)
            if fit_forget
            else 0.0
        ),
    )


def _run_em(
    batch: _SequenceBatch, start: BKTParams, fit_forget: bool, max_iterations: int, tolerance: float
) -> tuple[BKTParams, float]:
    params = start
    observations = float(batch.valid.sum())
    previous = -math.inf
    for _ in range(max_iterations):
        counts, log_likelihood = _expectation(batch, params)
        if log_likelihood - previous < tolerance * observations:
            break
        previous = log_likelihood
        params = _maximization(counts, params, fit_forget)
    return params, _expectation(batch, params)[1]


def fit_bkt_params(
    sequences: Iterable[Sequence[bool]],
    *,
    fit_forget: bool = False,
    max_iterations: int = 100,
    tolerance: float = 1e-7,
) -> BKTParams:
    """Maximum-likelihood BKT parameters of one skill by EM from three fixed starting points.

    Each sequence is one learner's answers on the skill, in order. EM stops when the
    log-likelihood gains less than ``tolerance`` per observation; the start with the highest final
    likelihood wins (the first on ties), so the result is deterministic. Guess and slip are capped
    at :data:`MAX_GUESS_OR_SLIP` to keep the degenerate solutions EM can reach (knowing a skill
    making a correct answer *less* likely) out. ``p_forget`` stays 0 unless ``fit_forget``.
    Without any answers the defaults are returned.
    """
    batch = _SequenceBatch.from_sequences(sequences)
    if batch.answers.size == 0:
        return DEFAULT_PARAMS
    fits = [
        _run_em(
            batch,
            start if fit_forget else replace(start, p_forget=0.0),
            fit_forget,
            max_iterations,
            tolerance,
        )
        for start in _EM_STARTS
    ]
    return max(fits, key=lambda fit: fit[1])[0]


def skill_sequences(
    learner_histories: Iterable[Iterable[tuple[Sequence[str], bool]]],
) -> dict[str, list[list[bool]]]:
    """Split each learner's ordered (exercise skills, correct) history into per-skill sequences."""
    by_skill: dict[str, list[list[bool]]] = {}
    for history in learner_histories:
        own: dict[str, list[bool]] = {}
        for skills, correct in history:
            for key in dict.fromkeys(skills):
                own.setdefault(key, []).append(bool(correct))
        for key, answers in own.items():
            by_skill.setdefault(key, []).append(answers)
    return by_skill


def fit_course_params(
    learner_histories: Iterable[Iterable[tuple[Sequence[str], bool]]],
    *,
    min_observations: int = 50,
    fit_forget: bool = False,
) -> dict[str, BKTParams]:
    """Fitted parameters for every skill with at least ``min_observations`` answers.

    Skills left out fall back to :data:`DEFAULT_PARAMS` in :func:`apply_attempt`.
    """
    return {
        key: fit_bkt_params(sequences, fit_forget=fit_forget)
        for key, sequences in sorted(skill_sequences(learner_histories).items())
        if sum(len(sequence) for sequence in sequences) >= min_observations
    }


def log_likelihood(sequences: Iterable[Sequence[bool]], params: BKTParams) -> float:
    """Log-probability of the answer sequences under one skill's BKT parameters."""
    batch = _SequenceBatch.from_sequences(sequences)
    if batch.answers.size == 0:
        return 0.0
    return _expectation(batch, params)[1]
