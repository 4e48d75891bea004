"""Page latency against a running server: each page that shows the learning path, and the answer
POST, as a ratio to a bare Django JSON view measured in the same run; one learner alone, then
many at once.

Start the site first, with the development app installed (it serves the bare view,
``/dev/bare.json``), then run this command with the same ``DATABASE_URL``::

    LEARNPATH_DEV_TOOLS=1 make serve      # gunicorn + PostgreSQL + Redis + Celery workers
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/learnpath \\
        .venv/bin/python manage.py bench_pages --course fractions

Each simulated learner signs in (throwaway accounts ``bench-…``, created and enrolled if
needed) and repeats a round as a person would click through it: the bare view; *Practise*
(the redirect that picks the path's first step); the exercise page; after ``--think-ms`` (the
time to answer) the answer POST; the feedback page at once (the redirect), and its path
fragment asked for as the page's script does until it is ready; after ``--think-ms`` (reading
the feedback) the course page and the learner dashboard. Think times vary by ±50 %. First one
learner for ``--rounds`` rounds, then ``--learners`` learners at once for ``--seconds``.

It prints p50 and p95 per request kind and the p50 as a multiple of the bare view's p50, with
the issue's targets (pages that show the path ≤ 5×, the answer POST ≤ 10×). A path planned
after an answer is planned by a worker while the learner reads the feedback; a page that finds
it not yet planned plans it itself, and that time is in its figures. Unless
``--allow-retraining``, the course's retraining threshold is raised for the run (and put back
afterwards), so that a retraining run on the same machine does not distort the figures.
"""
from __future__ import annotations

import re
import statistics
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.devtools.management.commands.load_test import _FIELD, _Learner, throwaway_learners
from courses.management.lookup import course_or_error
from courses.models import Course

BARE = "bare view"
TARGETS = {"exercise": 5.0, "answer POST": 10.0, "feedback": 5.0, "course": 5.0,
           "dashboard": 5.0}
ORDER = (BARE, "practice", "exercise", "answer POST", "feedback", "path poll", "course",
         "dashboard")
POLL_LIMIT = 40
NO_RETRAINING = 10**9


class _Walker(_Learner):
    """One learner clicking through rounds, in its own thread and HTTP session."""

    def __init__(self, base: str, username: str, slug: str, seed: int, rounds: int,
                 seconds: float, think_ms: float, start: threading.Barrier) -> None:
        super().__init__(base, username, slug, 0.0, seed)
        self.rounds, self.seconds, self.think_ms, self.start_line = rounds, seconds, think_ms, start

    def run(self) -> None:
        try:
            self.sign_in()
        except Exception as error:  # reported with the run's errors
            self.errors.append(f"sign in: {type(error).__name__}: {error}")
            self.rounds = 0
        # Everyone signs in first (a password hash each), then the timed rounds start.
        self.start_line.wait()
        self.deadline = time.monotonic() + self.seconds
        try:
            done = 0
            while done < self.rounds and time.monotonic() < self.deadline:
                self.one_round()
                done += 1
        except Exception as error:  # a broken session is an error of the run, not a crash
            self.errors.append(f"{type(error).__name__}: {error}")

    def think(self) -> None:
        time.sleep(self.think_ms * self.rng.uniform(0.5, 1.5) / 1000)

    def one_round(self) -> None:
        self.request(BARE, "/dev/bare.json")
        _, _, location = self.request("practice", f"/courses/{self.slug}/practice/")
        if not location:
            raise RuntimeError("practice: no exercise to go to")
        _, page, _ = self.request("exercise", location)
        form = self.answer_form(location, page)
        self.think()
        status, _, feedback = self.request("answer POST", location, form)
        if status != 302 or not feedback:
            raise RuntimeError(f"answer POST {location}: {status}")
        self.request("feedback", feedback)
        self.wait_for_path()
        self.think()
        self.request("course", f"/courses/{self.slug}/")
        self.request("dashboard", f"/courses/{self.slug}/dashboard/")

    def answer_form(self, location: str, page: str) -> dict[str, Any]:
        ticket = re.search(_FIELD.format(name="ticket"), page)
        if ticket is None:
            raise RuntimeError(f"exercise {location}: the page has no ticket field")
        form: dict[str, Any] = {"csrfmiddlewaretoken": self.csrf(),
                                "client_id": str(uuid.uuid4()), "ticket": ticket.group(1),
                                "hint_used": "0"}
        choices = re.findall(r'name="choice" value="(\d+)"', page)
        if choices:
            form["choice"] = [self.rng.choice(choices)]
        elif 'inputmode="decimal"' in page:
            form["answer"] = self.rng.choice(["1/2", "0.75", "3", "12", "2 1/4"])
        else:
            form["answer"] = self.rng.choice(["one quarter", "half", "numerator"])
        return form

    def wait_for_path(self) -> None:
        """What the feedback page's script does: ask until the path is ready."""
        for _ in range(POLL_LIMIT):
            status, body, _ = self.request("path poll", f"/courses/{self.slug}/path/")
            if status != 200 or '"ready": true' in body:
                return
            time.sleep(0.3)
        self.errors.append("path poll: never ready")


class Command(BaseCommand):
    help = "Page latency as a multiple of a bare Django JSON view, one learner and many at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--course", default="fractions")
        parser.add_argument("--rounds", type=int, default=40, help="rounds of the lone learner")
        parser.add_argument("--learners", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=60, help="of the concurrent phase")
        parser.add_argument("--think-ms", type=float, default=500.0)
        parser.add_argument("--allow-retraining", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        base = options["url"].rstrip("/")
        host = urllib.parse.urlparse(base).hostname or ""
        if not (host == "localhost" or host.startswith("127.") or host == "::1"):
            raise CommandError("The benchmark only targets this machine (loopback addresses).")
        course = course_or_error(options["course"])
        probe = _Learner(base, "-", course.slug, 0, 0)
        if probe.request(BARE, "/dev/bare.json")[0] != 200:
            raise CommandError(f"{base}/dev/bare.json does not answer: start the server with "
                               "the development app (LEARNPATH_DEV_TOOLS=1).")
        names = throwaway_learners(course, "bench", options["learners"] + 1)
        threshold = course.retrain_after_attempts
        if not options["allow_retraining"]:
            Course.objects.filter(pk=course.pk).update(retrain_after_attempts=NO_RETRAINING)
        try:
            alone = self._phase(base, course.slug, names[:1], options["rounds"], 10.0**6,
                                options["think_ms"])
            self._report("1 learner", alone)
            crowd = self._phase(base, course.slug, names[1:], 10**9, float(options["seconds"]),
                                options["think_ms"])
            self._report(f"{options['learners']} learners at once", crowd)
        finally:
            Course.objects.filter(pk=course.pk).update(retrain_after_attempts=threshold)

    @staticmethod
    def _phase(base: str, slug: str, names: list[str], rounds: int, seconds: float,
               think_ms: float) -> tuple[list[_Walker], float]:
        """Runs the walkers from the moment all have signed in; (walkers, seconds taken)."""
        start = threading.Barrier(len(names) + 1)
        walkers = [_Walker(base, name, slug, seed, rounds, seconds, think_ms, start)
                   for seed, name in enumerate(names)]
        for walker in walkers:
            walker.start()
        start.wait()
        started = time.perf_counter()
        for walker in walkers:
            walker.join()
        return walkers, time.perf_counter() - started

    def _report(self, title: str, phase: tuple[list[_Walker], float]) -> None:
        walkers, seconds = phase
        timings: dict[str, list[float]] = defaultdict(list)
        for walker in walkers:
            for kind, samples in walker.timings.items():
                timings[kind] += samples
        if not timings.get(BARE):
            raise CommandError(f"{title}: no request was timed")
        total = sum(len(samples) for samples in timings.values())
        bare = statistics.median(timings[BARE])
        self.stdout.write(f"\n{title}: {seconds:.0f} s, {total} requests "
                          f"({total / seconds:.1f}/s)")
        self.stdout.write("| request | n | p50 ms | p95 ms | p50 / bare | target |")
        self.stdout.write("|---|---|---|---|---|---|")
        for kind in ORDER:
            ordered = sorted(timings.get(kind, []))
            if not ordered:
                continue
            median = statistics.median(ordered)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            target = TARGETS.get(kind)
            verdict = "" if target is None else (
                f"≤ {target:g}×: {'met' if median <= target * bare else 'missed'}")
            self.stdout.write(f"| {kind} | {len(ordered)} | {median:.1f} | {p95:.1f} | "
                              f"{median / bare:.1f}× | {verdict} |")
        errors = [error for walker in walkers for error in walker.errors]
        self.stdout.write(f"errors: {len(errors)}" + "".join(f"\n  {e}" for e in errors[:10]))
