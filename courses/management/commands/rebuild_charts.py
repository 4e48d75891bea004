from __future__ import annotations

from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from courses.actions.charts import rebuild_course_charts
from courses.models import Course


class Command(BaseCommand):
    help = "Rebuild every learner's skill chart of a course from the stored attempts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", nargs="?", help="Course slug (default: all courses)")

    def handle(self, *args: Any, slug: str | None, **options: Any) -> None:
        courses = Course.objects.filter(slug=slug) if slug else Course.objects.all()
        if slug and not courses.exists():
            raise CommandError(f"No course with slug {slug!r}.")
        # The wrapped stream itself (the stubs omit OutputWrapper._out): the wrapper would end
        # each of tqdm's in-place refreshes with a newline.
        stream = cast(TextIO, self.stderr._out)
        for course in courses:
            with tqdm(desc=course.slug, unit="learner", file=stream) as bar:

                def advance(done: int, total: int, bar: tqdm = bar) -> None:
                    bar.total = total
                    bar.update(done - bar.n)

                learners = rebuild_course_charts(course, progress=advance)
            self.stdout.write(f"Rebuilt {learners} learner chart(s) of {course.slug!r}.")
