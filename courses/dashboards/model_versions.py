"""The admin's view of a course's models: versions and their validation metrics, the training
curve of each run, the reliability of the newest versions' predictions, the data volume over
time, and the latest retraining runs. Frozen rows and Plotly figure dicts; a fixed number of
queries whatever the history. Metrics stored in an unexpected shape show as not recorded."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils.translation import gettext, gettext_noop

from courses.dashboards.figures.model_versions import (
    curves_figure,
    metrics_figure,
    monitored_metric,
    reliability_figure,
    training_history,
    volume_figure,
)
from courses.dashboards.rows import RunRow, VersionRow, reliability_table, stored_number
from courses.models import Attempt, Course, ModelVersion, TrainingRun

RECENT_RUNS = 15
# The newest versions get a reliability plot each; every version's ECE is in the versions table.
RELIABILITY_VERSIONS = 12
NOT_RECORDED_NOTE = gettext_noop("Trained before calibration was recorded: no reliability plot.")
UNREADABLE_NOTE = gettext_noop("Its stored reliability table cannot be read: no reliability plot.")


@dataclass(frozen=True)
class ReliabilityCard:
    """One version's calibration: its reliability figure, or None and a note saying why."""

    version: VersionRow
    plot_name: str
    label: str
    figure: dict[str, Any] | None
    note: str


@dataclass(frozen=True)
class ModelDashboard:
    course_id: int
    course_title: str
    versions: list[VersionRow]
    runs: list[RunRow]
    metrics_figure: dict[str, Any]
    curves_figure: dict[str, Any]
    curve_rows: list[tuple[int, str, Any, Any, Any]]
    reliability_cards: list[ReliabilityCard]
    volume_figure: dict[str, Any]
    volume_rows: list[tuple[str, int, int]]

    @property
    def older_versions(self) -> int:
        """Versions too old for a reliability plot of their own."""
        return len(self.versions) - len(self.reliability_cards)


def volume_rows(course: Course) -> list[tuple[str, int, int]]:
    """(day, attempts that day, attempts in total so far), oldest first."""
    per_day = (
        Attempt.objects.filter(course=course)
        .annotate(day=TruncDate("submitted_at"))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
        .values_list("day", "count")
    )
    rows, total = [], 0
    for day, count in per_day:
        total += count
        rows.append((day.isoformat(), count, total))
    return rows


def curve_rows(versions: list[VersionRow]) -> list[tuple[int, str, Any, Any, Any]]:
    """The training curves' table: (version, monitored metric, epoch, validation score,
    training loss), oldest version first."""
    return [(version.number, monitored_metric(version), row.get("epoch"),
             row.get("valid_score"), row.get("train_loss"))
            for version in sorted(versions, key=lambda v: v.number)
            for row in training_history(version)]


def _version_row(version: ModelVersion) -> VersionRow:
    metrics = dict(version.metrics) if isinstance(version.metrics, dict) else {}
    return VersionRow(
        id=version.pk, number=version.number, status=version.status,
        status_label=version.get_status_display(), valid_auc=version.valid_auc,
        valid_hr10=version.valid_hr10, training_attempts=version.training_attempts,
        training_learners=version.training_learners, train_seconds=version.train_seconds,
        created_at=version.created_at, decision=version.decision, metrics=metrics,
        ece=stored_number(metrics.get("valid_ece")),
        temperature=stored_number(metrics.get("answer_temperature")),
        bias=stored_number(metrics.get("answer_bias")),
        reliability=reliability_table(metrics.get("valid_reliability")),
        chart_ece=stored_number(metrics.get("valid_chart_ece")),
        chart_reliability=reliability_table(metrics.get("valid_chart_reliability")),
    )


def _reliability_card(version: VersionRow) -> ReliabilityCard:
    name, label = (f"model-reliability-{version.number}",
                   gettext("Reliability of v%(number)s: predicted chance of success against the "
                           "observed rate of right answers, per tenth of the prediction")
                   % {"number": version.number})
    if version.reliability:
        return ReliabilityCard(version, name, label, reliability_figure(version), "")
    recorded = "valid_reliability" in version.metrics
    return ReliabilityCard(version, name, label, None,
                           gettext(UNREADABLE_NOTE if recorded else NOT_RECORDED_NOTE))


def _run_row(run: TrainingRun) -> RunRow:
    return RunRow(
        id=run.pk, trigger_label=run.get_trigger_display(), status=run.status,
        status_label=run.get_status_display(), progress=run.progress, tries=run.tries,
        model_version_number=run.model_version.number if run.model_version else None,
        created_at=run.created_at, finished_at=run.finished_at, message=run.message,
    )


def model_dashboard(course: Course) -> ModelDashboard:
    versions = [_version_row(v) for v in
                ModelVersion.objects.filter(course=course).order_by("-number")]
    runs = [_run_row(run) for run in TrainingRun.objects.filter(course=course)
            .select_related("model_version")[:RECENT_RUNS]]
    volume = volume_rows(course)
    return ModelDashboard(
        course_id=course.pk,
        course_title=course.title,
        versions=versions,
        runs=runs,
        metrics_figure=metrics_figure(versions),
        curves_figure=curves_figure(versions),
        curve_rows=curve_rows(versions),
        reliability_cards=[_reliability_card(v) for v in versions[:RELIABILITY_VERSIONS]],
        volume_figure=volume_figure(volume),
        volume_rows=volume,
    )
