"""``manage.py export_bank COURSE FILE``: a course's exercises as a Moodle XML question bank
with the images its texts show embedded (``-`` writes to standard output)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.management.lookup import course_or_error
from courses.queries.bank_export import course_as_moodle_xml


class Command(BaseCommand):
    help = "Write a course's exercises as a Moodle XML question bank."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", help="course slug")
        parser.add_argument("path", help="output file, or - for standard output")

    def handle(self, *args: Any, course: str, path: str, **options: Any) -> None:
        data = course_as_moodle_xml(course_or_error(course))
        if path == "-":
            self.stdout.write(data.decode())
            return
        try:
            Path(path).write_bytes(data)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}") from error
        self.stdout.write(f"Wrote {path} ({len(data)} bytes).")
