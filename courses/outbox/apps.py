from __future__ import annotations

from django.apps import AppConfig


class OutboxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses.outbox"
    label = "outbox"
    verbose_name = "Outbox (messages to other systems)"
