from __future__ import annotations

from django.apps import AppConfig


class JudgingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses.judging"
    label = "judging"
    verbose_name = "Judging (programming exercises)"
