"""The judge's plain data: a test case, the limits of a run, and the verdict."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Case:
    """One test: a function call with its expected return value, or a stdin → stdout run.

    ``args`` and ``expected`` are JSON values; expected stdout is compared ignoring trailing
    whitespace on each line and trailing blank lines."""

    visible: bool
    call: str | None = None
    args: tuple[Any, ...] = ()
    expected: object = None
    stdin: str | None = None
    stdout: str | None = None

    @property
    def is_call(self) -> bool:
        return self.call is not None


@dataclass(frozen=True)
class Limits:
    """What one judged run may use; CPU and wall-clock time are for all its tests together.

    The program may start no process or thread of its own, whatever the limits."""

    cpu_seconds: float = 2.0
    wall_seconds: float = 6.0
    memory_mb: int = 256  # address space of each test's process, the interpreter included
    output_kb: int = 64  # stdout of each test, and the size of each return value as JSON
    file_kb: int = 1024  # the largest file the program may write (in its private /tmp)
    tmp_kb: int = 4096  # all of its private /tmp
    open_files: int = 64

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"Limits.{name} must be a positive number, not {value!r}")


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    RUNTIME_ERROR = "runtime_error"
    SYNTAX_ERROR = "syntax_error"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"


@dataclass(frozen=True)
class Verdict:
    """The judgement of one program against its tests.

    ``first_failure`` describes the first failing visible test (``index`` in the given cases,
    ``kind``, ``input`` as a call or the stdin text, ``expected``, ``got`` and its
    ``outcome``), or is ``None`` when only hidden tests failed; those count in
    ``hidden_failed``. ``message`` is a short explanation, for errors the trimmed traceback of
    the learner's code (shown as ``solution.py``)."""

    outcome: Outcome
    passed: int
    total: int
    first_failure: dict[str, Any] | None
    hidden_failed: int
    message: str
    seconds: float
    cpu_seconds: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "outcome": self.outcome.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            outcome=Outcome(data["outcome"]), passed=int(data["passed"]),
            total=int(data["total"]), first_failure=data.get("first_failure"),
            hidden_failed=int(data.get("hidden_failed", 0)), message=str(data.get("message", "")),
            seconds=float(data.get("seconds", 0.0)),
            cpu_seconds=float(data.get("cpu_seconds", 0.0)),
        )
