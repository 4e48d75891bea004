from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from courses.actions.charts import fit_mastery_params, rebuild_course_charts
from courses.management.lookup import course_or_error


class Command(BaseCommand):
    help = "Fit the mastery estimator (BKT per skill) on a course's attempts, then rebuild charts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--min-observations", type=int, default=50)

    def handle(self, *args: Any, slug: str, min_observations: int, **options: Any) -> None:
        course = course_or_error(slug)
        fitted = fit_mastery_params(course, min_observations=min_observations)
        for key, params in sorted(fitted.items()):
            self.stdout.write(
                f"  {key}: init {params.p_init:.2f} learn {params.p_learn:.2f} "
                f"guess {params.p_guess:.2f} slip {params.p_slip:.2f}"
            )
        total = course.skills.count()
        self.stdout.write(f"Fitted {len(fitted)} of {total} skills (others keep the defaults).")
        learners = rebuild_course_charts(course)
        self.stdout.write(f"Rebuilt {learners} learner chart(s).")
