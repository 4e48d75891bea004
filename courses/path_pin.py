"""A teacher's pin on a learner's (or a class's) path (written only by
:mod:`courses.actions.pins`, read by :mod:`courses.queries.pins`); re-exported by
:mod:`courses.models`."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class PathPin(models.Model):
    """A teacher's choice: this exercise comes first in a learner's (or a whole class's) path,
    until the learner has answered it (or, if the teacher asks, mastered its skills)."""

    class Until(models.TextChoices):
        ANSWERED = "answered", "until answered"
        MASTERED = "mastered", "until its skills are mastered"

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pins_made"
    )
    exercise = models.ForeignKey("courses.Exercise", on_delete=models.CASCADE, related_name="pins")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="pins",
    )
    cohort = models.ForeignKey(
        "courses.Cohort", null=True, blank=True, on_delete=models.CASCADE, related_name="pins"
    )
    position = models.PositiveSmallIntegerField(default=0)
    until = models.CharField(
        max_length=10, choices=Until.choices, default=Until.ANSWERED,
        help_text="A pin is done for a learner once they answered the exercise after it was "
        "pinned, or, when asked, once every skill of the exercise is mastered.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(learner__isnull=False, cohort__isnull=True)
                | Q(learner__isnull=True, cohort__isnull=False),
                name="pin_for_learner_or_class",
            ),
        ]

    def __str__(self) -> str:
        who = self.learner or self.cohort
        return f"{self.exercise} pinned for {who}"
