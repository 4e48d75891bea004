"""``manage.py outbox_status [--failed]``: the outbox per channel, and optionally its failed
rows with their errors."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from courses.outbox import service
from courses.outbox.models import OutboxRow

FAILED_SHOWN = 50


class Command(BaseCommand):
    help = "Shows the outbox per channel: pending (due now), failed and sent rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--failed", action="store_true",
                            help=f"also list the newest {FAILED_SHOWN} failed rows")

    def handle(self, *args: Any, **options: Any) -> None:
        channels = service.summary()
        if not channels:
            self.stdout.write("The outbox is empty.")
        for row in channels:
            oldest = row["oldest_pending"]
            self.stdout.write(
                f"{row['channel']}: {row['pending']} pending ({row['due']} due now), "
                f"{row['failed']} failed, {row['sent']} sent"
                + (f"; oldest pending since {oldest:%Y-%m-%d %H:%M:%S %Z}" if oldest else "")
                + ("" if row["has_sender"] else "; NO SENDER REGISTERED (is its app installed?)")
            )
        if options["failed"]:
            failed = OutboxRow.objects.filter(status=OutboxRow.Status.FAILED)[:FAILED_SHOWN]
            for failure in failed:
                self.stdout.write(f"  failed #{failure.pk} {failure.channel}:{failure.key} "
                                  f"after {failure.attempts} tries: {failure.last_error}")
