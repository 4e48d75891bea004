"""The API object: ``/api/v1/``, its authentication (an API token, else the signed-in session
with its CSRF check), throttling, error shapes and routers. Every error is JSON
``{"detail": "..."}`` with a 4xx status; nothing a client sends can make a 500."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import SessionAuth
from ninja.throttling import AnonRateThrottle, UserRateThrottle

from courses.api import classes, content, learning, operations, programs
from courses.api.tokens import TokenAuth
from courses.errors import ServiceError

DESCRIPTION = """learnpath's JSON API. Authenticate with an API token (`Authorization: Bearer
lp_…`, made on the site's *API tokens* page or in the admin), or with the site's session cookie
and its CSRF token (`X-CSRFToken`) for unsafe methods. Learners see their own data, teachers
their own classes, admins everything: the same rules as the site. Requests are throttled per
user (HTTP 429 with `Retry-After` when over)."""

api = NinjaAPI(
    title="learnpath API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    throttle=[AnonRateThrottle(settings.LEARNPATH_API_ANON_RATE),
              UserRateThrottle(settings.LEARNPATH_API_USER_RATE)],
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
)


def _error(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, error: ServiceError) -> HttpResponse:
    problems = getattr(error, "problems", None)
    if problems:
        return api.create_response(request, {"detail": error.message, "problems": problems},
                                   status=error.status)
    return _error(request, error.status, error.message)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(error) or "You may not see this.")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return _error(request, 404, str(error) or "There is no such thing.")


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, "Sign in, or send an API token: Authorization: Bearer lp_…")
    response["WWW-Authenticate"] = 'Bearer realm="learnpath"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    """Ninja's own refusals (a body that is not JSON, too many requests). A 400 carries the
    reason as its one problem, so it has the shape every 400 in the document promises."""
    if error.status_code == 400:
        return api.create_response(request, {"detail": "The request body is not valid JSON.",
                                             "problems": [str(error)]}, status=400)
    return _error(request, error.status_code, str(error))


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    details = [f"{'.'.join(str(p) for p in item.get('loc', ()))}: {item.get('msg', '')}"
               for item in error.errors]
    return api.create_response(
        request, {"detail": "The request is not valid.", "problems": details}, status=422)


api.add_router("/", content.router)
api.add_router("/", learning.router)
api.add_router("/", programs.router)
api.add_router("/", classes.router)
api.add_router("/", operations.router)
