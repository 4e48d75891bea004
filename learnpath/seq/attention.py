"""An attention knowledge-tracing model (``attention``): another architecture than the LSTM.

Written from the papers, no code copied: SAKT (Pandey & Karypis 2019: predict an answer by
attending from the target question over the embeddings of past interactions) with two ideas of
AKT (Ghosh et al. 2020): Rasch-style embeddings (a skill vector plus an exercise's scalar
difficulty times a skill variation vector) and attention that decays with the distance to the
past attempt (a learned rate per head, so old attempts weigh less, monotonically).

For attempt ``t`` with question embedding ``q_t`` the model attends over the attempts before it:
keys are their question embeddings, values their interaction embeddings (question plus
answer); a learned start slot lets the first attempt attend to "no history". Scores are
``q_t·k_τ / √d − softplus(θ_h)·(t − τ)``. The attended summary passes a feed-forward block and,
with ``q_t``, a small MLP that gives the answer's logit plus the exercise's bias.

The offline path simulator uses it as its environment (:mod:`learnpath.sim.kt_env`):
:meth:`AttentionKT.next_answer_probabilities` scores many candidate exercises after one history
in one pass. It has no next-exercise head and no O(1) step, so the site never serves it.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from learnpath.seq.data import PAD_ID, Batch
from learnpath.seq.models import (
    ModelSpec,
    Prediction,
    SequenceModel,
    masked_bce,
    masked_mean_embedding,
    register_model,
)


@register_model("attention")
class AttentionKT(SequenceModel):
    training_defaults = {"batch_size": 32}

    def __init__(self, spec: ModelSpec, dim: int = 64, heads: int = 4, dropout: float = 0.2
                 ) -> None:
        super().__init__(spec)
        if dim % heads:
            raise ValueError("dim must be a multiple of heads")
        exercises, skills = spec.exercise_vocab_size, spec.skill_vocab_size
        self.dim, self.heads = dim, heads
        self.skill_q = nn.Embedding(skills, dim, padding_idx=PAD_ID)
        self.skill_q_variation = nn.Embedding(skills, dim, padding_idx=PAD_ID)
        self.skill_answer = nn.Embedding(2 * skills, dim, padding_idx=PAD_ID)
        self.skill_answer_variation = nn.Embedding(2 * skills, dim, padding_idx=PAD_ID)
        self.difficulty = nn.Embedding(exercises, 1)
        self.exercise_bias = nn.Embedding(exercises, 1)
        self.start_key = nn.Parameter(torch.zeros(dim))
        self.start_value = nn.Parameter(torch.zeros(dim))
        self.query_proj = nn.Linear(dim, dim)
        self.key_proj = nn.Linear(dim, dim)
        self.value_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)
        self.decay = nn.Parameter(torch.full((heads,), -2.0))
        self.norm = nn.LayerNorm(dim)
        self.feed_forward = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(),
                                          nn.Dropout(dropout), nn.Linear(2 * dim, dim))
        self.norm_out = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        self.answer_mlp = nn.Sequential(nn.Linear(2 * dim, 128), nn.ReLU(), nn.Dropout(dropout),
                                        nn.Linear(128, 1))
        for table in (self.difficulty, self.exercise_bias):
            nn.init.zeros_(table.weight)
        for table in (self.skill_q, self.skill_q_variation, self.skill_answer,
                      self.skill_answer_variation):
            nn.init.normal_(table.weight, std=0.1)

    def questions(self, exercise: torch.Tensor, skills: torch.Tensor) -> torch.Tensor:
        return (masked_mean_embedding(self.skill_q, skills)
                + self.difficulty(exercise) * masked_mean_embedding(self.skill_q_variation, skills))

    def interactions(self, exercise: torch.Tensor, skills: torch.Tensor,
                     correct: torch.Tensor) -> torch.Tensor:
        answer = correct.long().unsqueeze(-1)
        skill_answer = torch.where(skills != PAD_ID, 2 * skills + answer, PAD_ID)
        return (masked_mean_embedding(self.skill_answer, skill_answer)
                + self.difficulty(exercise)
                * masked_mean_embedding(self.skill_answer_variation, skill_answer))

    def _split(self, values: torch.Tensor) -> torch.Tensor:
        """(B, N, dim) -> (B, heads, N, dim / heads)."""
        batch, count, _ = values.shape
        return values.view(batch, count, self.heads, -1).transpose(1, 2)

    def attend(self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
               distance: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        """Queries (B, Q, d) over the start slot and the history's keys/values (B, H, d);
        ``distance`` (Q, H) is how many attempts back each history attempt is from each query,
        ``allowed`` (B, Q, H) which it may see. The start slot is always allowed."""
        batch = queries.shape[0]
        start_key = self.start_key.expand(batch, 1, -1)
        start_value = self.start_value.expand(batch, 1, -1)
        q = self._split(self.query_proj(queries))
        k = self._split(self.key_proj(torch.cat([start_key, keys], dim=1)))
        v = self._split(self.value_proj(torch.cat([start_value, values], dim=1)))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        far = torch.cat([distance.new_zeros(distance.shape[0], 1), distance], dim=1)
        scores = scores - F.softplus(self.decay).view(1, -1, 1, 1) * far.to(scores.dtype)
        mask = torch.cat([allowed.new_ones(*allowed.shape[:2], 1), allowed], dim=2)
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        attended = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(
            batch, -1, self.dim)
        hidden = self.norm(queries + self.dropout(self.out_proj(attended)))
        return self.norm_out(hidden + self.dropout(self.feed_forward(hidden)))

    def logits(self, summary: torch.Tensor, questions: torch.Tensor,
               exercise: torch.Tensor) -> torch.Tensor:
        features = torch.cat([summary, questions], dim=-1)
        return self.answer_mlp(features).squeeze(-1) + self.exercise_bias(exercise).squeeze(-1)

    def forward_logits(self, batch: Batch) -> torch.Tensor:
        questions = self.questions(batch.exercise, batch.skills)
        values = self.interactions(batch.exercise, batch.skills, batch.correct)
        steps = batch.exercise.shape[1]
        position = torch.arange(steps, device=questions.device)
        distance = (position.view(-1, 1) - position.view(1, -1)).clamp(min=0)
        earlier = position.view(1, -1) < position.view(-1, 1)
        allowed = earlier.unsqueeze(0) & batch.mask.unsqueeze(1)
        summary = self.attend(questions, questions, values, distance, allowed)
        return self.logits(summary, questions, batch.exercise)

    def calculate_loss(self, batch: Batch) -> torch.Tensor:
        return masked_bce(self.forward_logits(batch), batch)

    def predict(self, batch: Batch, with_next: bool = True) -> Prediction:
        return Prediction(self.probability(self.forward_logits(batch)), None)

    def next_answer_probabilities(
        self, exercise: torch.Tensor, skills: torch.Tensor, correct: torch.Tensor,
        targets: torch.Tensor, target_skills: torch.Tensor,
    ) -> torch.Tensor:
        """P(right) on each target exercise (T,) as the next attempt after one history given
        as (1, N) exercise ids, (1, N, S) skills and (1, N) answers; N may be 0."""
        questions = self.questions(targets, target_skills).unsqueeze(0)
        count = exercise.shape[1]
        keys = self.questions(exercise, skills)
        values = self.interactions(exercise, skills, correct)
        distance = (count - torch.arange(count, device=questions.device)).view(1, -1).expand(
            len(targets), -1)
        allowed = torch.ones(1, len(targets), count, dtype=torch.bool, device=questions.device)
        summary = self.attend(questions, keys, values, distance, allowed)
        return self.probability(self.logits(summary, questions, targets.unsqueeze(0)))[0]
