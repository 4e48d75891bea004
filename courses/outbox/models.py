"""One row per message to another system, kept after delivery (see :mod:`.service`)."""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxRow(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (rejected by the other side)"

    channel = models.CharField(max_length=40, help_text="Whose sender delivers it (xapi, lti…).")
    key = models.CharField(
        max_length=200, help_text="One row per channel and key: a newer payload replaces an "
        "unsent one."
    )
    destination = models.CharField(max_length=500, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    revision = models.PositiveIntegerField(
        default=0, help_text="Rises with every new payload: a delivery counts only for the "
        "payload that was sent."
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Deliveries tried so far.")
    available_at = models.DateTimeField(
        default=timezone.now, help_text="Not tried before this time (backoff after a failure)."
    )
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="Set while a worker delivers it (a lease: a worker "
        "that dies leaves it to be tried again after this time)."
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "outbox row"
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="outbox_channel_key_once"),
        ]
        indexes = [
            # What a delivery claims: a channel's pending rows that are due.
            models.Index(fields=["channel", "available_at"], condition=Q(status="pending"),
                         name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.key} ({self.status})"
