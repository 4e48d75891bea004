"""Simulated attempts as the sequence model's attempt records: the one conversion for the
simulator, used to train on a simulated history and to step a policy's learner state. A record
starts a new session when the simulator's session index changes (as the site cuts study
sessions when it stores them); times are seconds since the epoch."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol

from learnpath.seq.records import Attempt


class SimulatedStep(Protocol):
    @property
    def exercise_key(self) -> str: ...
    @property
    def correct(self) -> bool: ...
    @property
    def at(self) -> datetime: ...
    @property
    def session_index(self) -> int: ...


def model_attempts(
    steps: Iterable[SimulatedStep], previous_session: int | None = None
) -> Iterator[Attempt]:
    """Each step as a record, in order; ``previous_session`` is the session before the first."""
    for step in steps:
        yield Attempt(step.exercise_key, step.correct, step.at.timestamp(),
                      step.session_index != previous_session)
        previous_session = step.session_index
