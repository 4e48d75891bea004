"""The LSTM (``lstm``), ours: the model the site trains and serves step by step.

Exercises are represented Rasch-style, as in AKT-Rasch: a skill vector plus a
per-exercise scalar times a skill "variation" vector, so an exercise costs one or two numbers
rather than a whole vector and an unseen exercise falls back to its skills. Each attempt is
embedded as the sum of: the mean of its skills' (skill, answer) embeddings, the exercise scalar
times the mean (skill, answer) variation, optionally an exercise embedding
(``exercise_input="identity"``, or ``"answer"`` for one per (exercise, answer); the default
``"none"`` scored best on ASSISTments validation), the bucketed time gap since the previous
attempt and a new-session flag. An LSTM runs over a learned start token followed by the
attempts, so its output at ``t`` summarises attempts ``< t``; that output is the learner's
recurrent state. Beside it runs a skill memory (``memory_heads`` > 0): per head and per skill,
a decayed sum of the values ``W_h x_tau`` of the attempts on that skill and of their weights,
each head with its own learned decay per attempt (from fast to slow); it is read through the
target exercise's skills as the weighted mean value and the log of one plus the total weight.
It is what lets the model recall how this learner did on *these* skills lately, as DKT's
per-skill outputs and AKT's retrieval do, while serving stays O(1) per attempt (the memory is
part of the state: skills × heads × (memory_dim + 1) numbers). Two heads read the state: the
knowledge head scores exercise ``e`` with an MLP over [state, e's Rasch output embedding, the
memory read through e's skills] plus e's difficulty bias. The next-exercise head scores
exercise ``j`` as a dot product between a projection of the state and j's embedding (exercise +
mean skill vector), plus j's bias, plus a co-occurrence term: learned per-lag weights times the
cosine co-occurrence (``learnpath.seq.cooccurrence``, counted on the training windows) between
``j`` and each of the last ``recent_lags`` exercises. The weights start at
``recent_scale * 0.7**lag``, so training starts from an item-kNN ranking and the LSTM learns what
to add to it; and a first-order transition term, a learned weight (from ``transition_scale``)
times P(j | the last exercise) counted on the training windows, which carries a problem that is
often tried again at once and fixed orders of problems (first-order Markov); and a learned weight
per lag on each recent exercise itself (is a problem tried again, or not). A softmax over
exercises is trained with ``sampled_negatives`` distinct uniform negatives when there are more
exercises than that. During training a fraction ``unknown_rate`` of exercise ids is
replaced by *unknown*, which trains the skills-only path used for unseen exercises. Loss: binary
cross-entropy of the answers plus ``next_weight`` times the cross-entropy of the next exercise.
The optional session-level layer (``session_layer`` > 0) is a GRU over whole sessions whose
state is added to every attempt of the next session, served step by step like the rest (its
figures, on simulated learners with sessions, are in docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

import torch
import torch.nn.functional as F
from torch import nn

from learnpath.seq.cooccurrence import (
    cooccurrence_neighbours,
    exercise_difficulty_offsets,
    recent_exercises,
    scores_for_all,
    scores_for_candidates,
    scores_for_targets,
    transition_probabilities,
)
from learnpath.seq.data import GAP_BUCKET_COUNT, PAD_ID, UNKNOWN_ID, Batch, EncodedSequences
from learnpath.seq.memory import SkillMemory
from learnpath.seq.models import (
    ModelSpec,
    Prediction,
    SequenceModel,
    masked_bce,
    masked_mean_embedding,
    register_model,
    shift_right,
)

CountTable = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


@register_model("lstm")
class KnowledgePathLSTM(SequenceModel):
    training_defaults: ClassVar[Mapping[str, Any]] = {"batch_size": 32}
    predicts_next = True
    neighbour_ids: torch.Tensor  # buffers, see SequenceModel
    neighbour_scores: torch.Tensor
    transition_ids: torch.Tensor
    transition_scores: torch.Tensor
    identity_ids: torch.Tensor
    identity_scores: torch.Tensor

    def __init__(
        self,
        spec: ModelSpec,
        embed_dim: int = 64,
        hidden_dim: int = 128,
        layers: int = 1,
        dropout: float = 0.2,
        next_weight: float = 0.1,
        sampled_negatives: int = 2048,
        unknown_rate: float = 0.05,
        exercise_input: str = "none",
        exercise_output: str = "scalar",
        recent_lags: int = 5,
        recent_neighbours: int = 200,
        recent_window: int = 5,
        recent_scale: float = 10.0,
        transition_neighbours: int = 200,
        transition_scale: float = 10.0,
        difficulty_prior: float = 0.0,
        exercise_lr_scale: float = 1.0,
        memory_heads: int = 3,
        memory_dim: int = 32,
        session_layer: int = 0,
    ) -> None:
        super().__init__(spec)
        if exercise_input not in ("answer", "identity", "none") or exercise_output not in (
                "vector", "scalar"):
            raise ValueError(
                f"unknown exercise_input/exercise_output {exercise_input!r}/{exercise_output!r}"
            )
        exercises, skills = spec.exercise_vocab_size, spec.skill_vocab_size
        self.next_weight = next_weight
        self.difficulty_prior, self.exercise_lr_scale = difficulty_prior, exercise_lr_scale
        self.sampled_negatives = sampled_negatives
        self.unknown_rate = unknown_rate
        self.exercise_input = exercise_input
        self.exercise_output = exercise_output
        self.recent_lags, self.recent_window = recent_lags, recent_window
        # Co-occurrence neighbour lists, filled from the training data by fit_statistics.
        neighbours = recent_neighbours if recent_lags else 1
        self.register_buffer("neighbour_ids", torch.zeros(exercises, neighbours, dtype=torch.long))
        self.register_buffer("neighbour_scores", torch.zeros(exercises, neighbours))
        self.recent_weights = nn.Parameter(
            torch.tensor([recent_scale * 0.7**lag for lag in range(recent_lags)])
        )
        # First-order transition probabilities P(next | last exercise), also from the training
        # data, with one learned weight: they carry "the same problem again" and fixed orders.
        self.transitions = transition_neighbours if recent_lags else 0
        self.register_buffer(
            "transition_ids", torch.zeros(exercises, max(self.transitions, 1), dtype=torch.long)
        )
        self.register_buffer("transition_scores", torch.zeros(exercises, max(self.transitions, 1)))
        self.transition_weight = nn.Parameter(
            torch.tensor([transition_scale if self.transitions else 0.0])
        )
        self.transition_weight.requires_grad_(bool(self.transitions))
        # "Seen just now": a learned weight per lag on the recent exercises themselves, so the head
        # can learn that a problem is (with repeats kept) or is not (collapsed) tried again.
        identity = torch.arange(exercises).view(-1, 1)
        self.register_buffer("identity_ids", identity, persistent=False)
        self.register_buffer("identity_scores", (identity > UNKNOWN_ID).float(), persistent=False)
        self.seen_weights = nn.Parameter(torch.zeros(recent_lags))
        # Rasch-style: a skill vector plus an exercise scalar times a skill variation vector.
        self.skill_answer_in = nn.Embedding(2 * skills, embed_dim, padding_idx=PAD_ID)
        self.skill_answer_variation = nn.Embedding(2 * skills, embed_dim, padding_idx=PAD_ID)
        self.exercise_in_scale = nn.Embedding(exercises, 1)
        self.exercise_in = nn.Embedding(2 * exercises, embed_dim)
        self.gap_in = nn.Embedding(GAP_BUCKET_COUNT, embed_dim)
        self.session_in = nn.Embedding(2, embed_dim)
        self.start = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=layers, batch_first=True)
        # Hierarchical option: a GRU over whole sessions (each summarised by the mean of its
        # attempts' inputs) whose state after the learner's completed sessions is added to every
        # attempt's input; 0 turns it off.
        self.session_layer = session_layer
        if session_layer:
            self.session_gru = nn.GRU(embed_dim, session_layer, batch_first=True)
            self.session_proj = nn.Linear(session_layer, embed_dim)
        # The skill memory (learnpath.seq.memory), read through the target exercise's skills;
        # 0 heads turns it off.
        self.memory_heads = memory_heads
        self.memory = SkillMemory(embed_dim, skills, memory_heads, memory_dim) if memory_heads \
            else None
        memory_width = self.memory.width if self.memory else 0
        self.dropout = nn.Dropout(dropout)
        self.skill_out = nn.Embedding(skills, embed_dim, padding_idx=PAD_ID)
        self.skill_out_variation = nn.Embedding(skills, embed_dim, padding_idx=PAD_ID)
        self.exercise_out_scale = nn.Embedding(exercises, 1)
        self.exercise_out = nn.Embedding(exercises, embed_dim)
        self.exercise_bias = nn.Embedding(exercises, 1)
        self.answer_mlp = nn.Sequential(
            nn.Linear(hidden_dim + embed_dim + memory_width, 256),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(256, 1),
        )
        # Training starts from the model without the memory's reads and adds what they help.
        with torch.no_grad():
            cast(nn.Linear, self.answer_mlp[0]).weight[:, hidden_dim + embed_dim :].zero_()
        self.next_query = nn.Linear(hidden_dim, embed_dim)
        self.exercise_next = nn.Embedding(exercises, embed_dim)
        self.skill_next = nn.Embedding(skills, embed_dim, padding_idx=PAD_ID)
        self.next_bias = nn.Embedding(exercises, 1)
        for table in (self.exercise_bias, self.next_bias, self.exercise_in_scale,
                      self.exercise_out_scale):
            nn.init.zeros_(table.weight)
        for table in (
            self.skill_answer_in,
            self.skill_answer_variation,
            self.exercise_in,
            self.gap_in,
            self.session_in,
            self.skill_out,
            self.skill_out_variation,
            self.exercise_out,
            self.exercise_next,
            self.skill_next,
        ):
            nn.init.normal_(table.weight, std=0.1)
        self.exercise_in.weight.data.mul_(float(exercise_input != "none"))
        self.exercise_in.weight.requires_grad_(exercise_input != "none")
        self.exercise_out.weight.data.mul_(float(exercise_output == "vector"))
        self.exercise_out.weight.requires_grad_(exercise_output == "vector")

    def attempt_inputs(
        self,
        exercise: torch.Tensor,
        skills: torch.Tensor,
        correct: torch.Tensor,
        gap: torch.Tensor,
        session: torch.Tensor,
    ) -> torch.Tensor:
        answer = correct.long()
        skill_answer = torch.where(skills != PAD_ID, 2 * skills + answer.unsqueeze(-1), PAD_ID)
        # "identity" keeps one embedding per exercise whatever the answer.
        exercise_row = 2 * exercise + (answer if self.exercise_input == "answer" else 0)
        return (
            masked_mean_embedding(self.skill_answer_in, skill_answer)
            + self.exercise_in_scale(exercise)
            * masked_mean_embedding(self.skill_answer_variation, skill_answer)
            + self.exercise_in(exercise_row)
            + self.gap_in(gap)
            + self.session_in(session)
        )

    def run(self, batch: Batch, exercise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The LSTM's states and the skill memory's reads (None without a memory), per step,
        both from the attempts before it."""
        steps = self.attempt_inputs(exercise, batch.skills, batch.correct, batch.gap, batch.session)
        reads = None
        if self.memory:
            reads = self.dropout(self.memory.reads(steps, batch.skills, batch.mask))
        if self.session_layer:
            steps = steps + self.session_context(steps, batch.session, batch.mask)
        states, _ = self.lstm(shift_right(self.start, steps))
        return self.dropout(states), reads

    def session_context(
        self, steps: torch.Tensor, new_session: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """For each attempt, the session GRU's state after the sessions completed before the
        attempt's own session (so nothing of the current session leaks), projected to inputs."""
        session = torch.cumsum(new_session.long(), dim=1)
        session = session - session[:, :1]  # the window's first attempt opens session 0
        count = int(session.max()) + 1
        width = steps.shape[-1]
        weights = mask.to(steps.dtype)
        totals = steps.new_zeros(steps.shape[0], count, width).scatter_add_(
            1, session.unsqueeze(-1).expand(-1, -1, width), steps * weights.unsqueeze(-1)
        )
        sizes = steps.new_zeros(steps.shape[0], count).scatter_add_(1, session, weights)
        means = totals / sizes.clamp(min=1.0).unsqueeze(-1)
        after, _ = self.session_gru(means)
        before = torch.cat([after.new_zeros(after.shape[0], 1, after.shape[-1]),
                            after[:, :-1]], dim=1)
        context = before.gather(1, session.unsqueeze(-1).expand(-1, -1, before.shape[-1]))
        return self.session_proj(context)

    def target_embedding(self, exercise: torch.Tensor, skills: torch.Tensor) -> torch.Tensor:
        return (
            masked_mean_embedding(self.skill_out, skills)
            + self.exercise_out_scale(exercise)
            * masked_mean_embedding(self.skill_out_variation, skills)
            + self.exercise_out(exercise)
        )

    def answer_logits(
        self,
        states: torch.Tensor,
        exercise: torch.Tensor,
        skills: torch.Tensor,
        reads: torch.Tensor | None = None,
    ) -> torch.Tensor:
        target = self.target_embedding(exercise, skills)
        parts = [states, target.expand(*states.shape[:-1], -1)]
        if reads is not None:
            parts.append(reads)
        features = torch.cat(parts, dim=-1)
        return self.answer_mlp(features).squeeze(-1) + self.exercise_bias(exercise).squeeze(-1)

    def next_keys(
        self, candidates: torch.Tensor, skills: torch.Tensor | None = None
    ) -> torch.Tensor:
        skills = self.exercise_skills[candidates] if skills is None else skills
        return self.exercise_next(candidates) + masked_mean_embedding(self.skill_next, skills)

    def next_logits(
        self, states: torch.Tensor, candidates: torch.Tensor, skills: torch.Tensor | None = None
    ) -> torch.Tensor:
        keys = self.next_keys(candidates, skills)
        return self.next_query(states) @ keys.T + self.next_bias(candidates).squeeze(-1)

    def with_unknowns(self, exercise: torch.Tensor) -> torch.Tensor:
        if not self.training or self.unknown_rate <= 0:
            return exercise
        drop = torch.rand(exercise.shape, device=exercise.device) < self.unknown_rate
        return torch.where(
            drop & (exercise != PAD_ID), torch.full_like(exercise, UNKNOWN_ID), exercise
        )

    def fit_statistics(self, encoded: EncodedSequences) -> None:
        if self.recent_lags:
            vocab, keep = self.spec.exercise_vocab_size, self.neighbour_ids.shape[1]
            ids, scores = cooccurrence_neighbours(encoded.exercise, vocab, self.recent_window, keep)
            self.neighbour_ids.copy_(torch.from_numpy(ids))
            self.neighbour_scores.copy_(torch.from_numpy(scores))
        if self.transitions:
            vocab, keep = self.spec.exercise_vocab_size, self.transitions
            ids, scores = transition_probabilities(encoded.exercise, vocab, keep)
            self.transition_ids.copy_(torch.from_numpy(ids))
            self.transition_scores.copy_(torch.from_numpy(scores))
        if self.difficulty_prior > 0:
            offsets = exercise_difficulty_offsets(
                encoded.exercise, encoded.correct, self.spec.exercise_skill_matrix,
                self.difficulty_prior,
            )
            with torch.no_grad():
                self.exercise_bias.weight.copy_(torch.from_numpy(offsets).view(-1, 1))

    def parameter_groups(self, learning_rate: float) -> list[dict[str, Any]]:
        """The per-exercise numbers learn ``exercise_lr_scale`` times faster than the rest: each
        takes part in few batches, so at the shared rate they barely move before early
        stopping."""
        per_exercise = [table.weight for table in (
            self.exercise_bias, self.exercise_in_scale, self.exercise_out_scale, self.next_bias,
            self.exercise_in, self.exercise_out, self.exercise_next,
        ) if table.weight.requires_grad]
        chosen = {id(parameter) for parameter in per_exercise}
        rest = [p for p in self.parameters() if p.requires_grad and id(p) not in chosen]
        return [{"params": rest},
                {"params": per_exercise, "lr": learning_rate * self.exercise_lr_scale}]

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        # A checkpoint saved before the transition term existed scores as it did: no term.
        if prefix + "transition_ids" not in state_dict:
            state_dict[prefix + "transition_ids"] = torch.zeros_like(self.transition_ids)
            state_dict[prefix + "transition_scores"] = torch.zeros_like(self.transition_scores)
            state_dict[prefix + "transition_weight"] = torch.zeros_like(self.transition_weight)
        state_dict.setdefault(prefix + "seen_weights", torch.zeros_like(self.seen_weights))
        super()._load_from_state_dict(state_dict, prefix, *args)

    def count_tables(self, recent: torch.Tensor) -> list[CountTable]:
        """(neighbour ids, scores, recent exercises, per-lag weights) of each count term: the
        co-occurrence over the last ``recent_lags`` exercises, the transitions from the last, and
        the recent exercises themselves."""
        tables: list[CountTable] = []
        if self.recent_lags:
            tables += [(self.neighbour_ids, self.neighbour_scores, recent, self.recent_weights),
                       (self.identity_ids, self.identity_scores, recent, self.seen_weights)]
        if self.transitions:
            tables.append((self.transition_ids, self.transition_scores, recent[..., :1],
                           self.transition_weight))
        return tables

    def recent_scores(self, recent: torch.Tensor) -> torch.Tensor:
        """Learned-weight count scores of every exercise given recent exercises (..., L)."""
        vocab = self.spec.exercise_vocab_size
        total = torch.zeros(*recent.shape[:-1], vocab, device=recent.device)
        for table in self.count_tables(recent):
            total = total + scores_for_all(*table, vocab)
        return total

    def next_loss(self, states: torch.Tensor, batch: Batch) -> torch.Tensor:
        valid = batch.mask & (batch.exercise > UNKNOWN_ID)
        queries, targets = states[valid], batch.exercise[valid]
        recent = recent_exercises(batch.exercise, self.recent_lags)[valid]
        vocab = self.spec.exercise_vocab_size
        if vocab - 2 <= self.sampled_negatives:
            logits = self.next_logits(queries, torch.arange(vocab, device=targets.device))
            logits = logits + self.recent_scores(recent)
            logits[:, : UNKNOWN_ID + 1] = float("-inf")
            return F.cross_entropy(logits, targets)
        negatives = torch.randperm(vocab - 2, device=targets.device)[: self.sampled_negatives] + 2
        target_logits = (self.next_query(queries) * self.next_keys(targets)).sum(-1)
        target_logits = target_logits + self.next_bias(targets).squeeze(-1)
        negative_logits = self.next_logits(queries, negatives)
        for table in self.count_tables(recent):
            target_logits = target_logits + scores_for_targets(*table, targets)
            negative_logits = negative_logits + scores_for_candidates(*table, negatives, vocab)
        negative_logits = negative_logits.masked_fill(
            negatives.unsqueeze(0) == targets.unsqueeze(1), float("-inf")
        )
        logits = torch.cat([target_logits.unsqueeze(1), negative_logits], dim=1)
        return F.cross_entropy(logits, torch.zeros_like(targets))

    def calculate_loss(self, batch: Batch) -> torch.Tensor:
        exercise = self.with_unknowns(batch.exercise)
        states, reads = self.run(batch, exercise)
        loss = masked_bce(self.answer_logits(states, exercise, batch.skills, reads), batch)
        if self.next_weight > 0:
            loss = loss + self.next_weight * self.next_loss(states, batch)
        return loss

    def predict(self, batch: Batch, with_next: bool = True) -> Prediction:
        states, reads = self.run(batch, batch.exercise)
        p_correct = self.probability(
            self.answer_logits(states, batch.exercise, batch.skills, reads)
        )
        next_scores = None
        if with_next:
            all_exercises = torch.arange(self.spec.exercise_vocab_size, device=states.device)
            next_scores = self.next_logits(states, all_exercises)
            if self.recent_lags:
                next_scores = next_scores + self.recent_scores(
                    recent_exercises(batch.exercise, self.recent_lags)
                )
        return Prediction(p_correct, next_scores)

    def initial_state(self) -> tuple[torch.Tensor, ...]:
        """The recurrent state after the start token: that of a learner with no history.
        (h, c) of the LSTM; with the session layer also the session GRU's state, and the sum and
        count of the current session's attempt inputs; with the skill memory its per-skill
        value sums (1, heads, skills, memory_dim) and weights (1, heads, skills)."""
        _, state = self.lstm(self.start)
        parts = list(state)
        if self.session_layer:
            width = self.start.shape[-1]
            parts += [self.start.new_zeros(1, 1, self.session_layer),
                      self.start.new_zeros(1, 1, width), self.start.new_zeros(1, 1, 1)]
        if self.memory:
            parts += self.memory.initial(self.start)
        return tuple(parts)

    def _memory_part(self, state: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        return state[-2:] if self.memory_heads else ()

    def advance(
        self, state: tuple[torch.Tensor, ...], attempt: tuple[torch.Tensor, ...]
    ) -> tuple[torch.Tensor, ...]:
        """One step for one attempt given as (exercise, skills, correct, gap, session), each
        (B, 1, ...): a batch of B learners (or hypotheses) one attempt further."""
        inputs = self.attempt_inputs(*attempt)
        memory: tuple[torch.Tensor, ...] = ()
        if self.memory:
            memory = self.memory.step(self._memory_part(state), inputs[:, 0], attempt[1][:, 0])
        if not self.session_layer:
            _, (hidden, cell) = self.lstm(inputs, (state[0], state[1]))
            return (hidden, cell, *memory)
        hidden, cell, session, total, count = state[:5]
        if bool(attempt[4].reshape(-1)[0]) and float(count.reshape(-1)[0]) > 0:
            _, session = self.session_gru(total / count, session)
            total, count = torch.zeros_like(total), torch.zeros_like(count)
        context = self.session_proj(session).transpose(0, 1)  # (B, 1, embed), as the inputs
        _, (hidden, cell) = self.lstm(inputs + context, (hidden, cell))
        return (hidden, cell, session, total + inputs, count + 1, *memory)

    def repeat_state(self, state: tuple[torch.Tensor, ...], count: int
                     ) -> tuple[torch.Tensor, ...]:
        """One learner's state as a batch of ``count`` copies: the LSTM's and the session GRU's
        states are batched on their second axis, the session sums and the memory on their
        first."""
        recurrent = 3 if self.session_layer else 2
        batched = [part.expand(part.shape[0], count, *part.shape[2:]).contiguous()
                   for part in state[:recurrent]]
        batched += [part.expand(count, *part.shape[1:]).contiguous()
                    for part in state[recurrent:]]
        return tuple(batched)

    def answer_probabilities(
        self, state: tuple[torch.Tensor, ...], exercise: torch.Tensor, skills: torch.Tensor
    ) -> torch.Tensor:
        """P(correct) of T exercises ((T,) ids, (T, S) skills) from each of B states: (B, T).

        The same numbers as :meth:`answer_logits` on every (state, exercise) pair, without
        building the B × T concatenated features: the MLP's first layer is split into its
        state, exercise and memory parts, each applied once, and summed (in eval mode)."""
        top = state[0][-1]
        target = self.target_embedding(exercise, skills)
        first, last = cast(nn.Linear, self.answer_mlp[0]), cast(nn.Linear, self.answer_mlp[3])
        hidden, width = top.shape[-1], target.shape[-1]
        from_state = F.linear(top, first.weight[:, :hidden], first.bias)
        from_target = F.linear(target, first.weight[:, hidden : hidden + width])
        inner = from_state.unsqueeze(1) + from_target.unsqueeze(0)
        if self.memory:
            reads = self.memory.read(self._memory_part(state), skills)
            inner = inner + F.linear(reads, first.weight[:, hidden + width :])
        logits = F.linear(torch.relu(inner), last.weight, last.bias).squeeze(-1)
        return self.probability(logits + self.exercise_bias(exercise).squeeze(-1))

    def score_catalog(
        self,
        state: tuple[torch.Tensor, ...],
        exercise: torch.Tensor,
        skills: torch.Tensor,
        recent: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """P(correct) and P(next) for every catalog exercise, from one state, in one pass;
        ``recent`` holds the ids of the last ``recent_lags`` exercises, newest first."""
        top = state[0][-1]
        p_correct = self.answer_probabilities(state, exercise, skills)[0]
        next_logits = self.next_logits(top[:1], exercise, skills).squeeze(0)
        if self.recent_lags:
            next_logits = next_logits + self.recent_scores(recent.view(1, -1))[0, exercise]
        return p_correct, torch.softmax(next_logits, dim=0)
