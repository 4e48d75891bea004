"""The stored learning path of a learner in a course (read and written only by
:mod:`courses.recommend.cache`); re-exported by :mod:`courses.models`."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class CachedPath(models.Model):
    """A learner's learning path in a course as last planned, with the stamp it was planned for:
    it is shown only while the stamp is still the current one."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cached_paths"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE,
                               related_name="cached_paths")
    path = models.JSONField(help_text="The serialised path: items, source, note, model version.")
    last_attempt_id = models.BigIntegerField(default=0, help_text="The learner's newest attempt.")
    pins = models.CharField(max_length=80, help_text="The pins that applied: count:ids:latest.")
    assignments = models.CharField(
        max_length=120, default="",
        help_text="The assignments that applied, and extensions: count:ids:latest/count:latest.",
    )
    model_version_id = models.BigIntegerField(null=True, help_text="The active model's id.")
    content_version = models.PositiveIntegerField(help_text="The course's content version.")
    settings_at = models.DateTimeField(help_text="When the course's settings last changed.")
    chart_at = models.DateTimeField(null=True, help_text="When the skill chart last changed.")
    computed_at = models.DateTimeField()

    class Meta:
        app_label = "courses"
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="cached_path_unique"),
        ]

    def __str__(self) -> str:
        return f"path of {self.learner} in {self.course} ({self.computed_at:%Y-%m-%d %H:%M})"
