"""learnpath inside the LMS's iframe, and nowhere else.

The site answers ``X-Frame-Options: DENY``. The OIDC login's page and a session that began with
a verified launch instead allow the frame for that platform's origins only (CSP
``frame-ancestors``); the admin never. Over HTTPS, such a session's cookies (session, CSRF,
messages) go out ``SameSite=None; Secure``, which a cross-site iframe needs to send them back;
every other session keeps Django's ``Lax``. CSRF checks stay as they are: the forms in the
iframe post to learnpath itself, with their token.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from lti_tool.models import LtiRegistration

from courses.lti.models import FrameOrigins

SESSION_KEY = "lti_frame_origins"
REQUEST_ATTRIBUTE = "lti_frame_origins"
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def origin_of(url: object) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL; None for anything else."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not _HOST.match(parts.netloc):
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def registered_origins(registration: LtiRegistration) -> list[str]:
    """The platform's issuer and sign-in origins, and those its administrator added."""
    extra = FrameOrigins.objects.filter(registration=registration).values_list(
        "origins", flat=True
    ).first() or ""
    return _unique([registration.issuer, registration.auth_url, *extra.split()])


def launch_origins(registration: LtiRegistration, launch_data: Mapping[str, Any]) -> list[str]:
    """The registered origins and the ones the verified launch names as its own (the return
    URL, the platform's URL): signed by the platform, so the frame it is shown in."""
    presentation = launch_data.get(
        "https://purl.imsglobal.org/spec/lti/claim/launch_presentation") or {}
    platform = launch_data.get("https://purl.imsglobal.org/spec/lti/claim/tool_platform") or {}
    named = [claims.get(key) for claims, key in ((presentation, "return_url"), (platform, "url"))
             if isinstance(claims, dict)]
    return _unique([*registered_origins(registration), *named])


def _unique(urls: Iterable[object]) -> list[str]:
    found = [origin for origin in map(origin_of, urls) if origin]
    return list(dict.fromkeys(found))


def allow_frame(request: HttpRequest, origins: list[str]) -> None:
    """This response (only) may be shown in a frame of ``origins``."""
    setattr(request, REQUEST_ATTRIBUTE, origins)


def embed_session(request: HttpRequest, origins: list[str]) -> None:
    """The signed-in session began in the LMS: its pages may be framed by ``origins``."""
    request.session[SESSION_KEY] = origins
    allow_frame(request, origins)


class LmsFrameMiddleware:
    """Placed before the session middleware, so that it sees the cookies that one, CSRF and
    messages set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        origins = getattr(request, REQUEST_ATTRIBUTE, None) or _session_origins(request)
        if origins and not request.path.startswith("/admin/"):
            _frame_for(response, origins)
            if request.is_secure():
                _cross_site_cookies(response)
        return response


def _session_origins(request: HttpRequest) -> list[str] | None:
    session = getattr(request, "session", None)
    if session is None:
        return None
    found = session.get(SESSION_KEY)
    return found if isinstance(found, list) else None


def _frame_for(response: HttpResponse, origins: list[str]) -> None:
    if "X-Frame-Options" in response:
        del response["X-Frame-Options"]
    ancestors = "frame-ancestors 'self' " + " ".join(origins)
    policy = response.get("Content-Security-Policy")
    response["Content-Security-Policy"] = f"{policy}; {ancestors}" if policy else ancestors


def _cross_site_cookies(response: HttpResponse) -> None:
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME,
                 CookieStorage.cookie_name):
        if name in response.cookies:
            response.cookies[name]["samesite"] = "None"
            response.cookies[name]["secure"] = True
