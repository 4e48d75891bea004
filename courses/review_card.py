"""A learner's review card for one skill (written only by :mod:`courses.actions.reviews`, read by
:mod:`courses.queries.reviews`); re-exported by :mod:`courses.models`."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class ReviewCard(models.Model):
    """The FSRS card of a learner's skill (:class:`learnpath.review.SkillCard` as JSON), fed by
    their answers on it, and when it falls due (kept apart to be read without the JSON)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE,
                               related_name="review_cards")
    skill = models.ForeignKey("courses.Skill", on_delete=models.CASCADE,
                              related_name="review_cards")
    card = models.JSONField(help_text="The FSRS card: stability, difficulty, due, last review.")
    due = models.DateTimeField(help_text="When the skill falls due for review.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "courses"
        constraints = [
            models.UniqueConstraint(fields=["learner", "skill"], name="review_card_unique"),
        ]
        indexes = [models.Index(fields=["course", "learner", "due"],
                                name="review_card_due_of_learner")]

    def __str__(self) -> str:
        return f"{self.learner} · {self.skill}: due {self.due:%Y-%m-%d %H:%M}"
