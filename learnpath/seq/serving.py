"""Serving a trained model to the site, in plain data, and training one from plain data.

A learner's knowledge is the LSTM's recurrent state after their attempts so far. ``step`` feeds
one new attempt through one LSTM step (O(1) in the length of the history) and gives exactly the
state a full re-run over the history would; ``score`` reads P(correct) and P(next) for every
catalog exercise from a state in one batched pass. ``roll_forward`` steps through hypothetical
attempts (for planning a path) without touching the stored state. States are immutable and
serialise to bytes for the database: ``b"LPS1"``, the last attempt's timestamp as a float64 (NaN
when unknown), the number of float32 (h, c) values and the values, then the last few exercise keys
(newest first, read by the next-exercise head's co-occurrence term) as a JSON list.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from learnpath.seq.data import (
    PAD_ID,
    EncodedSequences,
    Vocabulary,
    cut_windows,
    data_hash,
    drop_short,
    gap_bucket,
)
from learnpath.seq.metrics import reliability_bins
from learnpath.seq.records import Attempt, LearnerSequence
from learnpath.seq.trainer import (
    EpochCallback,
    TrainConfig,
    Trainer,
    load_model,
    new_model,
    save_checkpoint,
)

STATE_MAGIC = b"LPS1"
_HEADER = struct.Struct("<4sdI")


@runtime_checkable
class RecurrentServable(Protocol):
    def initial_state(self) -> tuple[torch.Tensor, ...]: ...

    def advance(
        self, state: tuple[torch.Tensor, ...], attempt: tuple[torch.Tensor, ...]
    ) -> tuple[torch.Tensor, ...]: ...

    recent_lags: int

    def score_catalog(
        self,
        state: tuple[torch.Tensor, ...],
        exercise: torch.Tensor,
        skills: torch.Tensor,
        recent: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]: ...

    def answer_probabilities(
        self, state: tuple[torch.Tensor, ...], exercise: torch.Tensor, skills: torch.Tensor
    ) -> torch.Tensor: ...

    def repeat_state(self, state: tuple[torch.Tensor, ...], count: int
                     ) -> tuple[torch.Tensor, ...]: ...


@dataclass(frozen=True)
class LearnerState:
    vector: np.ndarray
    last_timestamp: float | None = None
    recent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scores:
    exercises: tuple[str, ...]
    p_correct: np.ndarray
    p_next: np.ndarray

    def p_correct_by_exercise(self) -> dict[str, float]:
        return dict(zip(self.exercises, self.p_correct.tolist(), strict=True))

    def p_next_by_exercise(self) -> dict[str, float]:
        return dict(zip(self.exercises, self.p_next.tolist(), strict=True))


def state_to_bytes(state: LearnerState) -> bytes:
    timestamp = math.nan if state.last_timestamp is None else state.last_timestamp
    header = _HEADER.pack(STATE_MAGIC, timestamp, state.vector.size)
    recent = json.dumps(list(state.recent)).encode()
    return header + state.vector.astype("<f4").tobytes() + recent


def state_from_bytes(payload: bytes) -> LearnerState:
    if len(payload) < _HEADER.size or payload[:4] != STATE_MAGIC:
        raise ValueError("not a learner state")
    _, timestamp, count = _HEADER.unpack_from(payload)
    end = _HEADER.size + 4 * count
    vector = np.frombuffer(payload[_HEADER.size : end], dtype="<f4").astype(np.float32)
    recent = tuple(json.loads(payload[end:].decode()))
    return LearnerState(vector, None if math.isnan(timestamp) else timestamp, recent)


class ServingModel:
    """A trained LSTM plus its vocabulary, scoring a catalog of exercises for one learner."""

    def __init__(
        self,
        model: torch.nn.Module,
        vocab: Vocabulary,
        metadata: Mapping[str, Any] | None = None,
        catalog: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if not isinstance(model, RecurrentServable):
            raise TypeError(f"{type(model).__name__} cannot be served step by step")
        self.model = model.eval()
        self.vocab = vocab
        self.metadata = dict(metadata or {})
        exercise_skills = (
            catalog
            if catalog is not None
            else {key: vocab.exercise_skills.get(key, ()) for key in vocab.exercises}
        )
        self.exercises = tuple(exercise_skills)
        # Exercise key -> its row in :class:`Scores`, built once with the catalog.
        self.catalog_index = {key: row for row, key in enumerate(self.exercises)}
        device = next(model.parameters()).device
        self._catalog_ids = torch.tensor(
            [vocab.exercise_id(key) for key in self.exercises], device=device
        )
        self._catalog_skills = torch.tensor(
            [vocab.skill_ids(key, exercise_skills[key]) for key in self.exercises], device=device
        )
        self._device = device
        with torch.no_grad():
            self._shapes = [tuple(part.shape) for part in model.initial_state()]
        self._sizes = [int(np.prod(shape)) for shape in self._shapes]

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.metadata.get("metrics", {}))

    def with_catalog(self, exercise_skills: Mapping[str, Sequence[str]]) -> ServingModel:
        """The same model scoring these exercises; unseen ones are scored through their skills."""
        return ServingModel(self.model, self.vocab, self.metadata, exercise_skills)

    def _to_tensors(self, state: LearnerState) -> tuple[torch.Tensor, ...]:
        if state.vector.shape != (sum(self._sizes),):
            raise ValueError(f"state has {state.vector.size} values, this model needs "
                             f"{sum(self._sizes)}")
        values = torch.from_numpy(np.ascontiguousarray(state.vector)).to(self._device)
        parts = torch.split(values, self._sizes)
        return tuple(part.view(shape) for part, shape in zip(parts, self._shapes, strict=True))

    def _from_tensors(
        self,
        state: tuple[torch.Tensor, ...],
        timestamp: float | None,
        recent: tuple[str, ...] = (),
    ) -> LearnerState:
        vector = torch.cat([part.reshape(-1) for part in state]).cpu().numpy()
        return LearnerState(vector.astype(np.float32), timestamp, recent)

    @torch.no_grad()
    def initial_state(self) -> LearnerState:
        return self._from_tensors(self.model.initial_state(), None)

    @torch.no_grad()
    def step(
        self, state: LearnerState, attempt: Attempt, skills: Sequence[str] | None = None
    ) -> LearnerState:
        """The state after one more attempt; ``skills`` tags an exercise the model never saw."""
        gap = None
        if attempt.timestamp is not None and state.last_timestamp is not None:
            gap = attempt.timestamp - state.last_timestamp
        skill_ids = self.vocab.skill_ids(attempt.exercise, skills)
        inputs = (
            torch.tensor([[self.vocab.exercise_id(attempt.exercise)]], device=self._device),
            torch.tensor([[skill_ids]], device=self._device),
            torch.tensor([[float(attempt.correct)]], device=self._device),
            torch.tensor([[gap_bucket(gap)]], device=self._device),
            torch.tensor([[int(attempt.new_session)]], device=self._device),
        )
        new_state = self.model.advance(self._to_tensors(state), inputs)
        timestamp = attempt.timestamp if attempt.timestamp is not None else state.last_timestamp
        recent = ((attempt.exercise, *state.recent))[: self.model.recent_lags]
        return self._from_tensors(new_state, timestamp, recent)

    def roll_forward(self, state: LearnerState, attempts: Iterable[Attempt]) -> LearnerState:
        for attempt in attempts:
            state = self.step(state, attempt)
        return state

    @torch.no_grad()
    def score(self, state: LearnerState) -> Scores:
        recent_ids = [self.vocab.exercise_id(key) for key in state.recent]
        recent_ids += [PAD_ID] * (self.model.recent_lags - len(recent_ids))
        recent = torch.tensor(recent_ids[: self.model.recent_lags], device=self._device)
        p_correct, p_next = self.model.score_catalog(
            self._to_tensors(state), self._catalog_ids, self._catalog_skills, recent
        )
        return Scores(self.exercises, p_correct.cpu().numpy(), p_next.cpu().numpy())


    @torch.no_grad()
    def lookahead(
        self,
        state: LearnerState,
        candidates: Sequence[str],
        targets: Sequence[str],
    ) -> Lookahead:
        """The mean P(correct) over the ``targets`` now, and after a right and after a wrong
        answer on each candidate, in one batched step; candidates and targets are catalog
        exercises (:meth:`with_catalog`). The hypothetical attempts have no time and open no
        session, as in :meth:`step` without a timestamp."""
        index = [self.catalog_index[key] for key in targets]
        target_ids, target_skills = self._catalog_ids[index], self._catalog_skills[index]
        current = self._to_tensors(state)
        now = self.model.answer_probabilities(current, target_ids, target_skills)
        count = len(candidates)
        if count == 0:
            return Lookahead(float(now.mean()), np.zeros(0), np.zeros(0))
        device = self._device
        rows = [self.catalog_index[key] for key in candidates]
        ids, skill_rows = self._catalog_ids[rows], self._catalog_skills[rows]
        inputs = (
            ids.repeat(2).view(-1, 1),
            skill_rows.repeat(2, 1).unsqueeze(1),
            torch.tensor([1.0] * count + [0.0] * count, device=device).view(-1, 1),
            torch.full((2 * count, 1), gap_bucket(None), device=device),
            torch.zeros((2 * count, 1), dtype=torch.long, device=device),
        )
        after = self.model.advance(self.model.repeat_state(current, 2 * count), inputs)
        means = self.model.answer_probabilities(after, target_ids, target_skills).mean(dim=1)
        values = means.cpu().numpy().astype(np.float64)
        return Lookahead(float(now.mean()), values[:count], values[count:])


@dataclass(frozen=True)
class Lookahead:
    """Mean P(correct) over some target exercises now, and after a right (``after_right[i]``)
    or a wrong (``after_wrong[i]``) answer on the i-th candidate."""

    now: float
    after_right: np.ndarray
    after_wrong: np.ndarray


def load_checkpoint(path: Path | str, device: str = "cpu") -> ServingModel:
    model, vocab, payload = load_model(Path(path), device)
    metadata = {key: payload[key] for key in ("metrics", "config", "data_hash", "model")}
    return ServingModel(model, vocab, metadata)


@dataclass(frozen=True)
class TrainingResult:
    model: ServingModel
    metrics: dict[str, Any]
    checkpoint_path: Path | None
    # The learners held out for validation (early stopping and the reported metrics).
    valid_learners: tuple[str, ...] = ()


def split_learners(
    sequences: Sequence[LearnerSequence], valid_fraction: float, seed: int
) -> tuple[list[LearnerSequence], list[LearnerSequence]]:
    """Seeded split by learner; no validation set when there are fewer than 10 learners."""
    count = len(sequences)
    valid_count = round(count * valid_fraction) if count >= 10 else 0
    order = np.random.default_rng(seed).permutation(count)
    valid_rows = set(order[:valid_count].tolist())
    train = [sequence for row, sequence in enumerate(sequences) if row not in valid_rows]
    valid = [sequence for row, sequence in enumerate(sequences) if row in valid_rows]
    return train, valid


@dataclass(frozen=True)
class FittedModel:
    """A trained model of any architecture, with its vocabulary and what training measured."""

    model: torch.nn.Module
    vocab: Vocabulary
    config: TrainConfig
    metrics: dict[str, Any]
    data_hash: str
    checkpoint_path: Path | None
    valid_learners: tuple[str, ...] = ()


def fit_model(
    sequences: Sequence[LearnerSequence],
    exercise_skills: Mapping[str, Sequence[str]],
    config: TrainConfig | None = None,
    progress: bool = False,
    checkpoint_path: Path | str | None = None,
    on_epoch: EpochCallback | None = None,
) -> FittedModel:
    """Train ``config.model`` from plain per-learner sequences (a seeded split by learner
    keeps ``valid_fraction`` for early stopping, calibration and the reported validation
    metrics: the answer head's AUC, ECE and 10-bin reliability table, ``valid_reliability``,
    after Platt scaling, and the fitted ``answer_temperature`` and ``answer_bias``)."""
    config = config or TrainConfig()
    kept = drop_short(sequences, config.min_attempts)
    train, valid = split_learners(kept, config.valid_fraction, config.seed)
    train_windows = cut_windows(train, config.max_window)
    skills = {key: tuple(value) for key, value in exercise_skills.items()}
    vocab = Vocabulary.build(train_windows, skills, config.min_exercise_count)
    train_data = EncodedSequences(train_windows, vocab)
    valid_data = EncodedSequences(cut_windows(valid, config.max_window), vocab) if valid else None
    trainer = Trainer(new_model(config, vocab), config)
    report = trainer.fit(train_data, valid_data, progress=progress, on_epoch=on_epoch)
    metrics: dict[str, Any] = {
        "train_learners": len(train),
        "valid_learners": len(valid),
        "epochs_run": report.epochs_run,
        "best_epoch": report.best_epoch,
        "train_seconds": report.train_seconds,
        "history": [dict(row) for row in report.history],
        "monitor": config.monitor,
    }
    if valid_data is not None:
        metrics |= {f"valid_{key}": value for key, value in trainer.evaluate(valid_data).items()}
        labels, probabilities = trainer.answer_predictions(valid_data)
        if len(labels):
            metrics["valid_reliability"] = reliability_bins(labels, probabilities)
    if trainer.model.predicts_answers:
        metrics["answer_temperature"] = float(trainer.model.answer_temperature)
        metrics["answer_bias"] = float(trainer.model.answer_bias)
    training_hash = data_hash(kept, skills)
    path = None
    if checkpoint_path is not None:
        path = save_checkpoint(
            Path(checkpoint_path), trainer.model, vocab, config, metrics, training_hash
        )
    return FittedModel(trainer.model, vocab, config, metrics, training_hash, path,
                       tuple(sequence.learner for sequence in valid))


def train_from_sequences(
    sequences: Sequence[LearnerSequence],
    exercise_skills: Mapping[str, Sequence[str]],
    config: TrainConfig | None = None,
    progress: bool = False,
    checkpoint_path: Path | str | None = None,
    on_epoch: EpochCallback | None = None,
) -> TrainingResult:
    """Train the LSTM from plain per-learner sequences; report validation AUC and HR@10."""
    fitted = fit_model(sequences, exercise_skills, config, progress, checkpoint_path, on_epoch)
    metadata = {
        "metrics": fitted.metrics,
        "config": fitted.config.to_dict(),
        "data_hash": fitted.data_hash,
        "model": fitted.config.model,
    }
    serving = ServingModel(fitted.model, fitted.vocab, metadata)
    return TrainingResult(serving, fitted.metrics, fitted.checkpoint_path,
                          fitted.valid_learners)
