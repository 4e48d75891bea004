"""Persistence for courses, people and practice: a thin layer; the rules live in
:mod:`courses.actions`, :mod:`courses.queries` and :mod:`courses.rules`.

Attempts are only ever created (by :mod:`courses.actions.attempts`), never edited or deleted by
normal use. Study sessions are stored, not recomputed: the sequence model reads them.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$", "Use lowercase letters, digits, hyphens and underscores."
)


class Course(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    session_gap_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Inactivity (minutes) that starts a new study session; empty = site default.",
    )
    path_length = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="How many exercises a learner's proposed path holds.",
    )
    success_band_low = models.FloatField(
        default=0.55, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Desirable difficulty: lowest predicted chance of success aimed at.",
    )
    success_band_high = models.FloatField(
        default=0.85, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Desirable difficulty: highest predicted chance of success aimed at.",
    )
    retrain_after_attempts = models.PositiveIntegerField(
        default=500, help_text="Retrain the model once this many new attempts have arrived."
    )
    simulated_learners = models.PositiveIntegerField(
        default=0,
        help_text="The model also trains on this many simulated learners' histories (not stored; "
        "learnpath.sim): a stand-in for real learners while a course has few, as in the demo.",
    )
    content_version = models.PositiveIntegerField(
        default=0, editable=False,
        help_text="Rises with every change of skills or exercises (see courses.signals).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(success_band_low__lt=models.F("success_band_high")),
                name="success_band_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Skill(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="skills")
    key = models.CharField(max_length=80, validators=[key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    area = models.CharField(max_length=120, blank=True, help_text="Groups skills on charts.")
    bkt_params = models.JSONField(
        null=True,
        blank=True,
        help_text="Fitted mastery-estimator parameters; empty = documented defaults.",
    )
    prerequisites: models.ManyToManyField[Skill, Prerequisite] = models.ManyToManyField(
        "self",
        through="Prerequisite",
        through_fields=("skill", "prerequisite"),
        symmetrical=False,
        related_name="dependents",
        blank=True,
    )

    class Meta:
        ordering = ["course", "key"]
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="skill_key_unique_in_course"),
            models.UniqueConstraint(fields=["course", "name"], name="skill_name_unique_in_course"),
        ]

    def __str__(self) -> str:
        return self.name


class Prerequisite(models.Model):
    """Edge ``prerequisite -> skill``: the prerequisite is learnt first; a DAG per course."""

    skill = models.ForeignKey(
        Skill, on_delete=models.CASCADE, related_name="prerequisite_links"
    )
    prerequisite = models.ForeignKey(
        Skill, on_delete=models.CASCADE, related_name="dependent_links"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["skill", "prerequisite"], name="prerequisite_unique"),
            models.CheckConstraint(
                condition=~Q(skill=models.F("prerequisite")), name="prerequisite_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prerequisite} → {self.skill}"


class Exercise(models.Model):
    class Kind(models.TextChoices):
        CHOICE = "choice", "Multiple choice"
        NUMERIC = "numeric", "Numeric"
        TEXT = "text", "Short text"
        CODE = "code", "Python program"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="exercises")
    key = models.CharField(max_length=80, validators=[key_validator])
    skills = models.ManyToManyField(Skill, related_name="exercises")
    prompt = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    numeric_answer = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0)], help_text="Absolute tolerance."
    )
    accepted_answers = models.JSONField(
        default=list, blank=True, help_text="Short text: accepted answers (case/spaces ignored)."
    )
    code = models.JSONField(default=dict, blank=True, help_text="Python program: starter, "
                            "reference solution, tests, limits (courses.judging.spec).")
    hint = models.TextField(blank=True)
    solution = models.TextField(blank=True, help_text="Worked solution shown after answering.")
    difficulty = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 to 5."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "key"]
        constraints = [
            models.UniqueConstraint(fields=["course", "key"], name="exercise_key_unique_in_course"),
        ]
        indexes = [models.Index(fields=["course", "status"])]

    def __str__(self) -> str:
        return self.key

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Choice(models.Model):
    # Options shown for one exercise: enough for any real question, and a bound on the page.
    MAX_PER_EXERCISE = 50

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["exercise", "position", "id"]

    def __str__(self) -> str:
        return self.text


class Enrollment(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.course}"


class Cohort(models.Model):
    """A class: a teacher and the learners they follow in one course."""

    name = models.CharField(max_length=200)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="cohorts")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cohorts_taught"
    )
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="cohorts", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "class"
        verbose_name_plural = "classes"
        constraints = [
            models.UniqueConstraint(fields=["teacher", "name"], name="cohort_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class StudySession(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_sessions"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="study_sessions")
    number = models.PositiveIntegerField(help_text="1 for the learner's first session here.")
    started_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    attempt_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["learner", "course", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "course", "number"], name="session_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.number} of {self.learner} in {self.course}"

    @property
    def duration_seconds(self) -> float:
        return (self.last_activity_at - self.started_at).total_seconds()


class Attempt(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="attempts")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="attempts")
    session = models.ForeignKey(StudySession, on_delete=models.PROTECT, related_name="attempts")
    client_id = models.UUIDField(
        default=uuid.uuid4, help_text="Generated by the client: a resubmission is stored once."
    )
    answer = models.JSONField(help_text="The answer as given: text, or the chosen option ids.")
    correct = models.BooleanField()
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField()
    hint_used = models.BooleanField(default=False)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "client_id"], name="attempt_client_id_once"),
        ]
        indexes = [
            models.Index(fields=["course", "learner", "submitted_at"]),
            models.Index(fields=["course", "submitted_at"]),
            # The learner's newest attempt, read by every page that shows the path.
            models.Index(fields=["course", "learner", "id"], name="attempt_newest_of_learner"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.exercise} · {'right' if self.correct else 'wrong'}"

    @property
    def duration_seconds(self) -> float:
        return max(0.0, (self.submitted_at - self.started_at).total_seconds())


class SkillState(models.Model):
    """A learner's current mastery of one skill: one row of their skill chart."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_states"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="skill_states")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="states")
    p_mastery = models.FloatField()
    evidence = models.FloatField(default=0.0)
    attempts = models.PositiveIntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    peak_p_mastery = models.FloatField(default=0.0)
    level = models.CharField(max_length=12)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "skill"], name="skill_state_unique"),
        ]
        indexes = [models.Index(fields=["course", "learner"])]

    def __str__(self) -> str:
        return f"{self.learner} · {self.skill}: {self.p_mastery:.2f}"


class MasteryEvent(models.Model):
    """The chart's history: a skill's mastery right after an attempt changed it."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mastery_events"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="mastery_events")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="mastery_events")
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="mastery_events")
    at = models.DateTimeField()
    p_mastery = models.FloatField()
    evidence = models.FloatField()
    level = models.CharField(max_length=12)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["learner", "skill", "at"]),
            models.Index(fields=["course", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.skill} @ {self.at:%Y-%m-%d %H:%M}: {self.p_mastery:.2f}"


class ModelVersion(models.Model):
    """One trained sequence model of a course: the registry entry for its artifact."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="model_versions")
    number = models.PositiveIntegerField(help_text="1 for the course's first model.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    artifact_path = models.CharField(max_length=500)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the artifact file.")
    data_hash = models.CharField(max_length=64, blank=True)
    training_attempts = models.PositiveIntegerField()
    training_learners = models.PositiveIntegerField()
    last_attempt_id = models.BigIntegerField(
        default=0, help_text="The newest attempt the training data included."
    )
    valid_auc = models.FloatField(null=True, blank=True)
    valid_hr10 = models.FloatField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    train_seconds = models.FloatField(default=0.0)
    decision = models.TextField(blank=True, help_text="Why it was or was not activated.")
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["course", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="model_number_unique"),
            models.UniqueConstraint(
                fields=["course"], condition=Q(status="active"), name="one_active_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.slug} model v{self.number} ({self.status})"


class TrainingRun(models.Model):
    """One retraining job, as the admin follows it: queued, running, and how it ended."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        ACTIVATED = "activated", "Trained and activated"
        KEPT_CANDIDATE = "kept", "Trained, not better: kept as candidate"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (not enough data)"

    class Trigger(models.TextChoices):
        ADMIN = "admin", "Started by an admin"
        SCHEDULE = "schedule", "Schedule"
        THRESHOLD = "threshold", "New attempts threshold"
        DEMO = "demo", "Demo set-up"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="training_runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="0 to 1.")
    message = models.TextField(blank=True)
    tries = models.PositiveIntegerField(default=0)
    last_attempt_id = models.BigIntegerField(
        default=0, help_text="The newest attempt of the course when the run was queued."
    )
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(
        max_length=200, blank=True,
        help_text="host:pid of the process that claimed the run (the latest try).",
    )
    touched_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the run was last queued or showed signs of life (each epoch). A run "
        "silent for longer than the lease is taken to be lost and is queued again.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["course", "status"])]

    def __str__(self) -> str:
        return f"training of {self.course.slug} #{self.pk} ({self.status})"


class LearnerModelState(models.Model):
    """A learner's recurrent state under one model version, kept current attempt by attempt."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="model_states"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="model_states")
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="learner_states"
    )
    state = models.BinaryField()
    last_attempt_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="model_state_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} state under {self.model_version}"


# Defined apart to keep this module small; every model is importable from here.
from courses.assignments import Assignment as Assignment  # noqa: E402
from courses.assignments import AssignmentExtension as AssignmentExtension  # noqa: E402
from courses.cached_path import CachedPath as CachedPath  # noqa: E402
from courses.content_images import ContentImage as ContentImage  # noqa: E402
from courses.path_pin import PathPin as PathPin  # noqa: E402
from courses.placement_check import PlacementAnswer as PlacementAnswer  # noqa: E402
from courses.placement_check import PlacementCheck as PlacementCheck  # noqa: E402
from courses.review_card import ReviewCard as ReviewCard  # noqa: E402
