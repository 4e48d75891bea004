"""Where a signed-in person's language choice is kept for their requests.

The choice is stored per user (:class:`~courses.languages.models.LanguagePreference`) and copied
into the session at sign-in and whenever it changes, so a page reads it with the session it
loads anyway and costs no query of its own. Without a choice, Django's
:class:`~django.middleware.locale.LocaleMiddleware` picks the language from the language
cookie, else the browser's ``Accept-Language``.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from courses.languages.models import LanguagePreference

SESSION_KEY = "learnpath_language"


def supported(code: str) -> bool:
    return code in {language for language, _ in settings.LANGUAGES}


def stored_language(user: AbstractBaseUser | AnonymousUser) -> str:
    """The user's stored choice, or "" (the browser's language) when there is none."""
    if not user.is_authenticated:
        return ""
    found = LanguagePreference.objects.filter(user_id=user.pk).values_list("language", flat=True)
    code = next(iter(found), "")
    return code if supported(code) else ""


def remember(request: HttpRequest, code: str) -> None:
    """Keeps the choice (a supported code, or "" for the browser's) in the session."""
    if code:
        request.session[SESSION_KEY] = code
    else:
        request.session.pop(SESSION_KEY, None)


def session_language(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    code = session.get(SESSION_KEY, "") if session is not None else ""
    return code if isinstance(code, str) and supported(code) else ""
