"""``manage.py judge COURSE EXERCISE FILE``: judges a program file against an exercise's tests
in the sandbox, as a judge worker would, and prints the verdict as JSON (for authors and
operators; nothing is stored). ``-`` reads the program from standard input."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.judging import spec
from courses.management.lookup import course_or_error
from courses.queries.content import course_content
from learnpath.judge import SandboxUnavailable, judge


class Command(BaseCommand):
    help = "Judge a Python file against a code exercise's tests and print the verdict as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", help="course slug")
        parser.add_argument("exercise", help="exercise key")
        parser.add_argument("file", help="the program (.py), or - for standard input")
        parser.add_argument("--examples", action="store_true",
                            help="only the visible example tests, as 'Run examples' does")

    def handle(self, *args: Any, course: str, exercise: str, file: str, examples: bool,
               **options: Any) -> None:
        found = course_content(course_or_error(course)).by_key.get(exercise)
        if found is None:
            raise CommandError(f"Course {course!r} has no exercise {exercise!r}.")
        if not found.is_code:
            raise CommandError(f"{exercise!r} is a {found.kind} exercise, not a program.")
        source = _read(file)
        cases, limits = spec.cases_and_limits(found.code)
        if examples:
            cases = [case for case in cases if case.visible]
        try:
            verdict = judge(source, cases, limits)
        except SandboxUnavailable as error:
            raise CommandError(f"Not judged: the sandbox cannot be set up ({error}).") from error
        self.stdout.write(json.dumps(verdict.to_json(), indent=2, ensure_ascii=False))


def _read(file: str) -> str:
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read {file}: {error.strerror}") from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CommandError(f"{file} is not UTF-8 text.") from error
