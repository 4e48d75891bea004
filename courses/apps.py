from __future__ import annotations

from django.apps import AppConfig


class CoursesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"
    verbose_name = "Courses and learning"

    def ready(self) -> None:
        from courses import signals

        signals.connect()
