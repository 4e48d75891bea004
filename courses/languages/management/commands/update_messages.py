"""Collects the site's translatable texts into each translated language's catalogue
(courses/locale/<language>/LC_MESSAGES/django.po): new texts arrive untranslated, texts gone are
dropped; translate the new ones, then ``manage.py compilemessages``."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from courses.languages.catalog import collect_messages


class Command(BaseCommand):
    help = "Collects the translatable texts into the catalogues (courses/locale/)."

    def handle(self, *args: Any, **options: Any) -> None:
        collect_messages()
        self.stdout.write(f"Updated the catalogues under {settings.LOCALE_PATHS[0]}.")
