"""Judge throughput and latency on this machine: a burst of programs submitted at once, judged
by real Celery judge workers (``-Q judge``) in the real sandbox.

    python manage.py bench_judge --submissions 200

What it prints, all measured in the same run:

- the baseline: the same programs judged one after another in this process, straight through
  the sandbox (no database, no broker) — what one core can do at best;
- the burst: every program stored as a pending submission as fast as the service takes them
  (as learners pressing "Submit" would), then judged by the workers; judged submissions per
  second (first submit to last verdict), and the submit-to-verdict latency (p50, p95, max);
- the ratio of the burst's throughput to the baseline's (above 1 when the workers' processes
  use more than one core).

The programs are the demo Python course's reference solutions (accepted) and starter programs
(most are wrong answers), alternating, so the judge does the usual mix of work. The bench
course and its learners are throwaway (``bench-judge``) and removed at the end. Run it on a
quiet machine; the workers it starts use ``--concurrency`` processes each. With
``--use-running`` it starts none and relies on judge workers already running (``make demo``'s,
or those of another machine).
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, transaction

from courses import jobs
from courses.actions.course_import import import_course
from courses.devtools.management.commands.load_test import throwaway_learners
from courses.judging import service, spec
from courses.judging.models import Submission
from courses.models import Attempt, Course, Exercise, StudySession
from courses.queries.content import ExerciseContent, course_content
from learnpath.judge import judge

SLUG = "bench-judge"
DEMO_COURSE = Path(settings.BASE_DIR) / "courses" / "demo" / "python_course.json"


def _programs(exercises: list[ExerciseContent], count: int) -> list[tuple[ExerciseContent, str]]:
    """``count`` (exercise, program) pairs: reference and starter programs in turn."""
    pairs: list[tuple[ExerciseContent, str]] = []
    for n in range(count):
        exercise = exercises[(n // 2) % len(exercises)]
        pairs.append((exercise, exercise.code["reference" if n % 2 == 0 else "starter"]))
    return pairs


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class _Workers:
    """Judge workers of this run, each a process group of its own (stopped together)."""

    def __init__(self, count: int, concurrency: int, log: Path) -> None:
        log.parent.mkdir(parents=True, exist_ok=True)
        self.log = log.open("ab")
        self.processes = [subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "learnpath.site", "worker", "-l", "info",
             "-Q", jobs.JUDGE_QUEUE, "--concurrency", str(concurrency),
             "-n", f"bench-judge-{n}-{time.monotonic_ns()}@%h",
             "--without-mingle", "--without-gossip"],
            cwd=settings.BASE_DIR, env=os.environ.copy(), stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        ) for n in range(count)]

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)
        self.log.close()


class Command(BaseCommand):
    help = "Judged submissions per second and submit-to-verdict latency for a burst of programs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--submissions", type=int, default=200)
        parser.add_argument("--baseline", type=int, default=40,
                            help="programs judged one by one in this process, for the baseline")
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
        parser.add_argument("--use-running", action="store_true",
                            help="start no worker: judge workers are already running")
        parser.add_argument("--timeout", type=float, default=600.0,
                            help="seconds to wait for the burst's verdicts")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["submissions"] < 1 or options["baseline"] < 1:
            raise CommandError("--submissions and --baseline must be at least 1.")
        self._remove()  # what an earlier run left behind
        document = json.loads(DEMO_COURSE.read_text())
        document["course"].update(slug=SLUG, title="Judge benchmark (throwaway)")
        course = import_course(document).course
        workers: _Workers | None = None
        try:
            exercises = [item for item in course_content(course).by_key.values() if item.is_code]
            figures: dict[str, Any] = {"baseline": self._baseline(
                _programs(exercises, options["baseline"]))}
            if not options["use_running"]:
                log = Path(settings.DATA_DIR) / "bench-judge-workers.log"
                workers = _Workers(options["workers"], options["concurrency"], log)
                self.stderr.write(f"Judge workers started (log: {log}); warming up …")
            self._burst(course, _programs(exercises, 4), "warmup", options["timeout"])
            figures["burst"] = self._burst(course, _programs(exercises, options["submissions"]),
                                           "burst", options["timeout"])
        finally:
            if workers is not None:
                workers.stop()
        self._remove()
        figures["workers"] = ("already running" if options["use_running"] else
                              f"{options['workers']} × concurrency {options['concurrency']}")
        figures["cpus"] = os.cpu_count()
        figures["ratio"] = round(figures["burst"]["per_second"]
                                 / figures["baseline"]["per_second"], 2)
        self._print(figures, as_json=options["json"])

    def _baseline(self, programs: list[tuple[ExerciseContent, str]]) -> dict[str, Any]:
        seconds: list[float] = []
        for exercise, source in programs:
            cases, limits = spec.cases_and_limits(exercise.code)
            started = time.perf_counter()
            judge(source, cases, limits)
            seconds.append(time.perf_counter() - started)
        return {"programs": len(programs), "per_second": round(len(seconds) / sum(seconds), 2),
                "p50_ms": round(statistics.median(seconds) * 1000, 1)}

    def _burst(self, course: Course, programs: list[tuple[ExerciseContent, str]], prefix: str,
               timeout: float) -> dict[str, Any]:
        names = throwaway_learners(course, f"{SLUG}-{prefix}", min(len(programs), 50))
        learners = list(get_user_model().objects.filter(username__in=names).order_by("username"))
        ids = []
        for n, (exercise, source) in enumerate(programs):
            submission, _ = service.submit_program(
                learner=learners[n % len(learners)], course=course, exercise=exercise,
                source=source, client_id=uuid.uuid4())
            ids.append(submission.pk)
        deadline = time.monotonic() + timeout
        waiting = len(ids)
        while time.monotonic() < deadline:
            close_old_connections()
            waiting = Submission.objects.filter(pk__in=ids).exclude(
                status=Submission.Status.JUDGED).count()
            if not waiting:
                break
            time.sleep(0.2)
        if waiting:
            raise CommandError(f"{waiting} of {len(ids)} programs were not judged within "
                               f"{timeout:.0f} s: are judge workers running on this broker?")
        rows = [(submitted, judged, outcome) for submitted, judged, outcome in
                Submission.objects.filter(pk__in=ids).values_list(
                    "submitted_at", "judged_at", "outcome") if judged is not None]
        latencies = [(judged - submitted).total_seconds() for submitted, judged, _ in rows]
        span = (max(judged for _, judged, _ in rows)
                - min(submitted for submitted, _, _ in rows)).total_seconds()
        outcomes: dict[str, int] = {}
        for *_, outcome in rows:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return {"programs": len(rows), "seconds": round(span, 2),
                "per_second": round(len(rows) / span, 2),
                "p50_s": round(_percentile(latencies, 0.5), 2),
                "p95_s": round(_percentile(latencies, 0.95), 2),
                "max_s": round(max(latencies), 2), "outcomes": outcomes}

    def _remove(self) -> None:
        """The bench course and learners, with all they gathered (left after a failed run,
        for a look, and removed by the next)."""
        close_old_connections()
        course = Course.objects.filter(slug=SLUG).first()
        if course is not None:
            with transaction.atomic():
                Submission.objects.filter(course=course).delete()
                Attempt.objects.filter(course=course).delete()
                StudySession.objects.filter(course=course).delete()
                Exercise.objects.filter(course=course).delete()
                course.delete()
        get_user_model().objects.filter(username__startswith=f"{SLUG}-").delete()

    def _print(self, figures: dict[str, Any], *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(figures, indent=2))
            return
        base, burst = figures["baseline"], figures["burst"]
        self.stdout.write(
            f"Machine: {figures['cpus']} CPUs; judge workers: {figures['workers']}\n"
            f"Baseline (one by one in this process, sandbox only): {base['per_second']} "
            f"programs/s over {base['programs']} (p50 {base['p50_ms']} ms each)\n"
            f"Burst of {burst['programs']} submitted at once: judged in {burst['seconds']} s, "
            f"{burst['per_second']} submissions/s ({figures['ratio']}× the baseline)\n"
            f"Submit to verdict: p50 {burst['p50_s']} s, p95 {burst['p95_s']} s, "
            f"max {burst['max_s']} s\n"
            f"Verdicts: {', '.join(f'{k} {v}' for k, v in sorted(burst['outcomes'].items()))}")
