from __future__ import annotations

from django.apps import AppConfig


class XapiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses.xapi"
    label = "xapi"
    verbose_name = "xAPI statements"

    def ready(self) -> None:
        from courses.xapi import lrs  # noqa: F401  (registers the outbox's "xapi" sender)
