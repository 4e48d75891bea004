"""Training runs survive their worker: a run held by a live worker is left alone, one whose worker
died (here or elsewhere) or whose queued message was lost is queued again and runs once more, a
duplicate delivery does nothing, and a run that loses its worker every time fails after three."""
from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from courses.ml import leases, training
from courses.models import Course, ModelVersion, TrainingRun
from courses.tasks import recover_lost_training_runs, retrain_course_model


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The run ids sent to the broker (instead of sending them)."""
    sent: list[int] = []
    monkeypatch.setattr(training, "_enqueue", sent.append)
    return sent


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


HERE = socket.gethostname()


def _running(course: Course, worker: str, age: timedelta = timedelta(0),
             tries: int = 1) -> TrainingRun:
    run = TrainingRun.objects.create(
        course=course, trigger=TrainingRun.Trigger.ADMIN, status=TrainingRun.Status.RUNNING,
        worker=worker, tries=tries, touched_at=timezone.now() - age,
    )
    return run


def test_process_liveness_is_asked_of_the_system() -> None:
    assert leases.process_alive(subprocess.os.getpid())
    assert not leases.process_alive(_dead_pid())
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(100):  # exited but not reaped: a zombie is not alive
            if not leases.process_alive(zombie.pid):
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert not leases.process_alive(zombie.pid)
    finally:
        zombie.wait()


def test_a_run_whose_worker_died_here_is_taken_over_at_once(populated: Course) -> None:
    run = _running(populated, f"{HERE}:{_dead_pid()}")
    assert retrain_course_model.apply(args=[run.pk]).get() == TrainingRun.Status.ACTIVATED
    run.refresh_from_db()
    assert run.tries == 2 and run.worker.startswith(leases.this_process() + ":")
    assert ModelVersion.objects.filter(course=populated).count() == 1


def test_a_run_held_by_a_live_worker_is_left_alone(populated: Course) -> None:
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        for worker in (f"{HERE}:{sleeper.pid}", "another-machine:4242"):
            run = _running(populated, worker, age=timedelta(minutes=1))
            assert retrain_course_model.apply(args=[run.pk]).get() == TrainingRun.Status.RUNNING
            run.refresh_from_db()
            assert run.tries == 1 and run.worker == worker
            run.delete()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not ModelVersion.objects.exists()


def test_a_silent_run_on_another_machine_is_taken_over_after_the_lease(
    populated: Course, settings: Any
) -> None:
    settings.LEARNPATH_TRAINING_LEASE_SECONDS = 600
    run = _running(populated, "another-machine:4242", age=timedelta(seconds=601))
    assert retrain_course_model.apply(args=[run.pk]).get() == TrainingRun.Status.ACTIVATED
    assert TrainingRun.objects.get(pk=run.pk).tries == 2


def test_a_duplicate_delivery_of_a_finished_run_does_nothing(populated: Course) -> None:
    run, _ = training.open_run(populated, TrainingRun.Trigger.ADMIN)
    assert retrain_course_model.apply(args=[run.pk]).get() == TrainingRun.Status.ACTIVATED
    assert retrain_course_model.apply(args=[run.pk]).get() == TrainingRun.Status.ACTIVATED
    assert TrainingRun.objects.get(pk=run.pk).tries == 1
    assert ModelVersion.objects.count() == 1


def test_a_run_that_loses_its_worker_three_times_fails(populated: Course) -> None:
    run = _running(populated, f"{HERE}:{_dead_pid()}", tries=training.MAX_TRIES)
    assert retrain_course_model.apply(args=[run.pk]).get() == TrainingRun.Status.FAILED
    run.refresh_from_db()
    assert "lost during try 3 of 3" in run.message and run.finished_at is not None
    assert not ModelVersion.objects.exists()


def test_no_run_is_tried_more_than_three_times_over_all_deliveries(populated: Course) -> None:
    run = TrainingRun.objects.create(course=populated, trigger="admin", tries=training.MAX_TRIES,
                                     touched_at=timezone.now(), message="Try 3 failed: boom")
    assert retrain_course_model.apply(args=[run.pk]).get() == TrainingRun.Status.FAILED
    run.refresh_from_db()
    assert run.message == "Tried 3 times; not tried again. Try 3 failed: boom"
    assert not ModelVersion.objects.exists()


def test_a_failure_on_the_last_try_is_final_whatever_the_message_count(
    populated: Course,
) -> None:
    run = _running(populated, leases.new_claim(), tries=training.MAX_TRIES)
    assert training.record_failure(run.pk, RuntimeError("boom"), final=False) is True
    assert TrainingRun.objects.get(pk=run.pk).status == TrainingRun.Status.FAILED
    other = _running(populated, "elsewhere:1:abc", tries=1)
    assert training.record_failure(other.pk, RuntimeError("boom"), final=False) is False
    assert TrainingRun.objects.get(pk=other.pk).status == TrainingRun.Status.RUNNING


def test_a_run_taken_over_after_training_registers_nothing(
    populated: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_train = training._train

    def taken_over_at_the_end(course: Course, data: Any, on_epoch: Any) -> Any:
        result = real_train(course, data, on_epoch)
        TrainingRun.objects.filter(course=course).update(worker="elsewhere:7:abc")
        return result

    monkeypatch.setattr(training, "_train", taken_over_at_the_end)
    monkeypatch.setattr(training, "_touch", lambda run, **fields: None)
    run, _ = training.open_run(populated, TrainingRun.Trigger.ADMIN)
    assert retrain_course_model.apply(args=[run.pk]).get() == "taken over"
    assert not ModelVersion.objects.exists()
    assert TrainingRun.objects.get(pk=run.pk).status == TrainingRun.Status.RUNNING


def test_recovery_queues_again_exactly_the_lost_runs(
    course: Course, queued: list[int], settings: Any
) -> None:
    settings.LEARNPATH_TRAINING_LEASE_SECONDS = 600
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        others = [Course.objects.create(slug=f"c{n}", title=f"C{n}") for n in range(6)]
        dead_here = _running(others[0], f"{HERE}:{_dead_pid()}")
        alive_here = _running(others[1], f"{HERE}:{sleeper.pid}")
        silent_elsewhere = _running(others[2], "elsewhere:1", age=timedelta(minutes=11))
        busy_elsewhere = _running(others[3], "elsewhere:2", age=timedelta(minutes=9))
        lost_message = TrainingRun.objects.create(
            course=others[4], trigger="admin", touched_at=timezone.now() - timedelta(minutes=11))
        waiting = TrainingRun.objects.create(course=others[5], trigger="admin",
                                             touched_at=timezone.now())
        hopeless = _running(course, f"{HERE}:{_dead_pid()}", tries=3)
        recovered = recover_lost_training_runs.apply().get()
        assert recover_lost_training_runs.apply().get() == []  # touched: not lost again at once
    finally:
        sleeper.kill()
        sleeper.wait()
    assert sorted(recovered) == sorted([dead_here.pk, silent_elsewhere.pk, lost_message.pk,
                                        hopeless.pk])
    assert sorted(queued) == sorted([dead_here.pk, silent_elsewhere.pk, lost_message.pk])
    status = dict(TrainingRun.objects.values_list("pk", "status"))
    assert status[dead_here.pk] == status[silent_elsewhere.pk] == TrainingRun.Status.QUEUED
    assert status[alive_here.pk] == status[busy_elsewhere.pk] == TrainingRun.Status.RUNNING
    assert status[waiting.pk] == TrainingRun.Status.QUEUED
    assert status[hopeless.pk] == TrainingRun.Status.FAILED
    assert "its worker was lost" in TrainingRun.objects.get(pk=dead_here.pk).message
    assert "never arrived" in TrainingRun.objects.get(pk=lost_message.pk).message


def test_asking_for_a_run_queues_a_lost_one_again(populated: Course, queued: list[int]) -> None:
    lost = _running(populated, f"{HERE}:{_dead_pid()}")
    run, created = training.open_run(populated, TrainingRun.Trigger.ADMIN)
    assert (run.pk, created) == (lost.pk, False)
    assert queued == [lost.pk]
    assert training.open_run(populated, TrainingRun.Trigger.ADMIN) == (run, False)
    assert queued == [lost.pk]  # queued once, not at every request


def test_asking_for_a_run_after_a_hopeless_one_starts_afresh(
    populated: Course, queued: list[int]
) -> None:
    hopeless = _running(populated, f"{HERE}:{_dead_pid()}", tries=training.MAX_TRIES)
    run, created = training.open_run(populated, TrainingRun.Trigger.ADMIN)
    assert created and run.pk != hopeless.pk and queued == [run.pk]
    assert TrainingRun.objects.get(pk=hopeless.pk).status == TrainingRun.Status.FAILED


def test_a_run_taken_over_mid_training_stops_without_recording(
    populated: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_train = training._train

    def taken_over_during_training(course: Course, data: Any, on_epoch: Any) -> Any:
        def epoch_done(*args: Any) -> None:
            TrainingRun.objects.filter(course=course).update(worker="elsewhere:7")
            on_epoch(*args)

        return real_train(course, data, epoch_done)

    monkeypatch.setattr(training, "_train", taken_over_during_training)
    run, _ = training.open_run(populated, TrainingRun.Trigger.ADMIN)
    assert retrain_course_model.apply(args=[run.pk]).get() == "taken over"
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.RUNNING and run.worker == "elsewhere:7"
    assert not ModelVersion.objects.exists()


def test_each_epoch_is_a_sign_of_life_with_progress(
    populated: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[float, str, Any]] = []
    real_touch = training._touch

    def watched(run: TrainingRun, **fields: Any) -> None:
        real_touch(run, **fields)
        stored = TrainingRun.objects.get(pk=run.pk)
        seen.append((stored.progress, stored.message, stored.touched_at))

    monkeypatch.setattr(training, "_touch", watched)
    run, _ = training.open_run(populated, TrainingRun.Trigger.ADMIN)
    training.run_training(run.pk)
    epochs = [message for _, message, _ in seen if "epoch" in message]
    assert epochs and epochs[0].endswith("epoch 1 of at most 2")
    assert [progress for progress, _, _ in seen] == sorted(progress for progress, _, _ in seen)
    assert [touched for _, _, touched in seen] == sorted(touched for _, _, touched in seen)


def test_recovery_is_scheduled(db: Any) -> None:
    task = PeriodicTask.objects.get(task="courses.tasks.recover_lost_training_runs")
    assert task.enabled and task.interval.every == 5 and task.interval.period == "minutes"
