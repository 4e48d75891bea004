from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from courses.models import Course
from courses.services.charts import rebuild_course_charts


class Command(BaseCommand):
    help = "Rebuild every learner's skill chart of a course from the stored attempts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?", help="Course slug (default: all courses)")

    def handle(self, *args: Any, slug: str | None, **options: Any) -> None:
        courses = Course.objects.filter(slug=slug) if slug else Course.objects.all()
        if slug and not courses.exists():
            raise CommandError(f"No course with slug {slug!r}.")
        for course in courses:
            with tqdm(desc=course.slug, unit="learner", file=self.stderr._out) as bar:

                def advance(done: int, total: int, bar: tqdm = bar) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                learners = rebuild_course_charts(course, progress=advance)
            self.stdout.write(f"Rebuilt {learners} learner chart(s) of {course.slug!r}.")
