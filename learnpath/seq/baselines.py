"""Baselines in the same harness as the LSTM (same splits, same metrics).

Next answer:
- ``logistic``: an IRT/PFA-style logistic model, ``logit = -difficulty[e] + sum over e's skills
  of (easiness[s] + right[s] * log1p(prior right answers on s) + wrong[s] * log1p(prior wrong
  answers on s))``, counts taken over the attempts before this one.
- BKT from pyBKT (see ``learnpath.bench.bkt``), run outside this harness because it needs an
  older numpy; its predictions are scored by the same metrics.

Next exercise (count-based, no gradient training; ties broken by popularity):
- ``popularity``: how often each exercise was attempted in training.
- ``markov``: first-order transitions, how often ``b`` directly followed ``a`` in training
  (top ``neighbours`` successors kept per exercise).
- ``itemknn``: exercises that co-occur within ``window`` steps, cosine-normalised, scored against
  the last ``history`` exercises with weights decaying by ``decay`` per step back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from learnpath.seq.data import PAD_ID, UNKNOWN_ID, Batch, EncodedSequences
from learnpath.seq.models import ModelSpec, Prediction, SequenceModel, masked_bce, register_model

POPULARITY_TIE_BREAK = 1e-3


@register_model("logistic")
class LogisticSkillCounts(SequenceModel):
    training_defaults: ClassVar[Mapping[str, Any]] = {"learning_rate": 0.03}

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        skills = spec.skill_vocab_size
        self.difficulty = nn.Embedding(spec.exercise_vocab_size, 1)
        self.easiness = nn.Embedding(skills, 1, padding_idx=PAD_ID)
        self.right_weight = nn.Embedding(skills, 1, padding_idx=PAD_ID)
        self.wrong_weight = nn.Embedding(skills, 1, padding_idx=PAD_ID)
        for table in (self.difficulty, self.easiness, self.right_weight, self.wrong_weight):
            nn.init.zeros_(table.weight)

    def prior_counts(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """Right and wrong answers on each of the attempt's skills before this attempt."""
        batch_size, steps, _ = batch.skills.shape
        tagged = torch.zeros(batch_size, steps, self.spec.skill_vocab_size, device=batch.skills.device)
        tagged.scatter_(2, batch.skills, 1.0)
        tagged[..., PAD_ID] = 0.0
        right = tagged * batch.correct.unsqueeze(-1)
        wrong = tagged - right
        right_before = (right.cumsum(1) - right).gather(2, batch.skills)
        wrong_before = (wrong.cumsum(1) - wrong).gather(2, batch.skills)
        return right_before, wrong_before

    def logits(self, batch: Batch) -> torch.Tensor:
        right, wrong = self.prior_counts(batch)
        per_skill = (
            self.easiness(batch.skills).squeeze(-1)
            + self.right_weight(batch.skills).squeeze(-1) * torch.log1p(right)
            + self.wrong_weight(batch.skills).squeeze(-1) * torch.log1p(wrong)
        )
        present = (batch.skills != PAD_ID).float()
        return (per_skill * present).sum(-1) - self.difficulty(batch.exercise).squeeze(-1)

    def calculate_loss(self, batch: Batch) -> torch.Tensor:
        return masked_bce(self.logits(batch), batch)

    def predict(self, batch: Batch, with_next: bool = True) -> Prediction:
        return Prediction(torch.sigmoid(self.logits(batch)), None)


class CountModel(SequenceModel):
    """Next-exercise scorer from counts: popularity plus neighbour scores from past exercises."""

    predicts_answers = False
    predicts_next = True

    def __init__(self, spec: ModelSpec, neighbours: int = 1) -> None:
        super().__init__(spec)
        vocab = spec.exercise_vocab_size
        self.neighbours = neighbours
        self.register_buffer("popularity", torch.zeros(vocab))
        self.register_buffer("neighbour_ids", torch.zeros(vocab, neighbours, dtype=torch.long))
        self.register_buffer("neighbour_scores", torch.zeros(vocab, neighbours))

    def fit_statistics(self, encoded: EncodedSequences) -> None:
        vocab = self.spec.exercise_vocab_size
        exercise = encoded.exercise[encoded.exercise > UNKNOWN_ID]
        counts = np.bincount(exercise, minlength=vocab).astype(np.float32)
        self.popularity = torch.from_numpy(counts / max(counts.max(), 1.0))
        pairs = self.neighbour_pairs(encoded)
        if pairs is not None:
            ids, scores = top_neighbours(*pairs, vocab, self.neighbours)
            self.neighbour_ids, self.neighbour_scores = torch.from_numpy(ids), torch.from_numpy(scores)

    def neighbour_pairs(self, encoded: EncodedSequences) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        return None

    def lag_weights(self) -> list[float]:
        return []

    def predict(self, batch: Batch, with_next: bool = True) -> Prediction:
        if not with_next:
            return Prediction(None, None)
        batch_size, steps = batch.exercise.shape
        scores = (POPULARITY_TIE_BREAK * self.popularity).expand(batch_size, steps, -1).clone()
        for lag, weight in enumerate(self.lag_weights(), start=1):
            previous = torch.full_like(batch.exercise, PAD_ID)
            previous[:, lag:] = batch.exercise[:, :-lag]
            scores.scatter_add_(2, self.neighbour_ids[previous], weight * self.neighbour_scores[previous])
        return Prediction(None, scores)


def lagged_pairs(encoded: EncodedSequences, lag: int) -> tuple[np.ndarray, np.ndarray]:
    before, after = encoded.exercise[:, :-lag], encoded.exercise[:, lag:]
    keep = (before > UNKNOWN_ID) & (after > UNKNOWN_ID)
    return before[keep], after[keep]


def top_neighbours(
    source: np.ndarray, target: np.ndarray, score: np.ndarray, vocab: int, keep: int
) -> tuple[np.ndarray, np.ndarray]:
    """(vocab, keep) arrays of each source's highest-scoring targets (id 0, score 0 when fewer)."""
    ids = np.zeros((vocab, keep), dtype=np.int64)
    scores = np.zeros((vocab, keep), dtype=np.float32)
    order = np.lexsort((-score, source))
    source, target, score = source[order], target[order], score[order]
    group_start = np.searchsorted(source, source, side="left")
    rank = np.arange(len(source)) - group_start
    kept = rank < keep
    ids[source[kept], rank[kept]] = target[kept]
    scores[source[kept], rank[kept]] = score[kept]
    return ids, scores


def count_pairs(before: np.ndarray, after: np.ndarray, vocab: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys, counts = np.unique(before.astype(np.int64) * vocab + after, return_counts=True)
    return keys // vocab, keys % vocab, counts.astype(np.float32)


@register_model("popularity")
class Popularity(CountModel):
    pass


@register_model("markov")
class FirstOrderMarkov(CountModel):
    def __init__(self, spec: ModelSpec, neighbours: int = 200) -> None:
        super().__init__(spec, neighbours)

    def neighbour_pairs(self, encoded: EncodedSequences) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return count_pairs(*lagged_pairs(encoded, 1), self.spec.exercise_vocab_size)

    def lag_weights(self) -> list[float]:
        return [1.0]


@register_model("itemknn")
class ItemKNN(CountModel):
    def __init__(
        self, spec: ModelSpec, neighbours: int = 200, window: int = 5, history: int = 5, decay: float = 0.7
    ) -> None:
        super().__init__(spec, neighbours)
        self.window, self.history, self.decay = window, history, decay

    def neighbour_pairs(self, encoded: EncodedSequences) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        vocab = self.spec.exercise_vocab_size
        lagged = [lagged_pairs(encoded, lag) for lag in range(1, self.window + 1) if lag < encoded.exercise.shape[1]]
        before = np.concatenate([a for a, _ in lagged] + [b for _, b in lagged])
        after = np.concatenate([b for _, b in lagged] + [a for a, _ in lagged])
        distinct = before != after
        source, target, together = count_pairs(before[distinct], after[distinct], vocab)
        frequency = np.bincount(encoded.exercise[encoded.exercise > UNKNOWN_ID], minlength=vocab)
        cosine = together / np.sqrt(frequency[source] * frequency[target]).astype(np.float32)
        return source, target, cosine

    def lag_weights(self) -> list[float]:
        return [self.decay**step for step in range(self.history)]
