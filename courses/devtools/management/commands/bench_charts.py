"""Benchmark of the skill charts: the chart update's cost next to a bare attempt insert, and
reading a 500 learners × 50 skills class chart. Everything runs in one transaction that is
rolled back, so the database is left as it was. Figures are printed, nothing is asserted."""
from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.actions.attempts import record_attempt
from courses.actions.charts import apply_attempt_to_chart
from courses.actions.course_import import import_course
from courses.actions.enrolment import enrol
from courses.devtools.benchdata import Rollback, percentiles, synthetic_course_document, timed
from courses.models import Attempt, Cohort, Exercise, SkillState, StudySession
from courses.queries.charts import class_grid


class Command(BaseCommand):
    help = "Benchmark chart updates and a 500 × 50 class chart (rolled back afterwards)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--attempts", type=int, default=300)
        parser.add_argument("--learners", type=int, default=500)
        parser.add_argument("--skills", type=int, default=50)
        parser.add_argument("--repeat", type=int, default=10)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"database: {connection.vendor}")
        try:
            with transaction.atomic():
                self._attempt_costs(options["attempts"])
                self._class_chart(options["learners"], options["skills"], options["repeat"])
                raise Rollback
        except Rollback:
            self.stdout.write("(all benchmark data rolled back)")

    def _attempt_costs(self, count: int) -> None:
        course = import_course(synthetic_course_document(20, 5)).course
        exercises = list(Exercise.objects.filter(course=course).prefetch_related("skills"))
        users = get_user_model().objects
        bare_learner = users.create_user("bench-bare")
        full_learner = users.create_user("bench-full")
        enrol(bare_learner, course)
        enrol(full_learner, course)
        now = timezone.now()
        session = StudySession.objects.create(
            learner=bare_learner, course=course, number=1, started_at=now, last_activity_at=now
        )
        picks = [exercises[n % len(exercises)] for n in range(count)]

        def bare() -> None:
            for exercise in picks:
                Attempt.objects.create(
                    learner=bare_learner, course=course, exercise=exercise, session=session,
                    client_id=uuid.uuid4(), answer=str(exercise.numeric_answer), correct=True,
                    started_at=now, submitted_at=now,
                )

        def full() -> None:
            for n, exercise in enumerate(picks):
                record_attempt(
                    learner=full_learner, exercise=exercise, client_id=uuid.uuid4(),
                    given=f"{exercise.numeric_answer if n % 3 else -1:g}",
                )

        stored = list(Attempt.objects.none())

        def chart_only() -> None:
            for attempt in stored:
                apply_attempt_to_chart(attempt)

        bare_ms = timed(bare, 1)[0] / count
        full_ms = timed(full, 1)[0] / count
        stored = list(
            Attempt.objects.filter(learner=full_learner).select_related("exercise")[:count]
        )
        chart_ms = timed(chart_only, 1)[0] / count
        self.stdout.write(
            f"attempts: {count}\n"
            f"  bare attempt insert            {bare_ms:7.3f} ms/attempt\n"
            f"  chart update alone             {chart_ms:7.3f} ms/attempt "
            f"({chart_ms / bare_ms:.1f}× the bare insert)\n"
            f"  record_attempt (all included)  {full_ms:7.3f} ms/attempt "
            f"({full_ms / bare_ms:.1f}× the bare insert)"
        )
        with CaptureQueriesContext(connection) as queries:
            chart_only_one = stored[:1]
            for attempt in chart_only_one:
                apply_attempt_to_chart(attempt)
        self.stdout.write(f"  queries per chart update: {len(queries)}")

    def _class_chart(self, learners: int, skills: int, repeat: int) -> None:
        course = import_course(synthetic_course_document(skills, 2)).course
        course.slug = "bench-class"
        course.save(update_fields=["slug"])
        teacher = get_user_model().objects.create_user("bench-teacher")
        cohort = Cohort.objects.create(name="bench", course=course, teacher=teacher)
        users = get_user_model().objects.bulk_create(
            get_user_model()(username=f"bench-l{n:04d}") for n in range(learners)
        )
        cohort.learners.add(*users)
        skill_rows = list(course.skills.all())
        SkillState.objects.bulk_create(
            (
                SkillState(
                    learner=user, course=course, skill=skill, p_mastery=((u + s) % 20) / 20,
                    evidence=float((u * s) % 7), attempts=(u * s) % 7, correct=0,
                    peak_p_mastery=0.9, level="familiar",
                )
                for u, user in enumerate(users)
                for s, skill in enumerate(skill_rows)
            ),
            batch_size=2000,
        )
        with CaptureQueriesContext(connection) as queries:
            chart = class_grid(cohort)
        samples = timed(lambda: class_grid(cohort), repeat)
        self.stdout.write(
            f"class chart {len(chart.rows)} learners × {len(chart.skills)} skills: "
            f"{len(queries)} queries, {percentiles(samples)}"
        )
