"""``manage.py import_bank COURSE FILE``: a Moodle XML or GIFT question bank into a course's
exercises. Without ``--confirm`` it is a dry run: it prints what would be created, updated or
left as it is, the images it would store, and every question it would leave out, with its
line; nothing is written. A file from which not one question can be read is an error."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from courses.actions.bank_images import STORE
from courses.actions.bank_import import (
    FORMATS,
    UnreadableBank,
    import_bank,
    parse_bank,
    parse_mapping,
    read_bank_plan,
    read_format,
)
from courses.errors import ServiceError
from courses.management.lookup import course_or_error


class Command(BaseCommand):
    help = "Import a Moodle XML or GIFT question bank (a dry run unless --confirm)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", help="course slug")
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=sorted(FORMATS), default=None,
                            help="default: from the file's content and name")
        parser.add_argument("--mapping", type=Path, default=None, help='JSON file: category '
                            'path or "tag:name" -> skill key')
        parser.add_argument("--default-skill", default="", help="skill key for questions "
                            "nothing else maps")
        parser.add_argument("--confirm", action="store_true", help="write (after a dry run)")

    def handle(self, *args: Any, course: str, path: Path, format: str | None,
               mapping: Path | None, default_skill: str, confirm: bool, **options: Any) -> None:
        target = course_or_error(course)
        try:
            raw = path.read_bytes()
            mapped = parse_mapping(mapping.read_text()) if mapping else {}
        except OSError as error:
            raise CommandError(f"Cannot read {error.filename}: {error.strerror}") from error
        except ServiceError as error:
            raise CommandError(error.message) from error
        started = time.monotonic()
        try:
            bank = parse_bank(raw, format or read_format(path.name, raw))
            plan = read_bank_plan(target, bank, mapped, default_skill)
        except UnreadableBank as error:
            raise CommandError("\n  - ".join([f"{path}: {error.message} Nothing was written.",
                                                *map(str, error.problems)])) from error
        except ServiceError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"{path}: {len(bank.questions)} question(s) read; would create "
                          f"{plan.count('create')}, update {plan.count('update')}, leave "
                          f"{plan.count('unchanged')} unchanged; {len(plan.skipped)} left out.")
        for source, skill in sorted(plan.sources.items()):
            self.stdout.write(f"  {source} -> {skill}")
        for image in plan.images:
            action = (f"store ({image.width} × {image.height})" if image.action == STORE
                      else "already in the course")
            self.stdout.write(f"  image {image.filename} -> image:{image.name}: {action}")
        for problem in plan.problems:
            self.stdout.write(f"  - {problem}")
        if not confirm:
            self.stdout.write("Dry run: nothing was written. Run again with --confirm to import.")
            return
        if not plan.items:
            raise CommandError("No question in this file can be imported (see above); nothing "
                               "was written.")
        with tqdm(total=len(plan.items), unit="question", disable=None) as bar:
            def advance(done: int) -> None:
                bar.update(done - bar.n)

            try:
                counts = import_bank(plan, progress=advance)
            except ServiceError as error:
                raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(
            f"Imported into {target.slug}: {counts['create']} created, {counts['update']} "
            f"updated, {counts['unchanged']} unchanged, "
            f"{sum(1 for image in plan.images if image.action == STORE)} image(s) stored "
            f"({time.monotonic() - started:.1f} s)."))
