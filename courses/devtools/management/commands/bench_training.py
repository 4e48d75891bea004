"""Benchmark of retraining: time and peak memory of a full training run (read the attempts,
train, register, precompute every learner's state) on N simulated attempts.

Each size runs in a child process with its own temporary SQLite database and model folder, so
its peak resident memory is its own. Figures are printed, nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.test.utils import override_settings

from courses.actions.course_import import import_course
from courses.devtools.benchdata import bulk_simulated_history, synthetic_course_document
from courses.ml.training import open_run, run_training
from courses.models import TrainingRun

ATTEMPTS_PER_LEARNER = 200


class Command(BaseCommand):
    help = "Retraining time and peak memory on 100 000 and 1 000 000 simulated attempts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="100000,1000000")
        parser.add_argument("--epochs", type=int, default=settings.LEARNPATH_TRAINING["epochs"])
        parser.add_argument("--one", type=int, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["one"]:
            self.stdout.write(json.dumps(self._measure(options["one"], options["epochs"])))
            return
        for size in (int(value) for value in options["sizes"].split(",")):
            self.stdout.write(self._child(size, options["epochs"]))

    def _child(self, size: int, epochs: int) -> str:
        with tempfile.TemporaryDirectory() as folder:
            env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                   "LEARNPATH_DATA_DIR": folder, "CELERY_BROKER_URL": "memory://"}
            done = subprocess.run(
                [sys.executable, "manage.py", "bench_training", "--one", str(size),
                 "--epochs", str(epochs)],
                cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=False,
            )
        if done.returncode != 0:
            return f"{size} attempts: failed\n{done.stderr[-2000:]}"
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        return (
            f"{figures['attempts']:>9,} attempts ({figures['learners']} learners): "
            f"read+train+register {figures['run_seconds']:.0f} s "
            f"(training {figures['train_seconds']:.0f} s, {figures['epochs_run']} epochs), "
            f"status {figures['status']}, validation AUC {figures['valid_auc']:.3f}, "
            f"peak memory {figures['peak_mib']:.0f} MiB (set-up {figures['setup_seconds']:.0f} s)"
        )

    def _measure(self, size: int, epochs: int) -> dict[str, Any]:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        course = import_course(synthetic_course_document(50, 20, "bench-training")).course
        attempts = bulk_simulated_history(
            course, max(1, size // ATTEMPTS_PER_LEARNER), ATTEMPTS_PER_LEARNER, seed=5
        )
        setup = time.perf_counter() - started
        training = {**settings.LEARNPATH_TRAINING, "epochs": epochs}
        with override_settings(LEARNPATH_TRAINING=training):
            opened, _ = open_run(course, TrainingRun.Trigger.ADMIN)
            started = time.perf_counter()
            run = run_training(opened.pk)
            seconds = time.perf_counter() - started
        if run is None:  # the run was deleted (with its course) while it trained
            raise TrainingRun.DoesNotExist(f"Training run {opened.pk} no longer exists.")
        version = run.model_version
        metrics = version.metrics if version else {}
        return {
            "attempts": attempts,
            "learners": max(1, size // ATTEMPTS_PER_LEARNER),
            "setup_seconds": setup,
            "run_seconds": seconds,
            "train_seconds": metrics.get("train_seconds", 0.0),
            "epochs_run": metrics.get("epochs_run", 0),
            "valid_auc": metrics.get("valid_auc") or 0.0,
            "status": run.status,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
