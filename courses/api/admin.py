"""API tokens in the admin: an admin makes one for a user (its secret is shown once, in the
confirmation message) or revokes tokens; the stored digest is never shown or edited."""
from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from courses.api.models import ApiToken
from courses.api.tokens import issue_token
from courses.errors import ServiceError


class NewTokenForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("username"))
    name = forms.CharField(max_length=100)
    expires_at = forms.DateTimeField(required=False, help_text="Leave empty for no expiry.")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "expires_at",
                    "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at",
                       "revoked_at"]
    exclude = ["digest"]
    actions = ["revoke"]
    add_form_template = "admin/api/apitoken/add_form.html"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).")

    def add_view(self, request: HttpRequest, form_url: str = "",
                 extra_context: dict[str, Any] | None = None) -> Any:
        if not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)
        form = NewTokenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                made = issue_token(form.cleaned_data["user"], form.cleaned_data["name"],
                                   form.cleaned_data["expires_at"])
            except ServiceError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, f"Token for {made.token.user}: {made.secret} — copy it now; it "
                    "is not shown again.", messages.WARNING)
                return HttpResponseRedirect(reverse("admin:api_apitoken_changelist"))
        context = {**self.admin_site.each_context(request), "form": form,
                   "opts": self.model._meta, "title": "Make an API token",
                   **(extra_context or {})}
        return TemplateResponse(request, self.add_form_template, context)
