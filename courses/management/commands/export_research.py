from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.management.lookup import course_or_error
from courses.ml.research_export import FORMATS, write_research_export


class Command(BaseCommand):
    help = ("Export a course's attempts for research under pseudonyms (a fresh random key each "
            "time), as the attempts CSV or the 3-line format the benchmark reads.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("output", type=Path, help="File to write")
        parser.add_argument("--format", choices=FORMATS, default="csv", dest="data_format")

    def handle(self, *args: Any, slug: str, output: Path, data_format: str,
               **options: Any) -> None:
        course = course_or_error(slug)
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                count = write_research_export(course, data_format, handle)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from error
        self.stdout.write(f"Wrote {count.attempts} attempts of {count.learners} learners "
                          f"to {output}")
