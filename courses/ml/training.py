"""Retraining a course's sequence model from its stored attempts, and promoting it safely.

A run trains on every learner's history, writes the artifact next to the others (a temporary
file renamed into place), records a *candidate* version with its validation metrics, and then
promotes it in one transaction only if it is not worse than the active model beyond
``LEARNPATH_PROMOTION_TOLERANCE`` on both heads (AUC of the knowledge head, HR@10 of the
next-exercise head). Until that transaction commits the active model is untouched, so a run that
fails or is killed changes nothing that learners see; Celery retries it.
"""
from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from courses.jobs import RETRAIN_COURSE_MODEL, send_after_commit
from courses.ml import leases
from courses.ml.learner_state import exercise_catalog, store_all_states
from courses.ml.records import model_attempts
from courses.ml.registry import file_checksum, model_dir
from courses.ml.simulated_history import simulated_sequences
from courses.models import Attempt, Course, ModelVersion, TrainingRun
from courses.queries.history import learner_histories

logger = logging.getLogger(__name__)

MIN_LEARNERS = 10
MIN_ATTEMPTS = 200
# A run is tried at most this often (failures and lost workers together), then it fails.
MAX_TRIES = 3


@dataclass(frozen=True)
class CourseData:
    sequences: list[Any]
    exercise_skills: dict[str, tuple[str, ...]]
    attempts: int
    last_attempt_id: int
    # Of the sequences and attempts above, those of the course's simulated learners.
    simulated_learners: int = 0
    simulated_attempts: int = 0

    def describe(self) -> str:
        if not self.simulated_learners:
            return f"{self.attempts} attempts"
        return (f"{self.attempts} attempts ({self.simulated_attempts} of them by "
                f"{self.simulated_learners} simulated learners)")


def course_training_data(course: Course) -> CourseData:
    """Every learner's history as the engine's plain sequences, then the course's simulated
    learners' (:mod:`courses.ml.simulated_history`)."""
    from learnpath.seq import LearnerSequence

    catalog = exercise_catalog(course)
    sequences, attempts, last_id = [], 0, 0
    for learner_id, rows in learner_histories(course):
        steps = tuple(attempt for attempt, _ in model_attempts(rows, catalog))
        sequences.append(LearnerSequence(str(learner_id), steps))
        attempts += len(rows)
        last_id = max(last_id, rows[-1].attempt_id)
    exercise_skills = {key: skills for key, skills in catalog.values() if skills}
    simulated = simulated_sequences(course)
    simulated_attempts = sum(len(sequence.attempts) for sequence in simulated)
    return CourseData([*sequences, *simulated], exercise_skills, attempts + simulated_attempts,
                      last_id, len(simulated), simulated_attempts)


def open_run(course: Course, trigger: str) -> tuple[TrainingRun, bool]:
    """A queued run for the course (a new one, or the one already queued or running; one that
    was lost with its worker or its message is queued again)."""
    with transaction.atomic():
        list(Course.objects.select_for_update().filter(pk=course.pk))
        busy = TrainingRun.objects.select_for_update(of=("self",)).filter(
            course=course, status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING],
        ).first()
        if busy is not None:
            _requeue_if_lost(busy, timezone.now())
            if busy.status != TrainingRun.Status.FAILED:
                return busy, False  # (a run failed for good makes way for a new one)
        newest = Attempt.objects.filter(course=course).aggregate(top=Max("id"))["top"] or 0
        run = TrainingRun.objects.create(course=course, trigger=trigger, last_attempt_id=newest,
                                         touched_at=timezone.now())
        _enqueue(run.pk)
        return run, True


def _enqueue(run_id: int) -> None:
    send_after_commit(RETRAIN_COURSE_MODEL, run_id)


def _requeue_if_lost(run: TrainingRun, now: datetime) -> bool:
    """Queues the run's task again if its worker or its message was lost; fails it instead once
    it has been tried MAX_TRIES times (a run that kills its worker each time, e.g. for memory)."""
    if not leases.lost(run, now):
        return False
    if _failed_for_good(run, now):
        return True
    was = "its worker was lost" if run.status == TrainingRun.Status.RUNNING else \
        "its queued task never arrived"
    _mark(run, status=TrainingRun.Status.QUEUED, touched_at=now,
          message=f"Queued again: {was} (try {run.tries}).")
    _enqueue(run.pk)
    return True


def _failed_for_good(run: TrainingRun, now: datetime) -> bool:
    if run.tries < MAX_TRIES:
        return False
    if run.status == TrainingRun.Status.RUNNING:
        message = (f"The worker was lost during try {run.tries} of {MAX_TRIES} (killed, perhaps "
                   "for lack of memory); not tried again.")
    else:
        message = f"Tried {run.tries} times; not tried again. {run.message}".strip()
    _mark(run, status=TrainingRun.Status.FAILED, finished_at=now, message=message)
    return True


def recover_lost_runs() -> list[int]:
    """Every run lost with its worker or its message, queued again (or failed after MAX_TRIES);
    run by the schedule and when a worker starts. Returns the ids it touched."""
    touched = []
    for run_id in TrainingRun.objects.filter(
        status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
    ).values_list("pk", flat=True):
        with transaction.atomic():
            run = TrainingRun.objects.select_for_update().filter(
                pk=run_id, status__in=[TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING]
            ).first()
            if run is not None and _requeue_if_lost(run, timezone.now()):
                touched.append(run.pk)
    if touched:
        logger.warning("Training runs %s were lost and are queued again (or failed)", touched)
    return touched


def new_attempts_since_last_training(course: Course) -> int:
    """Attempts newer than both the active model's data and the latest run's start (one query:
    it runs after every answer)."""
    def newest(rows: QuerySet[Any]) -> Coalesce:
        return Coalesce(Subquery(rows.values("last_attempt_id")[:1]), 0)

    since = Greatest(
        newest(ModelVersion.objects.filter(course=course, status=ModelVersion.Status.ACTIVE)
               .order_by()),
        newest(TrainingRun.objects.filter(course=course).order_by("-id")),
    )
    return Attempt.objects.filter(course=course, id__gt=since).count()


def retraining_due(course: Course) -> bool:
    return new_attempts_since_last_training(course) >= course.retrain_after_attempts


def start_due_runs(trigger: str = TrainingRun.Trigger.SCHEDULE) -> list[int]:
    """Queues a run for every course with enough new attempts; returns the runs' ids."""
    return [open_run(course, trigger)[0].pk for course in Course.objects.all()
            if retraining_due(course)]


def _mark(run: TrainingRun, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=list(fields))


class RunTakenOver(Exception):
    """Another worker took this run over (it took this one for lost): stop, record nothing."""


def claim_run(run_id: int) -> tuple[TrainingRun | None, bool]:
    """The run, and whether this process now holds it. Not claimed: it no longer exists, it has
    finished (a duplicate delivery), a live worker holds it, or it failed here for good after
    losing its worker MAX_TRIES times."""
    now = timezone.now()
    with transaction.atomic():
        run = (TrainingRun.objects.select_for_update(of=("self",)).select_related("course")
               .filter(pk=run_id).first())
        if run is None or run.status not in (TrainingRun.Status.QUEUED,
                                             TrainingRun.Status.RUNNING):
            return run, False
        if leases.holder_alive(run, now):
            logger.info("Training run %s is held by %s; this delivery does nothing", run_id,
                        run.worker)
            return run, False
        if _failed_for_good(run, now):
            return run, False
        _mark(run, status=TrainingRun.Status.RUNNING, started_at=now, touched_at=now,
              worker=leases.new_claim(), tries=run.tries + 1, progress=0.05,
              message="Reading attempts")
    return run, True


def _hold(run: TrainingRun) -> None:
    """Inside a transaction: locks the run and makes sure this try still holds it."""
    held = TrainingRun.objects.select_for_update().filter(
        pk=run.pk, worker=run.worker, status=TrainingRun.Status.RUNNING
    ).exists()
    if not held:
        raise RunTakenOver(f"training run {run.pk} was taken over by another worker")


def _touch(run: TrainingRun, **fields: Any) -> None:
    """A sign of life with progress; raises RunTakenOver if the run is no longer ours."""
    now = timezone.now()
    held = TrainingRun.objects.filter(
        pk=run.pk, worker=run.worker, status=TrainingRun.Status.RUNNING
    ).update(touched_at=now, **fields)
    if not held:
        raise RunTakenOver(f"training run {run.pk} was taken over by another worker")
    for name, value in {"touched_at": now, **fields}.items():
        setattr(run, name, value)


def run_training(run_id: int) -> TrainingRun | None:
    """The body of the training task; raises on failure (the task retries). A run that no
    longer exists (its course was deleted), has finished, or is held by a live worker is
    nothing to do."""
    run, claimed = claim_run(run_id)
    if run is None:
        logger.info("Training run %s no longer exists; nothing to do", run_id)
        return None
    if not claimed:
        return run
    course = run.course
    data = course_training_data(course)
    if len(data.sequences) < MIN_LEARNERS or data.attempts < MIN_ATTEMPTS:
        _touch(run, status=TrainingRun.Status.SKIPPED, finished_at=timezone.now(), progress=1.0,
               message=f"{len(data.sequences)} learners and {data.attempts} attempts: at least "
                       f"{MIN_LEARNERS} learners and {MIN_ATTEMPTS} attempts are needed.")
        return run
    _touch(run, progress=0.1, message=f"Training on {data.describe()}")

    def epoch_done(epoch: int, epochs: int, row: dict[str, float]) -> None:
        _touch(run, progress=round(0.1 + 0.8 * epoch / epochs, 3),
               message=f"Training on {data.describe()}: epoch {epoch} of at most {epochs}")

    result, artifact = _train(course, data, epoch_done)
    chart_metrics = _chart_metrics(course, data, set(result.valid_learners))
    _touch(run, progress=0.9, message="Registering the new version")
    with transaction.atomic():
        # Course, then run: the order open_run takes them in. Only the holder may register.
        list(Course.objects.select_for_update().filter(pk=course.pk))
        _hold(run)
        version = _register(course, data, result, artifact, chart_metrics)
        activated, decision = promote(version)
        status = TrainingRun.Status.ACTIVATED if activated else TrainingRun.Status.KEPT_CANDIDATE
        _mark(run, status=status, model_version=version, progress=1.0,
              finished_at=timezone.now(), message=decision)
    if activated:
        try:
            store_all_states(course, version, result.model)
        except Exception:
            logger.exception("Precomputing learner states failed; requests will catch up")
    return run


def _train(course: Course, data: CourseData, on_epoch: Any = None) -> tuple[Any, Path]:
    from learnpath.seq import TrainConfig, train_from_sequences

    config = TrainConfig(**settings.LEARNPATH_TRAINING)
    directory = model_dir(course)
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".partial")
    os.close(handle)
    try:
        result = train_from_sequences(
            data.sequences, data.exercise_skills, config, checkpoint_path=temporary,
            on_epoch=on_epoch,
        )
        number = _next_number(course)
        final = directory / f"v{number:04d}-{file_checksum(Path(temporary))[:12]}.pt"
        os.replace(temporary, final)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return result, final


def _next_number(course: Course) -> int:
    latest = ModelVersion.objects.filter(course=course).aggregate(top=Max("number"))["top"]
    return (latest or 0) + 1


def _chart_metrics(course: Course, data: CourseData, held_out: set[str]) -> dict[str, Any]:
    """The skill chart's AUC, ECE and 10-bin reliability table on the model's validation
    learners, replayed as the site keeps it (``valid_chart_auc``, ``valid_chart_ece``,
    ``valid_chart_reliability``): a model plans paths only if its AUC is higher
    (``sequence_model_earns_paths``). The AUC is left out when the answers are all one way."""
    import numpy as np

    from courses.recommend.course_view import course_view
    from learnpath.mastery_fit import fit_course_params
    from learnpath.seq.metrics import expected_calibration_error, reliability_bins, roc_auc
    from learnpath.success import chart_predictions

    view = course_view(course)
    # BKT parameters fitted on the training learners only, so that the chart does not know the
    # held-out learners' answers through fitted parameters either.
    params = fit_course_params(
        [[(data.exercise_skills[a.exercise], a.correct) for a in s.attempts
          if a.exercise in data.exercise_skills]
         for s in data.sequences if s.learner not in held_out])
    answers, predicted = chart_predictions(
        [s for s in data.sequences if s.learner in held_out],
        {e.key: e for e in view.exercises}, view.graph, {**view.params, **params})
    if not answers:
        return {}
    labels, probabilities = np.array(answers, dtype=np.float64), np.array(predicted)
    metrics: dict[str, Any] = {
        "valid_chart_ece": expected_calibration_error(labels, probabilities),
        "valid_chart_reliability": reliability_bins(labels, probabilities),
    }
    if len(set(answers)) == 2:
        metrics["valid_chart_auc"] = float(roc_auc(labels, probabilities))
    return metrics


def _register(course: Course, data: CourseData, result: Any, artifact: Path,
              chart_metrics: dict[str, Any]) -> ModelVersion:
    metrics = {key: value for key, value in {**result.metrics, **chart_metrics}.items()
               if _plain(value)}
    if data.simulated_learners:
        metrics["simulated_learners"] = data.simulated_learners
        metrics["simulated_attempts"] = data.simulated_attempts
    return ModelVersion.objects.create(
        course=course,
        number=_next_number(course),
        artifact_path=str(artifact),
        checksum=file_checksum(artifact),
        data_hash=str(result.model.metadata.get("data_hash", "")),
        training_attempts=data.attempts,
        training_learners=len(data.sequences),
        last_attempt_id=data.last_attempt_id,
        valid_auc=metrics.get("valid_auc"),
        valid_hr10=metrics.get("valid_hr10"),
        metrics=metrics,
        train_seconds=float(metrics.get("train_seconds", 0.0)),
    )


def _plain(value: Any) -> bool:
    return isinstance(value, int | float | str | bool | list | dict) or value is None


def should_promote(candidate: ModelVersion, active: ModelVersion | None) -> tuple[bool, str]:
    """Not worse than the active model beyond the tolerance on both heads."""
    if active is None:
        return True, "First model of the course: activated."
    tolerance = settings.LEARNPATH_PROMOTION_TOLERANCE
    for label, new, old in (
        ("AUC", candidate.valid_auc, active.valid_auc),
        ("HR@10", candidate.valid_hr10, active.valid_hr10),
    ):
        if new is None:
            return False, f"Not activated: no validation {label}."
        if old is not None and new < old - tolerance:
            return False, (
                f"Not activated: validation {label} {new:.3f} is below the active model's "
                f"{old:.3f} by more than {tolerance}."
            )
    return True, (
        f"Activated: AUC {candidate.valid_auc:.3f} (was {_fmt(active.valid_auc)}), "
        f"HR@10 {candidate.valid_hr10:.3f} (was {_fmt(active.valid_hr10)})."
    )


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def promote(candidate: ModelVersion) -> tuple[bool, str]:
    """Atomically makes ``candidate`` the active version if it earns it."""
    with transaction.atomic():
        list(Course.objects.select_for_update().filter(pk=candidate.course_id))
        active = (
            ModelVersion.objects.select_for_update()
            .filter(course_id=candidate.course_id, status=ModelVersion.Status.ACTIVE)
            .first()
        )
        activate, decision = should_promote(candidate, active)
        if activate:
            if active is not None:
                active.status = ModelVersion.Status.RETIRED
                active.save(update_fields=["status"])
            candidate.status = ModelVersion.Status.ACTIVE
            candidate.activated_at = timezone.now()
        candidate.decision = decision
        candidate.save(update_fields=["status", "activated_at", "decision"])
    return activate, decision


def record_failure(run_id: int, error: BaseException, final: bool) -> bool:
    """Records a failed try; returns whether it was the last (``final``, or MAX_TRIES used up
    across all deliveries of the run)."""
    run = TrainingRun.objects.filter(pk=run_id).first()
    if run is None or not leases.claimed_by_this_process(run):
        return final  # gone, or taken over by another worker: that one records how it ends
    final = final or run.tries >= MAX_TRIES
    if final:
        _mark(run, status=TrainingRun.Status.FAILED, finished_at=timezone.now(),
              message=f"Failed after {run.tries} tries: {error}")
    else:
        _mark(run, status=TrainingRun.Status.QUEUED, touched_at=timezone.now(),
              message=f"Try {run.tries} failed: {error}; retrying")
    return final


def start_run_if_due(course: Course) -> TrainingRun | None:
    """After an attempt: queues a run once enough new attempts have arrived."""
    if retraining_due(course):
        return open_run(course, TrainingRun.Trigger.THRESHOLD)[0]
    return None
