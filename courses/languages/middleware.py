from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from courses.languages.chosen import session_language


class PreferredLanguageMiddleware:
    """A signed-in person's stored choice overrides the language
    :class:`~django.middleware.locale.LocaleMiddleware` took from the browser. Sits after it
    (and after the session middleware); LocaleMiddleware's response step then states the
    language the page was written in (``Content-Language``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = session_language(request)
        if code:
            translation.activate(code)
            request.LANGUAGE_CODE = code
        return self.get_response(request)
