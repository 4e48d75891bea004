"""Signing in: Django's model backend, whose read of the signed-in user on every request also
says whether they teach a class (:func:`courses.access.teaches_a_class`, the top bar's *My
classes*), so no page pays a query of its own for it."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from courses.access import TEACHES_A_CLASS, teaches_a_class_expression


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        users = get_user_model()._default_manager.annotate(
            **{TEACHES_A_CLASS: teaches_a_class_expression()}
        )
        try:
            user = users.get(pk=user_id)
        except users.model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
