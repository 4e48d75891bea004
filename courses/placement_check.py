"""Placement checks and their answers (written only by :mod:`courses.actions.placement`);
re-exported by :mod:`courses.models`.

A placement answer is its own record, not an :class:`~courses.models.Attempt` with a flag: the
check sets the whole chart at once from all its answers (:mod:`learnpath.placement`), so its
answers must not also move the chart one by one as practice does, and every reader of attempts
(the chart's rebuild, the sequence model's training data, the dashboards, xAPI statements, LTI
grades, study sessions, the path's spacing and its "after a wrong answer" step) would otherwise
have to remember to leave them out.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class PlacementCheck(models.Model):
    """One learner's placement check in a course: under way, finished (its result is the chart
    it set) or skipped (the learner said no to the offer)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Under way"
        FINISHED = "finished", "Finished"
        SKIPPED = "skipped", "Skipped"

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="placement_checks")
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE,
                               related_name="placement_checks")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_attempt_id = models.BigIntegerField(
        default=0, help_text="The learner's newest attempt in the course when the check "
        "finished: the chart is the check's result, then every later attempt.")
    result = models.JSONField(default=dict, blank=True, help_text="Per skill key: p_known, "
                              "p_prior, known, direct, evidence, inferred.")

    class Meta:
        app_label = "courses"
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], condition=Q(status="active"),
                                    name="one_active_placement_check"),
        ]

    def __str__(self) -> str:
        return f"placement check of {self.learner} in {self.course} ({self.status})"


class PlacementAnswer(models.Model):
    placement = models.ForeignKey(PlacementCheck, on_delete=models.CASCADE, related_name="answers")
    exercise = models.ForeignKey("courses.Exercise", on_delete=models.CASCADE,
                                 related_name="placement_answers")
    answer = models.JSONField(help_text="The answer as given: text, or the chosen option ids.")
    correct = models.BooleanField()
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "courses"
        ordering = ["answered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "exercise"],
                                    name="placement_answer_once_per_check"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} in {self.placement}"
