from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from courses.management.lookup import course_or_error
from courses.queries.course_export import export_course


class Command(BaseCommand):
    help = "Export a course (skills, prerequisites, exercises) as one JSON document."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("-o", "--output", type=Path, help="File to write (default: stdout)")

    def handle(self, *args: Any, slug: str, output: Path | None, **options: Any) -> None:
        course = course_or_error(slug)
        text = json.dumps(export_course(course), indent=2, ensure_ascii=False)
        if output is None:
            self.stdout.write(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"Wrote {output}")
