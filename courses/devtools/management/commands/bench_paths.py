"""Benchmark of path recommendation: a course of 1 000 exercises and a learner with 1 000
attempts, p50/p95 latency of ``recommend_path`` with the learner's cached recurrent state and
without it (the state dropped before each request, so the history is re-run), in one run.

Runs in one transaction that is rolled back; the model artifact goes to a temporary folder.
Figures are printed, nothing is asserted.
"""
from __future__ import annotations

import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, reset_queries, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from courses.actions.charts import rebuild_course_charts
from courses.actions.course_import import import_course
from courses.devtools.benchdata import (
    Rollback,
    bulk_simulated_history,
    percentiles,
    synthetic_course_document,
    timed,
)
from courses.ml.training import open_run, run_training
from courses.models import Course, LearnerModelState, TrainingRun
from courses.recommend.paths import LSTM, recommend_path


class Command(BaseCommand):
    help = "Latency of path recommendation with and without the cached learner state."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--exercises", type=int, default=1000)
        parser.add_argument("--history", type=int, default=1000)
        parser.add_argument("--requests", type=int, default=40)
        parser.add_argument("--profile", action="store_true",
                            help="Also print a profile of one cached request")

    def handle(self, *args: Any, **options: Any) -> None:
        with tempfile.TemporaryDirectory() as folder, override_settings(
            LEARNPATH_MODEL_DIR=Path(folder),
            LEARNPATH_TRAINING={"epochs": 1, "seed": 0, "device": "cpu"},
        ):
            try:
                with transaction.atomic():
                    self._run(options)
                    raise Rollback
            except Rollback:
                # The registry's model cache needs no reset: it is keyed by artifact checksum.
                self.stdout.write("(benchmark data rolled back)")

    def _run(self, options: dict[str, Any]) -> None:
        skills = 50
        course = import_course(
            synthetic_course_document(skills, options["exercises"] // skills, "bench-paths")
        ).course
        started = time.perf_counter()
        bulk_simulated_history(course, 1, options["history"], seed=1, prefix="bench-learner")
        bulk_simulated_history(course, 20, 200, seed=2, prefix="bench-peer")
        rebuild_course_charts(course)
        self._train(course)
        learner = course.enrollments.select_related("learner").get(
            learner__username="bench-learner-000000"
        ).learner
        self.stdout.write(
            f"course: {course.exercises.count()} exercises, {skills} skills; learner history: "
            f"{learner.attempts.count()} attempts (set-up {time.perf_counter() - started:.0f} s)"
        )
        first = recommend_path(learner, course)
        assert first.source == LSTM, first.note
        cached = timed(lambda: recommend_path(learner, course), options["requests"])

        def without_state() -> None:
            LearnerModelState.objects.filter(learner=learner, course=course).delete()
            recommend_path(learner, course)

        rerun = timed(without_state, max(5, options["requests"] // 4))
        reset_queries()  # the query log is capped; start the count from an empty one
        with CaptureQueriesContext(connection) as queries:
            recommend_path(learner, course)
        self.stdout.write(
            f"recommend_path, cached state:        {percentiles(cached)}  "
            f"({len(queries)} queries)\n"
            f"recommend_path, history re-run:      {percentiles(rerun)}\n"
            f"path: {[item.exercise_key for item in first.items]}"
        )
        if options["profile"]:
            profile = cProfile.Profile()
            profile.runcall(recommend_path, learner, course)
            report = io.StringIO()
            pstats.Stats(profile, stream=report).sort_stats("cumulative").print_stats(25)
            self.stdout.write(report.getvalue())

    def _train(self, course: Course) -> None:
        opened, _ = open_run(course, TrainingRun.Trigger.ADMIN)
        run = run_training(opened.pk)
        if run is None:  # the run was deleted (with its course) while it trained
            raise TrainingRun.DoesNotExist(f"Training run {opened.pk} no longer exists.")
        if run.status != TrainingRun.Status.ACTIVATED:
            raise RuntimeError(f"benchmark model not activated: {run.message}")
