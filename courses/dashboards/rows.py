"""The dashboards' rows: frozen, plain values and ids (never ORM objects), what the pages, the
figures and the CSV export are built from."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from courses.queries.charts import GridCell
from learnpath.success import sequence_model_earns_paths


@dataclass(frozen=True)
class TimelineSkill:
    key: str
    name: str
    chosen: bool
    updates: int
    first_at: datetime
    latest_percent: int
    peak_percent: int


@dataclass(frozen=True)
class DayActivity:
    day: date
    attempts: int
    correct: int
    minutes: float


@dataclass(frozen=True)
class RecentAttempt:
    submitted_at: datetime
    exercise_key: str
    skills: str
    correct: bool
    seconds: int
    hint_used: bool


@dataclass(frozen=True)
class HeatmapRow:
    learner_id: int
    username: str
    full_name: str
    attempts: int
    last_active: datetime | None
    mean_percent: int
    cells: list[GridCell]
    reasons: list[str]


@dataclass(frozen=True)
class SkillStat:
    key: str
    name: str
    attempts: int
    learners: int
    success_percent: int | None
    predicted_percent: int | None
    mastered_learners: int
    attempts_to_mastery: float | None


@dataclass(frozen=True)
class ExerciseStat:
    key: str
    prompt: str  # as written (Markdown); the page shows it with the course's rendering
    skills: str
    difficulty: int
    active: bool
    attempts: int
    correct: int
    learners: int
    success_percent: int | None
    predicted_percent: int | None
    broken: bool

    @property
    def surprise(self) -> int | None:
        """Observed minus predicted success, in points: negative = harder than predicted."""
        if self.success_percent is None or self.predicted_percent is None:
            return None
        return self.success_percent - self.predicted_percent


def stored_number(value: Any) -> float | None:
    """A number read from a version's stored metrics; None when it is missing or not a number
    (NaN stays NaN: an undefined AUC is a recorded value)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of a reliability table: the attempts whose predicted chance of success fell in
    [low, high), their mean prediction and their observed rate of right answers."""

    low: float
    high: float
    count: int
    predicted: float
    observed: float


def reliability_table(value: Any) -> tuple[ReliabilityBin, ...] | None:
    """A stored reliability table (``learnpath.seq.metrics.reliability_bins``), or None when it
    is missing, empty or not one."""
    if not isinstance(value, list) or not value:
        return None
    bins = []
    for row in value:
        if not isinstance(row, dict):
            return None
        numbers = [stored_number(row.get(key))
                   for key in ("low", "high", "count", "predicted", "observed")]
        finite = [number for number in numbers if number is not None and math.isfinite(number)]
        if len(finite) < len(numbers):
            return None
        low, high, count, predicted, observed = finite
        bins.append(ReliabilityBin(low, high, int(count), predicted, observed))
    return tuple(bins)


@dataclass(frozen=True)
class VersionRow:
    """One trained model version, as the model dashboard lists it. The calibration fields are
    None for a version trained before they were recorded (or whose record is unreadable)."""

    id: int
    number: int
    status: str
    status_label: str
    valid_auc: float | None
    valid_hr10: float | None
    training_attempts: int
    training_learners: int
    train_seconds: float
    created_at: datetime
    decision: str
    metrics: dict[str, Any]
    # Expected calibration error, fitted temperature and bias (Platt scaling; versions trained
    # before the bias have none) and 10-bin reliability table on the validation learners: the
    # model's (after calibration) and the skill chart's.
    ece: float | None = None
    temperature: float | None = None
    bias: float | None = None
    reliability: tuple[ReliabilityBin, ...] | None = None
    chart_ece: float | None = None
    chart_reliability: tuple[ReliabilityBin, ...] | None = None

    @property
    def chart_auc(self) -> float | None:
        """The skill chart's AUC on the same validation learners (None before it was kept)."""
        return stored_number(self.metrics.get("valid_chart_auc"))

    @property
    def plans_paths(self) -> bool:
        """Whether the version, when active, plans paths (it must beat the chart)."""
        model_auc = self.metrics.get("valid_auc", self.valid_auc)
        return sequence_model_earns_paths({"valid_auc": stored_number(model_auc),
                                           "valid_chart_auc": self.chart_auc})


@dataclass(frozen=True)
class RunRow:
    """One training run, as the model dashboard lists it."""

    id: int
    trigger_label: str
    status: str
    status_label: str
    progress: float
    tries: int
    model_version_number: int | None
    created_at: datetime
    finished_at: datetime | None
    message: str
