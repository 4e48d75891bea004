"""Teachers' assignments with due dates (written by :mod:`courses.actions.assignments`, read by
:mod:`courses.queries.assignments`); re-exported by :mod:`courses.models`."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from learnpath.mastery import MasteryLevel

# The levels a skill assignment may aim at: those the chart reaches by practice.
TARGET_LEVELS = [(level.value, level.value.replace("_", " ").capitalize()) for level in
                 (MasteryLevel.FAMILIAR, MasteryLevel.PROFICIENT, MasteryLevel.MASTERED)]


class Assignment(models.Model):
    """Work a teacher sets a class (or chosen learners of it): skills to reach a target level,
    or exercises to answer right, by a due date."""

    class Kind(models.TextChoices):
        SKILLS = "skills", "Skills to a target level"
        EXERCISES = "exercises", "Exercises to answer right"

    cohort = models.ForeignKey("courses.Cohort", on_delete=models.CASCADE,
                               related_name="assignments")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="assignments_made")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    skills = models.ManyToManyField("courses.Skill", related_name="assignments", blank=True)
    target_level = models.CharField(max_length=12, choices=TARGET_LEVELS,
                                    default=MasteryLevel.PROFICIENT.value)
    exercises = models.ManyToManyField("courses.Exercise", related_name="assignments",
                                       blank=True)
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="assignments", blank=True,
        help_text="The learners of the class it is for; none chosen: the whole class.",
    )
    due_at = models.DateTimeField()
    lms_grade = models.BooleanField(
        default=False, help_text="Send each learner's completion to the LMS gradebook (a class "
        "linked to an LMS by LTI)."
    )
    lineitem_url = models.URLField(max_length=1000, blank=True, editable=False,
                                   help_text="The LMS gradebook column made for it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "courses"
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["cohort", "due_at"])]

    def __str__(self) -> str:
        return f"{self.title} (due {self.due_at:%Y-%m-%d})"


class AssignmentExtension(models.Model):
    """One learner's later due date for an assignment."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE,
                                   related_name="extensions")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="assignment_extensions")
    due_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "courses"
        constraints = [
            models.UniqueConstraint(fields=["assignment", "learner"],
                                    name="one_extension_per_learner"),
        ]

    def __str__(self) -> str:
        return f"{self.learner}: {self.assignment.title} due {self.due_at:%Y-%m-%d}"
