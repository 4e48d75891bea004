"""LMS links in the admin: platform registrations (django-lti's page, with the deployments and
learnpath's frame origins inline and the URLs to give the LMS), the tool's keys (read-only;
``manage.py rotate_lti_keys`` rotates them), LMS users (an administrator may link one to an
existing account), and the linked classes."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from lti_tool.admin import LtiDeploymentInline, LtiRegistrationAdmin
from lti_tool.models import Key, LtiRegistration, LtiUser

from courses.lti.models import FrameOrigins, LinkedClass


class FrameOriginsInline(admin.StackedInline):
    model = FrameOrigins
    can_delete = False
    extra = 1
    max_num = 1


class DeploymentInline(LtiDeploymentInline):
    fields = ["deployment_id", "is_active"]
    extra = 1


admin.site.unregister(LtiRegistration)


@admin.register(LtiRegistration)
class RegistrationAdmin(LtiRegistrationAdmin):
    inlines = [DeploymentInline, FrameOriginsInline]
    readonly_fields = ["tool_urls"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [(None, {"fields": ["tool_urls"]}), *super().get_fieldsets(request, obj)]

    @admin.display(description="Give the LMS these URLs")
    def tool_urls(self, obj: LtiRegistration | None) -> str:
        rows = [("Tool / target link URL and redirect URI", reverse("lti_launch")),
                ("Login (initiate login) URL", reverse("lti_login")),
                ("Public keyset (JWKS) URL", reverse("lti_jwks"))]
        if obj is not None and obj.pk:
            rows.append(("Login URL for this registration only",
                         reverse("lti_login_for", args=[obj.uuid])))
        return format_html("<br>".join(f"{label}: <code>{{}}</code>" for label, _ in rows),
                           *(path for _, path in rows))


@admin.register(Key)
class KeyAdmin(admin.ModelAdmin):
    list_display = ["kid", "is_active", "datetime_created", "retiring"]
    fields = ("kid", "is_active", "datetime_created", "retiring", "public_key")
    readonly_fields = fields

    @admin.display(description="key id")
    def kid(self, key: Key) -> str:
        return str(key)

    @admin.display(description="published until")
    def retiring(self, key: Key) -> str:
        retirement = getattr(key, "retirement", None)
        return f"{retirement.published_until:%Y-%m-%d %H:%M}" if retirement else "current"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LtiUser)
class LtiUserAdmin(admin.ModelAdmin):
    list_display = ["sub", "name", "email", "registration", "auth_user"]
    search_fields = ["sub", "name", "email", "auth_user__username"]
    fields = ["registration", "sub", "name", "given_name", "family_name", "email", "auth_user"]
    readonly_fields = ["registration", "sub", "name", "given_name", "family_name", "email"]
    raw_id_fields = ["auth_user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LinkedClass)
class LinkedClassAdmin(admin.ModelAdmin):
    list_display = ["context", "course", "cohort", "roster_synced_at"]
    fields = ["context", "course", "cohort", "roster_synced_at", "roster_report"]
    readonly_fields = ["context", "course", "roster_synced_at", "roster_report"]
    raw_id_fields = ["cohort"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
