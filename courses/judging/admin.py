"""Submitted programs in the admin: read-only, with the verdict, why one is still waiting (the
sandbox refused, say) and *Judge again* for those left waiting."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from courses.judging import service
from courses.judging.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["id", "learner", "exercise", "purpose", "status", "outcome", "passed_share",
                    "submitted_at", "judged_at", "error"]
    list_filter = ["status", "outcome", "purpose", "course"]
    search_fields = ["learner__username", "exercise__key"]
    date_hierarchy = "submitted_at"
    actions = ["judge_again"]
    raw_id_fields = ["learner", "exercise", "attempt"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a learner's work, like their attempts

    def has_judge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("judging.change_submission")

    @admin.display(description="why not judged yet")
    def error(self, submission: Submission) -> str:
        return submission.last_error[:160]

    @admin.action(description="Judge the selected programs again (those not judged yet)",
                  permissions=["judge"])
    def judge_again(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        count = service.judge_again(list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"{count} program(s) queued for a judge (programs already "
                          "judged are left as they are).", messages.SUCCESS)
