"""Times the teacher's class dashboard (heatmap and who needs help) for a large class.

Everything happens in a throwaway database: a temporary SQLite file (or, on PostgreSQL, Django's
test database), created and migrated here and dropped at the end; the configured database is
never touched. It holds a course of ``--skills`` skills (a layered prerequisite DAG, one exercise
per skill), a class of ``--learners`` learners with a chart row for every learner and skill and
``--attempts`` stored attempts each, all made with ``bulk_create`` (P(mastery) uniform, evidence
from half an answer to ten, one row in twenty fallen 0.2 below its peak). The page is then served
``--repeat`` times through the real view (access check, service, template) and the command prints
the median and p95 server time, the service's share, and the query count, next to the query
count for a class of two learners in the same course.
"""
from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, connection, connections, reset_queries
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.dashboards.cohort import class_dashboard
from courses.models import (
    Attempt,
    Cohort,
    Course,
    Enrollment,
    Exercise,
    Prerequisite,
    Skill,
    SkillState,
    StudySession,
)
from courses.views.common import AuthenticatedHttpRequest
from courses.views.dashboards import class_dashboard_page
from learnpath import mastery

SKILLS_PER_LEVEL = 5
FALLING_SHARE = 0.05  # chart rows whose mastery dropped from an earlier peak


class Command(BaseCommand):
    help = "Time the class heatmap page for a large class in a throwaway database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learners", type=int, default=500)
        parser.add_argument("--skills", type=int, default=50)
        parser.add_argument("--attempts", type=int, default=20, help="Attempts per learner")
        parser.add_argument("--repeat", type=int, default=20)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        database = connections[DEFAULT_DB_ALIAS]
        folder = Path(tempfile.mkdtemp(prefix="bench-heatmap-"))
        if database.vendor == "sqlite":
            database.settings_dict["TEST"]["NAME"] = str(folder / "bench.sqlite3")
        self.stdout.write("Creating a throwaway database ...")
        old_name = database.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False
        )
        try:
            self._run(random.Random(options["seed"]), **options)
        finally:
            database.creation.destroy_test_db(old_name, verbosity=0)
            shutil.rmtree(folder, ignore_errors=True)

    def _run(self, rng: random.Random, *, learners: int, skills: int, attempts: int,
             repeat: int, **_: Any) -> None:
        started = time.perf_counter()
        course, skill_rows, exercises = _course(skills, rng)
        teacher = get_user_model().objects.create_user("bench-teacher")
        people = _learners(course, learners)
        big = _cohort("Big class", course, teacher, people)
        small = _cohort("Small class", course, teacher, people[:2])
        _charts(course, people, skill_rows, rng)
        _attempts(course, people, exercises, attempts, rng)
        self.stdout.write(
            f"{learners} learners × {skills} skills: {SkillState.objects.count()} chart rows, "
            f"{Attempt.objects.count()} attempts (setup {time.perf_counter() - started:.1f} s)"
        )
        page_ms, queries, size = _time_page(big, teacher, repeat)
        service_ms = _time_service(big, repeat)
        small_queries = _time_page(small, teacher, 1)[1]
        self.stdout.write(
            f"class dashboard page, {repeat} runs: median {statistics.median(page_ms):.0f} ms, "
            f"p95 {_p95(page_ms):.0f} ms (service alone: median "
            f"{statistics.median(service_ms):.0f} ms); {queries} queries "
            f"(class of 2: {small_queries}); page {size / 1024:.0f} KiB"
        )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _course(count: int, rng: random.Random) -> tuple[Course, list[Skill], list[Exercise]]:
    course = Course.objects.create(slug="bench", title="Benchmark course")
    skills = Skill.objects.bulk_create(
        Skill(course=course, key=f"skill-{n:03d}", name=f"Skill {n:03d}",
              area=f"Area {n % 4 + 1}")
        for n in range(count)
    )
    links = []
    for n, skill in enumerate(skills[SKILLS_PER_LEVEL:], start=SKILLS_PER_LEVEL):
        level_start = (n // SKILLS_PER_LEVEL - 1) * SKILLS_PER_LEVEL
        earlier = skills[level_start:level_start + SKILLS_PER_LEVEL]
        links += [Prerequisite(skill=skill, prerequisite=p) for p in rng.sample(earlier, 2)]
    Prerequisite.objects.bulk_create(links)
    exercises = Exercise.objects.bulk_create(
        Exercise(course=course, key=f"ex-{skill.key}", prompt="1 + 1 = ?", kind="numeric",
                 numeric_answer=2.0)
        for skill in skills
    )
    Exercise.skills.through.objects.bulk_create(
        Exercise.skills.through(exercise=exercise, skill=skill)
        for exercise, skill in zip(exercises, skills, strict=True)
    )
    return course, skills, exercises


def _learners(course: Course, count: int) -> list[User]:
    unusable = make_password(None)
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"learner-{n:04d}", password=unusable) for n in range(count)
    )
    Enrollment.objects.bulk_create(Enrollment(learner=user, course=course) for user in users)
    return users


def _cohort(name: str, course: Course, teacher: User, people: list[User]) -> Cohort:
    cohort = Cohort.objects.create(name=name, course=course, teacher=teacher)
    Cohort.learners.through.objects.bulk_create(
        Cohort.learners.through(cohort=cohort, user=user) for user in people
    )
    return cohort


def _charts(course: Course, people: list[User], skills: list[Skill],
            rng: random.Random) -> None:
    now = timezone.now()
    rows = []
    for user in people:
        for skill in skills:
            p, evidence = rng.random(), rng.choice([0.5, 1.0, 3.0, 6.0, 10.0])
            fell = rng.random() < FALLING_SHARE
            rows.append(SkillState(
                learner=user, course=course, skill=skill, p_mastery=p, evidence=evidence,
                attempts=int(evidence), correct=round(evidence * p),
                last_attempt_at=now - timedelta(days=rng.randint(0, 20)),
                peak_p_mastery=min(1.0, p + 0.2) if fell else p,
                level=mastery.mastery_level(p, evidence).value,
            ))
    SkillState.objects.bulk_create(rows, batch_size=2000)


def _attempts(course: Course, people: list[User], exercises: list[Exercise],
              per_learner: int, rng: random.Random) -> None:
    now = timezone.now()
    sessions = StudySession.objects.bulk_create(
        StudySession(learner=user, course=course, number=1, started_at=now - timedelta(days=14),
                     last_activity_at=now, attempt_count=per_learner)
        for user in people
    )
    rows = []
    for user, session in zip(people, sessions, strict=True):
        for _ in range(per_learner):
            submitted = now - timedelta(minutes=rng.randint(1, 20 * 24 * 60))
            rows.append(Attempt(
                learner=user, course=course, exercise=rng.choice(exercises), session=session,
                answer="2", correct=rng.random() < 0.7,
                started_at=submitted - timedelta(seconds=30), submitted_at=submitted,
            ))
    Attempt.objects.bulk_create(rows, batch_size=2000)


def _time_page(cohort: Cohort, teacher: User, repeat: int
               ) -> tuple[list[float], int, int]:
    # Signed in as the teacher, as @login_required would have ensured.
    request = cast(
        AuthenticatedHttpRequest, RequestFactory().get(reverse("class_dashboard", args=[cohort.pk]))
    )
    request.user = teacher
    reset_queries()  # the log keeps 9000 entries; a full one would make the count read 0
    with CaptureQueriesContext(connection) as queries:
        response = class_dashboard_page(request, cohort_id=cohort.pk)
    if response.status_code != 200:
        raise RuntimeError(f"the page answered {response.status_code}")
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        class_dashboard_page(request, cohort_id=cohort.pk)
        timings.append(1000 * (time.perf_counter() - start))
    return timings, len(queries), len(response.content)


def _time_service(cohort: Cohort, repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        class_dashboard(cohort)
        timings.append(1000 * (time.perf_counter() - start))
    return timings
