"""``manage.py import_attempts COURSE FILE``: a CSV log of past attempts into a course, checked
whole first and stored in one transaction (format: :mod:`courses.actions.attempt_log`)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.actions.attempt_log import AttemptLogError, import_attempt_log, read_attempt_log
from courses.management.lookup import course_or_error


class Command(BaseCommand):
    help = "Import a CSV log of past attempts into a course (checked first, all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", help="course slug")
        parser.add_argument("path", type=Path)
        parser.add_argument("--create-learners", action="store_true",
                            help="create accounts (no usable password) for unknown usernames")

    def handle(self, *args: Any, course: str, path: Path, create_learners: bool,
               **options: Any) -> None:
        target = course_or_error(course)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        started = time.monotonic()
        try:
            rows = read_attempt_log(raw, target, create_learners=create_learners)
            summary = import_attempt_log(
                target, rows, create_learners=create_learners,
                progress=lambda done, total: self.stdout.write(f"  {done}/{total} rows"),
            )
        except AttemptLogError as error:
            raise CommandError(
                f"{path} was not imported:\n" + "\n".join(f"  - {p}" for p in error.problems)
            ) from error
        self.stdout.write(
            f"{target.slug}: {summary.imported} attempts of {summary.learners} learners imported,"
            f" {summary.already_stored} already stored, {summary.created_learners} learner "
            f"accounts created ({time.monotonic() - started:.1f} s)"
        )
