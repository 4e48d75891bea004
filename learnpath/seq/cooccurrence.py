"""What follows what: exercise neighbour lists from training sequences, and scores from them.

``transition_neighbours``: how often ``b`` directly followed ``a`` (first-order Markov);
``transition_probabilities`` the same counts as P(b | a).
``cooccurrence_neighbours``: how often ``a`` and ``b`` were attempted within ``window`` steps of
each other, cosine-normalised by their frequencies (session item-kNN); an exercise is never its
own neighbour. Both keep the ``keep`` best neighbours per exercise as two (vocab, keep) arrays
(id 0 and score 0 pad short lists), so scoring the recent history is gathers and scatters.

``recent_exercises`` lines up, for every step, the exercises attempted 1..L steps before it;
the score of exercise ``j`` at a step is ``sum over lags l of weight[l] * sim(recent_l, j)``.
"""

from __future__ import annotations

import numpy as np
import torch

from learnpath.seq.data import PAD_ID, UNKNOWN_ID


def _lagged_pairs(exercise: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    before, after = exercise[:, :-lag], exercise[:, lag:]
    keep = (before > UNKNOWN_ID) & (after > UNKNOWN_ID)
    return before[keep], after[keep]


def _count_pairs(
    before: np.ndarray, after: np.ndarray, vocab: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys, counts = np.unique(before.astype(np.int64) * vocab + after, return_counts=True)
    return keys // vocab, keys % vocab, counts.astype(np.float32)


def top_neighbours(
    source: np.ndarray, target: np.ndarray, score: np.ndarray, vocab: int, keep: int
) -> tuple[np.ndarray, np.ndarray]:
    """(vocab, keep) arrays of each source's highest-scoring targets."""
    ids = np.zeros((vocab, keep), dtype=np.int64)
    scores = np.zeros((vocab, keep), dtype=np.float32)
    order = np.lexsort((-score, source))
    source, target, score = source[order], target[order], score[order]
    rank = np.arange(len(source)) - np.searchsorted(source, source, side="left")
    kept = rank < keep
    ids[source[kept], rank[kept]] = target[kept]
    scores[source[kept], rank[kept]] = score[kept]
    return ids, scores


def transition_neighbours(
    exercise: np.ndarray, vocab: int, keep: int
) -> tuple[np.ndarray, np.ndarray]:
    if exercise.shape[1] < 2:
        return top_neighbours(*(np.zeros(0, dtype=np.int64),) * 3, vocab, keep)
    return top_neighbours(*_count_pairs(*_lagged_pairs(exercise, 1), vocab), vocab, keep)


def transition_probabilities(
    exercise: np.ndarray, vocab: int, keep: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` likeliest next exercises of each exercise, with P(next = b | last = a)
    estimated from the training windows (a repeat of the same exercise counts like any other)."""
    if exercise.shape[1] < 2:
        return top_neighbours(*(np.zeros(0, dtype=np.int64),) * 3, vocab, keep)
    source, target, counts = _count_pairs(*_lagged_pairs(exercise, 1), vocab)
    leaving = np.bincount(source, weights=counts, minlength=vocab)
    shares = (counts / leaving[source]).astype(np.float32)
    return top_neighbours(source, target, shares, vocab, keep)


def cooccurrence_neighbours(
    exercise: np.ndarray, vocab: int, window: int, keep: int
) -> tuple[np.ndarray, np.ndarray]:
    lagged = [
        _lagged_pairs(exercise, lag) for lag in range(1, min(window, exercise.shape[1] - 1) + 1)
    ]
    if not lagged:
        return top_neighbours(*(np.zeros(0, dtype=np.int64),) * 3, vocab, keep)
    before = np.concatenate([a for a, _ in lagged] + [b for _, b in lagged])
    after = np.concatenate([b for _, b in lagged] + [a for a, _ in lagged])
    distinct = before != after
    source, target, together = _count_pairs(before[distinct], after[distinct], vocab)
    frequency = np.bincount(exercise[exercise > UNKNOWN_ID], minlength=vocab).astype(np.float64)
    cosine = (together / np.sqrt(frequency[source] * frequency[target])).astype(np.float32)
    return top_neighbours(source, target, cosine, vocab, keep)


def recent_exercises(exercise: torch.Tensor, lags: int) -> torch.Tensor:
    """(batch, time, lags): the exercise ``l + 1`` steps before each step (padding before t=0)."""
    batch_size, steps = exercise.shape
    recent = torch.full(
        (batch_size, steps, lags), PAD_ID, dtype=exercise.dtype, device=exercise.device
    )
    for lag in range(1, min(lags, steps - 1) + 1):
        recent[:, lag:, lag - 1] = exercise[:, :-lag]
    return recent


def scores_for_all(
    neighbour_ids: torch.Tensor,
    neighbour_scores: torch.Tensor,
    recent: torch.Tensor,
    weights: torch.Tensor,
    vocab: int,
) -> torch.Tensor:
    """(..., vocab) scores of every exercise from the recent exercises (..., lags)."""
    lead = recent.shape[:-1]
    values = neighbour_scores[recent] * weights.view(-1, 1)
    out = torch.zeros(*lead, vocab, device=recent.device, dtype=values.dtype)
    return out.scatter_add(-1, neighbour_ids[recent].flatten(-2), values.flatten(-2))


def scores_for_candidates(
    neighbour_ids: torch.Tensor,
    neighbour_scores: torch.Tensor,
    recent: torch.Tensor,
    weights: torch.Tensor,
    candidates: torch.Tensor,
    vocab: int,
) -> torch.Tensor:
    """(rows, candidates) scores for distinct candidate ids, from recent exercises (rows, lags)."""
    position = torch.full((vocab,), -1, dtype=torch.long, device=recent.device)
    position[candidates] = torch.arange(len(candidates), device=recent.device)
    slots = position[neighbour_ids[recent]].flatten(1)
    values = (neighbour_scores[recent] * weights.view(-1, 1)).flatten(1) * (slots >= 0)
    out = torch.zeros(
        recent.shape[0], len(candidates) + 1, device=recent.device, dtype=values.dtype
    )
    return out.scatter_add(1, torch.where(slots >= 0, slots, len(candidates)), values)[:, :-1]


def scores_for_targets(
    neighbour_ids: torch.Tensor,
    neighbour_scores: torch.Tensor,
    recent: torch.Tensor,
    weights: torch.Tensor,
    targets: torch.Tensor,
) -> torch.Tensor:
    """(rows,) score of each row's own target, from recent exercises (rows, lags)."""
    match = neighbour_ids[recent] == targets.view(-1, 1, 1)
    return ((neighbour_scores[recent] * match).sum(-1) * weights).sum(-1)


def exercise_difficulty_offsets(
    exercise: np.ndarray,
    correct: np.ndarray,
    exercise_skills: np.ndarray,
    prior: float,
) -> np.ndarray:
    """Per exercise id, how much harder or easier it is than its skills, as a log-odds offset:
    ``logit(p_e) - logit(p_skills)``, where ``p_skills`` is the mean log-odds of the exercise's
    skills' rates of right answers and ``p_e`` the exercise's own rate shrunk towards it by
    ``prior`` pseudo-attempts (an exercise with few attempts stays near 0). Padding, unknown
    and never-attempted exercises get 0. ``exercise_skills`` is the (vocab, K) skill-id matrix.
    """
    vocab = exercise_skills.shape[0]
    seen = exercise > UNKNOWN_ID
    ids, right = exercise[seen], correct[seen].astype(np.float64)
    attempts = np.bincount(ids, minlength=vocab).astype(np.float64)
    rights = np.bincount(ids, weights=right, minlength=vocab)
    skill_count = int(exercise_skills.max(initial=UNKNOWN_ID)) + 1
    present = exercise_skills != PAD_ID
    # Every attempt counts once for each skill of its exercise.
    skill_attempts = np.zeros(skill_count)
    skill_rights = np.zeros(skill_count)
    for column in range(exercise_skills.shape[1]):
        rows = present[:, column]
        np.add.at(skill_attempts, exercise_skills[rows, column], attempts[rows])
        np.add.at(skill_rights, exercise_skills[rows, column], rights[rows])
    skill_rate = np.clip((skill_rights + 1.0) / (skill_attempts + 2.0), 1e-3, 1 - 1e-3)
    skill_logit = np.log(skill_rate) - np.log1p(-skill_rate)
    base_logit = (np.where(present, skill_logit[exercise_skills], 0.0).sum(1)
                  / np.maximum(present.sum(1), 1))
    base = 1.0 / (1.0 + np.exp(-base_logit))
    own = np.clip((rights + prior * base) / (attempts + prior), 1e-3, 1 - 1e-3)
    offsets = np.log(own) - np.log1p(-own) - base_logit
    offsets[: UNKNOWN_ID + 1] = 0.0
    return np.where(attempts > 0, offsets, 0.0).astype(np.float32)
