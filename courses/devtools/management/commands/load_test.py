"""Load test: simulated learners practising at once against a running server, for a bounded time.

Start the site first (``make serve`` for gunicorn + PostgreSQL + Redis), then run this command
with the same ``DATABASE_URL``: it creates (or reuses) the load-test learners, and each one, in
its own thread and HTTP session on loopback, signs in and repeats: open the next exercise of its
path, submit an answer (one in ten submissions is sent twice, like a double click), open the
course page with its path. It prints throughput, p50/p95/p99 latency per request kind and the
errors, then checks in the database that every acknowledged attempt is stored exactly once.
"""
from __future__ import annotations

import http.cookiejar
import random
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.actions.enrolment import enrol
from courses.management.lookup import course_or_error
from courses.models import Attempt, Course

PASSWORD = "load-test-password"  # noqa: S105 - throwaway accounts on a test server
_FIELD = r'name="{name}" value="([^"]*)"'


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Learner(threading.Thread):
    def __init__(self, base: str, username: str, slug: str, deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.username, self.slug, self.deadline = base, username, slug, deadline
        self.rng = random.Random(seed)
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect
        )
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.acknowledged: set[str] = set()

    def request(
        self, kind: str, path: str, data: dict[str, Any] | None = None
    ) -> tuple[int, str, str]:
        """(status, body, redirect target); the time taken is recorded under ``kind``."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                status, text, location = response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
            location = error.headers.get("Location", "")
        self.timings[kind].append((time.perf_counter() - started) * 1000)
        if status >= 500 or status == 0:
            self.errors.append(f"{kind} {path}: {status}")
        return status, text, location

    def csrf(self) -> str:
        token = next(c.value for c in self.cookies if c.name == "csrftoken")
        if token is None:
            raise RuntimeError("the csrftoken cookie has no value")
        return token

    def run(self) -> None:
        try:
            self.sign_in()
            while time.monotonic() < self.deadline:
                self.practise_once()
        except Exception as error:  # a broken session is an error of the run, not a crash
            self.errors.append(f"{type(error).__name__}: {error}")

    def sign_in(self) -> None:
        self.request("login", "/accounts/login/")
        status, _, _ = self.request("login", "/accounts/login/", {
            "username": self.username, "password": PASSWORD,
            "csrfmiddlewaretoken": self.csrf(),
        })
        if status != 302:
            raise RuntimeError(f"{self.username} could not sign in ({status})")

    def practise_once(self) -> None:
        _, _, location = self.request("practice", f"/courses/{self.slug}/practice/")
        if not location:
            self.errors.append("practice: no exercise to go to")
            return
        _, page, _ = self.request("exercise", location)
        ticket = re.search(_FIELD.format(name="ticket"), page)
        if ticket is None:
            raise RuntimeError(f"exercise {location}: the page has no ticket field")
        form = {
            "csrfmiddlewaretoken": self.csrf(),
            "client_id": str(uuid.uuid4()),
            "ticket": ticket.group(1),
            "hint_used": "0",
        }
        choices = re.findall(r'name="choice" value="(\d+)"', page)
        if choices:
            form["choice"] = [self.rng.choice(choices)]
        else:
            form["answer"] = self.rng.choice(["1/2", "0.75", "3", "one quarter", "12"])
        for _ in range(2 if self.rng.random() < 0.1 else 1):
            status, _, _ = self.request("submit", location, form)
            if status == 302:
                self.acknowledged.add(form["client_id"])
        self.request("path", f"/courses/{self.slug}/")


def throwaway_learners(course: Course, prefix: str, count: int) -> list[str]:
    """Usernames of ``count`` throwaway learners enrolled in the course (created if needed)."""
    names = [f"{prefix}-{n:03d}" for n in range(count)]
    for name in names:
        user, _ = get_user_model().objects.get_or_create(username=name)
        user.set_password(PASSWORD)
        user.save()
        enrol(user, course)
    return names


class Command(BaseCommand):
    help = "Simulated learners practising at once against a running server (loopback only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--course", default="fractions")
        parser.add_argument("--learners", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=60)

    def handle(self, *args: Any, **options: Any) -> None:
        host = urllib.parse.urlparse(options["url"]).hostname or ""
        if not (host == "localhost" or host.startswith("127.") or host == "::1"):
            raise CommandError("The load test only targets this machine (loopback addresses).")
        course = course_or_error(options["course"])
        names = throwaway_learners(course, "load", options["learners"])
        deadline = time.monotonic() + options["seconds"]
        learners = [_Learner(options["url"], name, course.slug, deadline, seed)
                    for seed, name in enumerate(names)]
        started = time.perf_counter()
        for learner in learners:
            learner.start()
        for learner in learners:
            learner.join(options["seconds"] + 120)
        self._report(learners, time.perf_counter() - started)

    def _report(self, learners: list[_Learner], seconds: float) -> None:
        timings: dict[str, list[float]] = defaultdict(list)
        for learner in learners:
            for kind, samples in learner.timings.items():
                timings[kind] += samples
        total = sum(len(samples) for samples in timings.values())
        self.stdout.write(f"{len(learners)} learners, {seconds:.0f} s: {total} requests, "
                          f"{total / seconds:.1f} requests/s")
        for kind, samples in sorted(timings.items()):
            ordered = sorted(samples)
            pick = [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (.95, .99)]
            median = statistics.median(ordered)
            self.stdout.write(f"  {kind:9s} {len(ordered):6d}  p50 {median:7.1f} ms  "
                              f"p95 {pick[0]:7.1f} ms  p99 {pick[1]:7.1f} ms")
        errors = [error for learner in learners for error in learner.errors]
        self.stdout.write(f"errors: {len(errors)}" + "".join(f"\n  {e}" for e in errors[:10]))
        acknowledged = {cid for learner in learners for cid in learner.acknowledged}
        stored = Attempt.objects.filter(client_id__in=acknowledged).count()
        self.stdout.write(
            f"acknowledged attempts: {len(acknowledged)}; stored: {stored} "
            f"({'every one exactly once' if stored == len(acknowledged) else 'MISMATCH'})"
        )
