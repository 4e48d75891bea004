"""People in the admin: deleting a user (its page or the *Delete selected* action) removes
everything the site keeps about them (:func:`courses.actions.forget.remove_user`), not only
the rows that cascade."""
from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from courses.actions.forget import check_user_removable, remove_user
from courses.errors import ServiceError

admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = dict(super().get_actions(request))
        if "delete_selected" in actions:
            function, name, _description = actions["delete_selected"]
            actions["delete_selected"] = (
                function, name, gettext_lazy("Delete selected users and all their data"))
        return actions

    def get_deleted_objects(self, objs: Any, request: HttpRequest
                            ) -> tuple[list[Any], dict[str, int], set[str], list[str]]:
        """What the confirmation page lists. The removal deletes the rows other tables protect
        (attempts before their study sessions) and those of read-only admin pages itself, so
        only what stops it (a class the person teaches) is shown as protected."""
        to_delete, counts, _needed, _protected = super().get_deleted_objects(objs, request)
        blocked = []
        for user in objs:
            try:
                check_user_removable(user)
            except ServiceError as error:
                blocked.append(error.message)
        return to_delete, counts, set(), blocked

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._remove(request, [obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._remove(request, list(queryset.values_list("pk", flat=True)))

    def _remove(self, request: HttpRequest, user_ids: list[int]) -> None:
        for user_id in user_ids:
            try:
                remove_user(user_id)
            except ServiceError as error:  # the confirmation page lists protected rows first
                self.message_user(request, error.message, messages.ERROR)
