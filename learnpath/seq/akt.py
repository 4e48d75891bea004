"""AKT (``akt``): context-aware attentive knowledge tracing (Ghosh, Heffernan & Lan, KDD 2020),
written here from the paper as the attention peer the LSTM is measured against.

Rasch-style embeddings: a question is ``x_t = c_k + mu_q * d_k`` (its skill's vector plus the
question's scalar difficulty ``mu_q`` times the skill's variation vector; a multi-skill question
takes the mean over its skills) and an interaction ``y_t = e_(k,r) + mu_q * f_(k,r)`` with the
answer ``r``. Three attention stages, each a block of multi-head attention, residual + layer
norm, feed-forward, residual + layer norm:

1. the question encoder: ``x_hat_t`` attends over ``x_tau`` for ``tau <= t``;
2. the knowledge encoder: ``y_hat_t`` attends with queries and keys ``x`` over values ``y`` for
   ``tau <= t``;
3. the knowledge retriever: ``h_t`` attends with queries and keys ``x_hat`` over values
   ``y_hat`` for ``tau < t`` only, so the answer at ``t`` is never seen; the first attempt of a
   window gets a zero summary.

Monotonic attention: each head's scaled dot products ``s_t,tau`` are multiplied by
``exp(-theta_h * d(t, tau))`` before the softmax, with ``theta_h = softplus`` of a learned number
and the context-aware distance ``d(t, tau) = sqrt(|t - tau| * sum of the softmax weights the
query gives to the attempts between tau and t)`` (those weights not back-propagated), so old
attempts count less unless nothing newer was relevant. The answer's logit is an MLP over
``[h_t, x_t]``. The loss adds ``l2`` times the sum of squared difficulties, as the paper does.

It has no next-exercise head and no step-by-step state, so the site never serves it; it runs in
the benchmark beside the LSTM (``--models akt``).
"""
from __future__ import annotations

import math
from typing import ClassVar

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


class MonotonicAttentionBlock(nn.Module):
    def __init__(self, dim: int, heads: int, feed_forward: int, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError("dim must be a multiple of heads")
        self.heads = heads
        self.query_key = nn.Linear(dim, dim)  # queries and keys share one projection (AKT)
        self.value = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.theta = nn.Parameter(torch.zeros(heads))
        self.norm = nn.LayerNorm(dim)
        self.feed_forward = nn.Sequential(
            nn.Linear(dim, feed_forward), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(feed_forward, dim),
        )
        self.norm_out = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)
        for layer in (self.query_key, self.value, self.out):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def _split(self, values: torch.Tensor) -> torch.Tensor:
        batch, steps, _ = values.shape
        return values.view(batch, steps, self.heads, -1).transpose(1, 2)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                allowed: torch.Tensor, strict: bool) -> torch.Tensor:
        """``allowed`` (B, T, T): which past attempt each step may see. With ``strict`` a row
        with nothing allowed (the first attempt) gets a zero summary."""
        batch, steps, dim = queries.shape
        q, k = self._split(self.query_key(queries)), self._split(self.query_key(keys))
        v = self._split(self.value(values))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])  # (B, H, T, T)
        mask = allowed.unsqueeze(1)
        with torch.no_grad():
            weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
            weights = torch.nan_to_num(weights) * mask
            # Mass between tau and t: everything the row gives from tau + 1 on.
            after = weights.sum(-1, keepdim=True) - weights.cumsum(-1)
            position = torch.arange(steps, device=queries.device)
            apart = (position.view(-1, 1) - position.view(1, -1)).abs().to(scores.dtype)
            distance = (after * apart).clamp(min=0.0).sqrt()
        decay = torch.exp(-F.softplus(self.theta).view(1, -1, 1, 1) * distance)
        scores = (scores * decay.clamp(min=1e-5, max=1e5)).masked_fill(~mask, float("-inf"))
        attention = torch.nan_to_num(torch.softmax(scores, dim=-1))
        attended = (attention @ v).transpose(1, 2).reshape(batch, steps, dim)
        if strict:
            attended = attended * allowed.any(-1, keepdim=True)
        hidden = self.norm(queries + self.dropout(self.out(attended)))
        return self.norm_out(hidden + self.dropout(self.feed_forward(hidden)))


@register_model("akt")
class ContextAwareAttentiveKT(SequenceModel):
    training_defaults: ClassVar = {"batch_size": 32}

    def __init__(self, spec: ModelSpec, dim: int = 64, heads: int = 4, feed_forward: int = 128,
                 final_dim: int = 256, dropout: float = 0.2, l2: float = 1e-5) -> None:
        super().__init__(spec)
        exercises, skills = spec.exercise_vocab_size, spec.skill_vocab_size
        self.l2 = l2
        self.skill_q = nn.Embedding(skills, dim, padding_idx=PAD_ID)
        self.skill_q_variation = nn.Embedding(skills, dim, padding_idx=PAD_ID)
        self.skill_answer = nn.Embedding(2 * skills, dim, padding_idx=PAD_ID)
        self.skill_answer_variation = nn.Embedding(2 * skills, dim, padding_idx=PAD_ID)
        self.difficulty = nn.Embedding(exercises, 1)
        nn.init.zeros_(self.difficulty.weight)
        self.question_encoder = MonotonicAttentionBlock(dim, heads, feed_forward, dropout)
        self.knowledge_encoder = MonotonicAttentionBlock(dim, heads, feed_forward, dropout)
        self.retriever = MonotonicAttentionBlock(dim, heads, feed_forward, dropout)
        self.answer_mlp = nn.Sequential(
            nn.Linear(2 * dim, final_dim), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(final_dim, final_dim // 2), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(final_dim // 2, 1),
        )

    def embed(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        skills, answer = batch.skills, batch.correct.long().unsqueeze(-1)
        difficulty = self.difficulty(batch.exercise)
        questions = (masked_mean_embedding(self.skill_q, skills)
                     + difficulty * masked_mean_embedding(self.skill_q_variation, skills))
        skill_answer = torch.where(skills != PAD_ID, 2 * skills + answer, PAD_ID)
        interactions = (masked_mean_embedding(self.skill_answer, skill_answer)
                        + difficulty * masked_mean_embedding(self.skill_answer_variation,
                                                             skill_answer))
        return questions, interactions

    def forward_logits(self, batch: Batch) -> torch.Tensor:
        questions, interactions = self.embed(batch)
        steps = questions.shape[1]
        position = torch.arange(steps, device=questions.device)
        present = batch.mask.unsqueeze(1)
        up_to = (position.view(1, -1) <= position.view(-1, 1)).unsqueeze(0) & present
        before = (position.view(1, -1) < position.view(-1, 1)).unsqueeze(0) & present
        encoded_q = self.question_encoder(questions, questions, questions, up_to, strict=False)
        encoded_y = self.knowledge_encoder(questions, questions, interactions, up_to,
                                           strict=False)
        summary = self.retriever(encoded_q, encoded_q, encoded_y, before, strict=True)
        return self.answer_mlp(torch.cat([summary, questions], dim=-1)).squeeze(-1)

    def calculate_loss(self, batch: Batch) -> torch.Tensor:
        loss = masked_bce(self.forward_logits(batch), batch)
        return loss + self.l2 * self.difficulty.weight.pow(2).sum()

    def predict(self, batch: Batch, with_next: bool = True) -> Prediction:
        return Prediction(self.probability(self.forward_logits(batch)), None)
