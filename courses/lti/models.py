"""What learnpath keeps about its LMS links, beside django-lti's own models (``lti_tool``:
registrations, deployments, LMS users, contexts, resource links, keys).

An LMS context (a Moodle or Canvas course) in one learnpath course is a :class:`LinkedClass`,
whose class (:class:`courses.models.Cohort`) is made when the first instructor launches. A
resource link placed in it points at the course or at one skill (:class:`LinkTarget`), and each
learner who launched it has a score there (:class:`LinkLearner`), sent to the LMS gradebook.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from lti_tool.models import Key, LtiContext, LtiRegistration, LtiResourceLink, LtiUser

from courses.models import Assignment, Cohort, Course, Skill


class LaunchValue(models.Model):
    """pylti1p3's launch data (OIDC states and nonces, verified launch claims, platforms' key
    sets), in the database so that every web process sees the same: the login and the launch
    that follows it may reach different processes."""

    key = models.CharField(max_length=255, unique=True)
    value = models.JSONField()
    expires_at = models.DateTimeField(null=True, db_index=True)

    def __str__(self) -> str:
        return self.key


class FrameOrigins(models.Model):
    """Where a platform shows learnpath in an iframe, besides its issuer's and sign-in URL's own
    origins (Canvas: the school's ``https://school.instructure.com``)."""

    registration = models.OneToOneField(
        LtiRegistration, on_delete=models.CASCADE, related_name="frame_origins"
    )
    origins = models.TextField(
        blank=True,
        help_text="Origins that may show learnpath in a frame, one per line, such as "
        "https://school.instructure.com (scheme and host, no path).",
    )

    class Meta:
        verbose_name = "frame origins"
        verbose_name_plural = "frame origins"

    def __str__(self) -> str:
        return f"Frame origins of {self.registration}"


class KeyRetirement(models.Model):
    """A tool key replaced by a newer one: still published in the JWKS (so tokens the platform
    verifies against a cached key set keep working) until ``published_until``."""

    key = models.OneToOneField(Key, on_delete=models.CASCADE, related_name="retirement")
    published_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} until {self.published_until:%Y-%m-%d %H:%M}"


class LinkedClass(models.Model):
    """An LMS context in a learnpath course, and the class that stands for it."""

    context = models.ForeignKey(
        LtiContext, on_delete=models.CASCADE, related_name="learnpath_classes"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lti_classes")
    cohort = models.OneToOneField(
        Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="lti_class",
        help_text="Made when the first instructor launches; its teacher is that instructor.",
    )
    roster_synced_at = models.DateTimeField(null=True, blank=True)
    roster_report = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "linked class"
        verbose_name_plural = "linked classes"
        constraints = [
            models.UniqueConstraint(fields=["context", "course"], name="lti_class_per_course"),
        ]

    def __str__(self) -> str:
        return f"{self.context} in {self.course}"


class LinkTarget(models.Model):
    """What an LMS resource link points at (the course, or one of its skills), and where the
    learners' scores for it go (the AGS line item, created or reused, kept here)."""

    resource_link = models.OneToOneField(
        LtiResourceLink, on_delete=models.CASCADE, related_name="learnpath_target"
    )
    linked_class = models.ForeignKey(LinkedClass, on_delete=models.CASCADE, related_name="links")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="lti_links")
    lineitems_url = models.URLField(max_length=1000, blank=True)
    lineitem_url = models.URLField(max_length=1000, blank=True)
    score_scopes = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.resource_link)

    @property
    def can_send_scores(self) -> bool:
        return SCORE_SCOPE in self.score_scopes and bool(self.lineitem_url or self.lineitems_url)


SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


class LinkLearner(models.Model):
    """A learner who launched a link: who they are on the platform, and the last score queued
    for them (a new one is queued only when an attempt changes it)."""

    target = models.ForeignKey(LinkTarget, on_delete=models.CASCADE, related_name="learners")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_links"
    )
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="link_scores")
    score = models.FloatField(null=True, blank=True, help_text="0 to 1: the last score queued.")
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "learner"], name="lti_score_per_link"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} on {self.target}"


class AssignmentScore(models.Model):
    """A learner's completion of an assignment whose grade goes to the LMS (its option
    ``lms_grade``): the last score queued, 0 to 1 (a new one is queued only when it changes)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="lms_scores")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignment_scores"
    )
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE,
                                 related_name="assignment_scores")
    score = models.FloatField()
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "learner"],
                                    name="lti_score_per_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} on {self.assignment}"
