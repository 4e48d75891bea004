from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LanguagesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses.languages"
    label = "languages"
    verbose_name = _("Languages")

    def ready(self) -> None:
        from courses.languages import signals  # noqa: F401  (connects the sign-in handler)
