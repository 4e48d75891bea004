"""At sign-in, the person's stored language choice is copied into their new session."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from courses.languages.chosen import remember, stored_language


@receiver(user_logged_in, dispatch_uid="learnpath-language-at-sign-in")
def language_at_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        remember(request, stored_language(user))
