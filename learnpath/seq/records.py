"""Plain attempt records: the only data the sequence engine takes in.

An ``Attempt`` is one answer by one learner to one exercise. ``timestamp`` is in seconds (any
epoch) and ``new_session`` marks the first attempt of a study session; both are optional because
most public benchmark files carry neither. A ``Corpus`` is the learners' sequences plus the
exercise -> skills map (every exercise is tagged with one or more skills).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attempt:
    exercise: str
    correct: bool
    timestamp: float | None = None
    new_session: bool = False


@dataclass(frozen=True, slots=True)
class LearnerSequence:
    learner: str
    attempts: tuple[Attempt, ...]

    def __len__(self) -> int:
        return len(self.attempts)


@dataclass(frozen=True)
class Corpus:
    sequences: tuple[LearnerSequence, ...]
    exercise_skills: Mapping[str, tuple[str, ...]]

    @property
    def attempt_count(self) -> int:
        return sum(len(sequence) for sequence in self.sequences)
