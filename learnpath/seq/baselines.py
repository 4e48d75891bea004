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

from learnpath.seq.cooccurrence import (
    cooccurrence_neighbours,
    recent_exercises,
    scores_for_all,
    transition_neighbours,
)
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
        tagged = torch.zeros(
            batch_size, steps, self.spec.skill_vocab_size, device=batch.skills.device
        )
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
        return Prediction(self.probability(self.logits(batch)), None)


class CountModel(SequenceModel):
    """Next-exercise scorer from counts: popularity plus neighbour scores of recent exercises."""

    predicts_answers = False
    predicts_next = True
    # Buffers made by register_buffer: nn.Module.__getattr__ would type them Tensor | Module.
    popularity: torch.Tensor
    neighbour_ids: torch.Tensor
    neighbour_scores: torch.Tensor
    lag_weights: torch.Tensor

    def __init__(
        self, spec: ModelSpec, neighbours: int = 1, lag_weights: tuple[float, ...] = ()
    ) -> None:
        super().__init__(spec)
        vocab = spec.exercise_vocab_size
        self.neighbours = neighbours
        self.register_buffer("popularity", torch.zeros(vocab))
        self.register_buffer("neighbour_ids", torch.zeros(vocab, neighbours, dtype=torch.long))
        self.register_buffer("neighbour_scores", torch.zeros(vocab, neighbours))
        self.register_buffer("lag_weights", torch.tensor(lag_weights, dtype=torch.float32))

    def fit_statistics(self, encoded: EncodedSequences) -> None:
        vocab = self.spec.exercise_vocab_size
        exercise = encoded.exercise[encoded.exercise > UNKNOWN_ID]
        counts = np.bincount(exercise, minlength=vocab).astype(np.float32)
        self.popularity = torch.from_numpy(counts / max(counts.max(), 1.0))
        ids, scores = self.neighbour_lists(encoded.exercise)
        self.neighbour_ids, self.neighbour_scores = torch.from_numpy(ids), torch.from_numpy(scores)

    def neighbour_lists(self, exercise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.neighbour_ids.numpy(), self.neighbour_scores.numpy()

    def predict(self, batch: Batch, with_next: bool = True) -> Prediction:
        if not with_next:
            return Prediction(None, None)
        vocab = self.spec.exercise_vocab_size
        recent = recent_exercises(batch.exercise, len(self.lag_weights))
        scores = scores_for_all(
            self.neighbour_ids, self.neighbour_scores, recent, self.lag_weights, vocab
        )
        return Prediction(None, scores + POPULARITY_TIE_BREAK * self.popularity)


@register_model("popularity")
class Popularity(CountModel):
    pass


@register_model("markov")
class FirstOrderMarkov(CountModel):
    def __init__(self, spec: ModelSpec, neighbours: int = 200) -> None:
        super().__init__(spec, neighbours, (1.0,))

    def neighbour_lists(self, exercise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return transition_neighbours(exercise, self.spec.exercise_vocab_size, self.neighbours)


@register_model("itemknn")
class ItemKNN(CountModel):
    def __init__(
        self,
        spec: ModelSpec,
        neighbours: int = 200,
        window: int = 5,
        history: int = 5,
        decay: float = 0.7,
    ) -> None:
        super().__init__(spec, neighbours, tuple(decay**step for step in range(history)))
        self.window = window

    def neighbour_lists(self, exercise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return cooccurrence_neighbours(
            exercise, self.spec.exercise_vocab_size, self.window, self.neighbours
        )
