"""The dashboards' rows: frozen, plain values and ids (never ORM objects), what the pages, the
figures and the CSV export are built from."""
from __future__ import annotations

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


@dataclass(frozen=True)
class VersionRow:
    """One trained model version, as the model dashboard lists it."""

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

    @property
    def chart_auc(self) -> float | None:
        """The skill chart's AUC on the same validation learners (None before it was kept)."""
        value = self.metrics.get("valid_chart_auc")
        return float(value) if value is not None else None

    @property
    def plans_paths(self) -> bool:
        """Whether the version, when active, plans paths (it must beat the chart)."""
        return sequence_model_earns_paths({"valid_auc": self.valid_auc, **self.metrics})


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
