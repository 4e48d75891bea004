"""From attempt records to padded tensor batches.

Protocol helpers: learners with fewer than ``min_attempts`` attempts are dropped, and every
sequence is cut into consecutive, non-overlapping windows of at most ``max_window`` attempts; each
window is an independent sequence, so every attempt is predicted exactly once, the first of a
window from the empty-history state.

Vocabulary: ids 0 (padding) and 1 (unknown) are reserved for exercises and skills alike. Only
exercises seen at least ``min_exercise_count`` times in training get an id of their own; any other
exercise is encoded as *unknown* and is represented through its skills, which is how the models
handle exercises they have never seen.

Time: the gap since the learner's previous attempt is bucketed on a log-like scale (under a
minute, 5 minutes, 30 minutes, 3 hours, a day, a week, a month, longer); bucket 0 means unknown
(no timestamps, or the first attempt).
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from learnpath.seq.records import LearnerSequence

PAD_ID = 0
UNKNOWN_ID = 1
GAP_BUCKET_EDGES_SECONDS = (60, 300, 1800, 3 * 3600, 86400, 7 * 86400, 30 * 86400)
GAP_BUCKET_COUNT = len(GAP_BUCKET_EDGES_SECONDS) + 2


def gap_bucket(gap_seconds: float | None) -> int:
    if gap_seconds is None or gap_seconds != gap_seconds:
        return 0
    return 1 + int(np.searchsorted(GAP_BUCKET_EDGES_SECONDS, max(gap_seconds, 0.0), side="right"))


def drop_short(sequences: Sequence[LearnerSequence], min_attempts: int) -> list[LearnerSequence]:
    return [sequence for sequence in sequences if len(sequence) >= min_attempts]


def cut_windows(sequences: Sequence[LearnerSequence], max_window: int) -> list[LearnerSequence]:
    windows = []
    for sequence in sequences:
        for start in range(0, len(sequence), max_window):
            part = sequence.attempts[start : start + max_window]
            windows.append(LearnerSequence(f"{sequence.learner}#{start // max_window}", part))
    return windows


def assign_folds(learners: Sequence[str], fold_count: int, seed: int) -> dict[str, int]:
    """Learner -> fold in 1..fold_count, a seeded permutation cut into near-equal parts."""
    order = np.random.default_rng(seed).permutation(len(learners))
    return {
        learners[index]: 1 + rank * fold_count // len(learners) for rank, index in enumerate(order)
    }


def data_hash(
    sequences: Sequence[LearnerSequence], exercise_skills: Mapping[str, Sequence[str]]
) -> str:
    digest = hashlib.sha256()
    for sequence in sequences:
        digest.update(repr(sequence.learner).encode())
        for attempt in sequence.attempts:
            fields = (attempt.exercise, attempt.correct, attempt.timestamp, attempt.new_session)
            digest.update(repr(fields).encode())
    digest.update(
        repr(sorted((key, tuple(value)) for key, value in exercise_skills.items())).encode()
    )
    return digest.hexdigest()


@dataclass(frozen=True)
class Vocabulary:
    exercises: tuple[str, ...]
    skills: tuple[str, ...]
    exercise_skills: Mapping[str, tuple[str, ...]]
    max_skills: int

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_exercise_ids", {key: i + 2 for i, key in enumerate(self.exercises)}
        )
        object.__setattr__(self, "_skill_ids", {key: i + 2 for i, key in enumerate(self.skills)})

    @classmethod
    def build(
        cls,
        sequences: Sequence[LearnerSequence],
        exercise_skills: Mapping[str, Sequence[str]],
        min_exercise_count: int = 1,
    ) -> Vocabulary:
        counts = Counter(
            attempt.exercise for sequence in sequences for attempt in sequence.attempts
        )
        exercises = tuple(
            sorted(key for key, count in counts.items() if count >= min_exercise_count)
        )
        skills = sorted({skill for key in counts for skill in exercise_skills.get(key, ())})
        max_skills = max((len(exercise_skills.get(key, ())) for key in counts), default=1)
        known_skills = {key: tuple(value) for key, value in exercise_skills.items()}
        return cls(exercises, tuple(skills), known_skills, max(max_skills, 1))

    @property
    def exercise_vocab_size(self) -> int:
        return len(self.exercises) + 2

    @property
    def skill_vocab_size(self) -> int:
        return len(self.skills) + 2

    def exercise_id(self, key: str) -> int:
        return self._exercise_ids.get(key, UNKNOWN_ID)  # type: ignore[attr-defined]

    def skill_ids(self, exercise: str, skills: Sequence[str] | None = None) -> list[int]:
        """Skill ids of an exercise, padded/truncated to ``max_skills``; unknown skills -> 1."""
        names = skills if skills is not None else self.exercise_skills.get(exercise, ())
        ids = [self._skill_ids.get(name, UNKNOWN_ID) for name in names][: self.max_skills]  # type: ignore[attr-defined]
        if not ids:
            ids = [UNKNOWN_ID]
        return ids + [PAD_ID] * (self.max_skills - len(ids))

    def exercise_skill_matrix(self) -> np.ndarray:
        """Row ``i`` holds the skill ids of exercise id ``i`` (rows 0 and 1: unknown skill)."""
        matrix = np.zeros((self.exercise_vocab_size, self.max_skills), dtype=np.int64)
        matrix[:2, 0] = UNKNOWN_ID
        for index, key in enumerate(self.exercises):
            matrix[index + 2] = self.skill_ids(key)
        return matrix

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercises": list(self.exercises),
            "skills": list(self.skills),
            "exercise_skills": {key: list(value) for key, value in self.exercise_skills.items()},
            "max_skills": self.max_skills,
        }

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> Vocabulary:
        skills = {key: tuple(value) for key, value in payload["exercise_skills"].items()}
        return cls(
            tuple(payload["exercises"]), tuple(payload["skills"]), skills, payload["max_skills"]
        )


@dataclass(frozen=True)
class Batch:
    """Padded (batch, time) tensors; ``mask`` is False on padding."""

    exercise: torch.Tensor
    skills: torch.Tensor
    correct: torch.Tensor
    gap: torch.Tensor
    session: torch.Tensor
    mask: torch.Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(*(getattr(self, name).to(device) for name in Batch.__dataclass_fields__))

    @property
    def sequence_count(self) -> int:
        return int(self.exercise.shape[0])


class EncodedSequences:
    """All windows encoded once into padded numpy arrays, so batching is plain indexing."""

    def __init__(self, sequences: Sequence[LearnerSequence], vocab: Vocabulary) -> None:
        self.lengths = np.array([len(sequence) for sequence in sequences], dtype=np.int64)
        count, width = len(sequences), int(self.lengths.max(initial=1))
        self.exercise = np.zeros((count, width), dtype=np.int64)
        self.skills = np.zeros((count, width, vocab.max_skills), dtype=np.int64)
        self.correct = np.zeros((count, width), dtype=np.float32)
        self.gap = np.zeros((count, width), dtype=np.int64)
        self.session = np.zeros((count, width), dtype=np.int64)
        skill_row = functools.cache(vocab.skill_ids)
        for row, sequence in enumerate(sequences):
            previous = None
            for column, attempt in enumerate(sequence.attempts):
                self.exercise[row, column] = vocab.exercise_id(attempt.exercise)
                self.skills[row, column] = skill_row(attempt.exercise)
                self.correct[row, column] = attempt.correct
                if attempt.timestamp is not None and previous is not None:
                    self.gap[row, column] = gap_bucket(attempt.timestamp - previous)
                self.session[row, column] = attempt.new_session
                previous = attempt.timestamp

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def attempt_count(self) -> int:
        return int(self.lengths.sum())

    def batch(self, rows: np.ndarray) -> Batch:
        width = int(self.lengths[rows].max())
        mask = np.arange(width)[None, :] < self.lengths[rows][:, None]
        return Batch(
            torch.from_numpy(self.exercise[rows, :width]),
            torch.from_numpy(self.skills[rows, :width]),
            torch.from_numpy(self.correct[rows, :width]),
            torch.from_numpy(self.gap[rows, :width]),
            torch.from_numpy(self.session[rows, :width]),
            torch.from_numpy(mask),
        )

    def batches(self, batch_size: int, rng: np.random.Generator | None = None) -> Iterator[Batch]:
        """Length-bucketed batches: shuffled when ``rng`` is given, in row order otherwise."""
        for rows in self.batch_rows(batch_size, rng):
            yield self.batch(rows)

    def batch_rows(
        self, batch_size: int, rng: np.random.Generator | None = None
    ) -> list[np.ndarray]:
        if rng is None:
            order = np.argsort(self.lengths, kind="stable")
            return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        shuffled = rng.permutation(len(self))
        pool = batch_size * 32
        groups: list[np.ndarray] = []
        for start in range(0, len(shuffled), pool):
            chunk = shuffled[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            groups.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
        return [groups[i] for i in rng.permutation(len(groups))]
