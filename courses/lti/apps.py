from __future__ import annotations

from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "courses.lti"
    label = "lti"
    verbose_name = "LTI (LMS links)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from courses.lti import grades

        grades.connect()
