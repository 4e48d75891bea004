"""The learners' work, shown read-only: attempts and study sessions."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from courses.models import (
    Attempt,
    StudySession,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["submitted_at", "learner", "exercise", "correct", "hint_used", "session"]
    list_filter = ["course", "correct", "hint_used"]
    search_fields = ["learner__username", "exercise__key"]
    list_select_related = ["learner", "exercise", "session"]
    date_hierarchy = "submitted_at"


@admin.register(StudySession)
class StudySessionAdmin(ReadOnlyAdmin):
    list_display = [
        "learner", "course", "number", "started_at", "last_activity_at", "attempt_count"
    ]
    list_filter = ["course"]
    search_fields = ["learner__username"]
