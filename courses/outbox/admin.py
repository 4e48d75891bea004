"""The outbox in the admin: every row, read-only, with *Retry now* for unsent ones."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from courses.outbox import service
from courses.outbox.models import OutboxRow


@admin.register(OutboxRow)
class OutboxRowAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "key", "status", "attempts", "available_at", "sent_at",
                    "error"]
    list_filter = ["status", "channel"]
    search_fields = ["key"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("outbox.change_outboxrow")

    @admin.display(description="last error")
    def error(self, row: OutboxRow) -> str:
        return row.last_error[:120]

    @admin.action(description="Retry the selected rows now", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxRow]) -> None:
        changed = service.retry_now(queryset.values_list("id", flat=True))
        self.message_user(
            request, f"{changed} row(s) queued for delivery now (rows already sent, or being "
            "delivered this moment, are left as they are).", messages.SUCCESS,
        )
