from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.actions.course_import import CourseDocumentError, import_course, parse_course_json


class Command(BaseCommand):
    help = "Import (create or update) a course from a learnpath-course JSON file, atomically."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        try:
            summary = import_course(parse_course_json(raw))
        except CourseDocumentError as error:
            raise CommandError(
                f"{path} was not imported:\n" + "\n".join(f"  - {p}" for p in error.problems)
            ) from error
        verb = "Created" if summary.created else "Updated"
        self.stdout.write(
            f"{verb} course {summary.course.slug!r}: {summary.skills} skills, "
            f"{summary.exercises} exercises"
            + (f", retired {', '.join(summary.retired)}" if summary.retired else "")
        )
