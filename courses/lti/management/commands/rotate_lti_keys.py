"""``manage.py rotate_lti_keys [--keep-old-hours H]``: a new tool key becomes current at once
(it signs from now on); the keys it replaces stay in the JWKS for H hours (default 72: longer
than any platform caches a key set), then drop out; keys past their time are deactivated."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from courses.lti.keys import rotate_keys


class Command(BaseCommand):
    help = "Makes a new LTI tool key current; old keys stay published for a stated time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep-old-hours", type=float, default=72.0,
                            help="Hours the replaced keys stay in the JWKS (default 72).")

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["keep_old_hours"]
        if hours < 0:
            self.stderr.write("--keep-old-hours cannot be negative.")
            raise SystemExit(2)
        rotation = rotate_keys(timedelta(hours=hours))
        self.stdout.write(f"Current key: {rotation.current}")
        for kid, until in rotation.retiring:
            self.stdout.write(f"Still published until {until:%Y-%m-%d %H:%M %Z}: {kid}")
        if rotation.dropped:
            self.stdout.write(f"Taken out of the JWKS: {rotation.dropped} key(s) past their time")
