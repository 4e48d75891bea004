"""Sequence models behind one interface, found by name in a registry.

Every model takes a ``ModelSpec`` (vocabulary sizes, the exercise -> skills matrix) plus its own
keyword hyper-parameters, and implements ``calculate_loss(batch)`` and ``predict(batch)``. A
prediction at step ``t`` uses only attempts before ``t``: ``p_correct[b, t]`` is the probability
that attempt ``t`` (on its known exercise) is right, ``next_scores[b, t]`` scores every exercise as
the one attempted at ``t``. ``fit_statistics(train)`` runs before training, for models that use
counts from the training data; count-based models have nothing else to train.

The LSTM is in :mod:`learnpath.seq.lstm`, AKT in :mod:`learnpath.seq.akt`, the attention model
of the path simulator in :mod:`learnpath.seq.attention`, the baselines in
:mod:`learnpath.seq.baselines`.

``dkt`` (Piech et al., 2015). The published skill-level model: the input is the one-hot of
(skill, answer) (summed over a multi-skill attempt), an LSTM, and a sigmoid output per skill; an
attempt's probability uses the mean of its skills' logits. It has no next-exercise head.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from learnpath.seq.data import PAD_ID, Batch, EncodedSequences


@dataclass(frozen=True)
class ModelSpec:
    exercise_vocab_size: int
    skill_vocab_size: int
    exercise_skill_matrix: np.ndarray


@dataclass(frozen=True)
class Prediction:
    p_correct: torch.Tensor | None
    next_scores: torch.Tensor | None


class SequenceModel(nn.Module):
    name: ClassVar[str] = ""
    training_defaults: ClassVar[Mapping[str, Any]] = {}
    predicts_answers: ClassVar[bool] = True
    predicts_next: ClassVar[bool] = False
    # Buffers made by register_buffer: nn.Module.__getattr__ would type them Tensor | Module.
    exercise_skills: torch.Tensor
    answer_temperature: torch.Tensor
    answer_bias: torch.Tensor

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        self.spec = spec
        self.hyper: dict[str, Any] = {}
        self.register_buffer(
            "exercise_skills", torch.as_tensor(spec.exercise_skill_matrix, dtype=torch.long)
        )
        # Platt scaling of the answer logits (a temperature and a bias), fitted on the
        # validation learners after training (``learnpath.seq.calibration``); 1 and 0 until
        # then. Every answer probability the model gives goes through ``probability``.
        self.register_buffer("answer_temperature", torch.ones(()))
        self.register_buffer("answer_bias", torch.zeros(()))

    def probability(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits / self.answer_temperature + self.answer_bias)

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        # Checkpoints saved before calibration existed have no temperature: they keep 1; those
        # saved before the bias keep 0 (temperature scaling alone, as they were trained).
        state_dict.setdefault(prefix + "answer_temperature", torch.ones(()))
        state_dict.setdefault(prefix + "answer_bias", torch.zeros(()))
        super()._load_from_state_dict(state_dict, prefix, *args)

    @property
    def trainable(self) -> bool:
        return any(parameter.requires_grad for parameter in self.parameters())

    def calculate_loss(self, batch: Batch) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} has no trainable parameters")

    @abstractmethod
    def predict(self, batch: Batch, with_next: bool = True) -> Prediction:
        """Probabilities of the answers and/or scores of the next exercise, per step."""

    def fit_statistics(self, encoded: EncodedSequences) -> None:
        """Read counts from the training data; the trainer calls it before any gradient step."""

    def parameter_groups(self, learning_rate: float) -> list[dict[str, Any]]:
        """The optimiser's parameter groups; a model may give some parameters their own rate."""
        return [{"params": [p for p in self.parameters() if p.requires_grad]}]


MODEL_REGISTRY: dict[str, type[SequenceModel]] = {}


def register_model(name: str) -> Callable[[type[SequenceModel]], type[SequenceModel]]:
    def decorate(cls: type[SequenceModel]) -> type[SequenceModel]:
        cls.name = name
        MODEL_REGISTRY[name] = cls
        return cls

    return decorate


def masked_mean_embedding(table: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
    """Mean of the embeddings of the non-padding ids along the last axis."""
    present = (ids != PAD_ID).unsqueeze(-1).float()
    return (table(ids) * present).sum(-2) / present.sum(-2).clamp(min=1.0)


def shift_right(start: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """Prepend the start vector and drop the last step, so output t sees attempts < t."""
    return torch.cat([start.expand(steps.shape[0], 1, -1), steps[:, :-1]], dim=1)


def masked_bce(logits: torch.Tensor, batch: Batch) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits[batch.mask], batch.correct[batch.mask])


@register_model("dkt")
class DeepKnowledgeTracing(SequenceModel):
    def __init__(self, spec: ModelSpec, hidden_dim: int = 200, dropout: float = 0.2) -> None:
        super().__init__(spec)
        skills = spec.skill_vocab_size
        self.skill_answer_in = nn.Embedding(2 * skills, hidden_dim, padding_idx=PAD_ID)
        self.start = nn.Parameter(torch.zeros(1, 1, hidden_dim))
        self.lstm = nn.LSTM(hidden_dim, hidden_dim, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.skill_logits = nn.Linear(hidden_dim, skills)

    def forward_logits(self, batch: Batch) -> torch.Tensor:
        answer = batch.correct.long().unsqueeze(-1)
        present = batch.skills != PAD_ID
        skill_answer = torch.where(present, 2 * batch.skills + answer, PAD_ID)
        steps = self.skill_answer_in(skill_answer).sum(-2)
        states, _ = self.lstm(shift_right(self.start, steps))
        per_skill = self.skill_logits(self.dropout(states))
        picked = per_skill.gather(-1, batch.skills) * present
        return picked.sum(-1) / present.sum(-1).clamp(min=1)

    def calculate_loss(self, batch: Batch) -> torch.Tensor:
        return masked_bce(self.forward_logits(batch), batch)

    def predict(self, batch: Batch, with_next: bool = True) -> Prediction:
        return Prediction(self.probability(self.forward_logits(batch)), None)
