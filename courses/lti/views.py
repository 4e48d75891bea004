"""The LTI endpoints: OIDC login initiation, the launch, the tool's JWKS, and the deep-linking
picker. The login and the launch are the only CSRF-exempt views of the site: the platform posts
to them, and the launch's id_token (signed, with a one-time nonce) is their protection.

Anything wrong with a launch gets a 4xx page saying what (shown in the LMS's frame)."""
from __future__ import annotations

import logging
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth import login as sign_in
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from lti_tool.models import LtiLaunch
from pylti1p3.exception import LtiException, OIDCException

from courses.lti import deep_linking, framing, keys, protocol
from courses.lti.claims import MalformedClaims, check_launch_claims
from courses.lti.launches import (
    Landing,
    LaunchRefused,
    carry_out_deep_linking_launch,
    carry_out_resource_launch,
)
from courses.views.common import AuthenticatedHttpRequest

logger = logging.getLogger(__name__)
BACKEND = "courses.accounts.UserBackend"
COOKIES_BLOCKED = gettext_lazy("Your browser does not let learnpath keep cookies inside the LMS "
                               "page. Open it in a window of its own to go on.")


@xframe_options_exempt
def refused(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """A launch's error page: a static message, so any frame may show it."""
    return render(request, "lti/error.html", {"message": message, "status": status},
                  status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest, registration_uuid: str | None = None) -> HttpResponse:
    """Step 1 of a launch: checks that cookies work in the frame (else offers a window of its
    own), then sends the browser to the platform's sign-in with a state and a nonce."""
    params = request.POST if request.method == "POST" else request.GET
    if not params.get("target_link_uri"):
        return refused(request, gettext("The LMS started a launch without a target_link_uri."))
    login = protocol.oidc_login(request, str(registration_uuid) if registration_uuid else None)
    try:
        login.validate_oidc_login()  # before the cookie check's page: a known platform only
        response = login.enable_check_cookies(
            str(COOKIES_BLOCKED), gettext("Open learnpath in a new window"), gettext("Loading…")
        ).redirect(request.build_absolute_uri(reverse("lti_launch")))
    except (OIDCException, LtiException) as error:
        return refused(request, gettext("This LMS is not registered with learnpath (%(error)s).")
                       % {"error": error})
    registration = login._tool_config.registration
    if registration is not None:
        framing.allow_frame(request, framing.registered_origins(registration))
    return response


@csrf_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """Step 2: the platform posts the signed id_token. Verified, the person is signed in as
    their learnpath account and lands on the linked page (or, placing a link, on the picker)."""
    try:
        message = protocol.verified_launch(request)
    except LtiException as error:
        return refused(request, gettext("This launch could not be verified: %(error)s")
                       % {"error": error}, 403)
    except (AttributeError, TypeError, ValueError, KeyError) as error:
        # pylti1p3 reads some claims as it finds them (a resource link that is no object).
        logger.warning("A malformed launch: %s: %s", type(error).__name__, error)
        return refused(request, gettext("The LMS sent a malformed launch."), 400)
    try:
        check_launch_claims(message.get_launch_data())
    except MalformedClaims as error:
        return refused(request, gettext("The LMS sent a malformed launch: %(error)s")
                       % {"error": error}, 400)
    lti_launch = LtiLaunch(message)
    deployment = lti_launch.deployment
    if not deployment.is_active:
        return refused(request, gettext(
            "The LMS deployment “%(deployment)s” is not active in learnpath: an administrator "
            "can activate it under LTI registrations.") % {"deployment": deployment.deployment_id},
            403)
    try:
        if lti_launch.is_deep_link_launch:
            return _deep_linking_started(request, lti_launch)
        if not lti_launch.is_resource_launch:
            return refused(request,
                           gettext("learnpath takes resource links and deep linking only."))
        landing = carry_out_resource_launch(lti_launch)
    except LaunchRefused as error:
        return refused(request, str(error), error.status)
    _sign_in(request, landing, lti_launch)
    return redirect(landing.url)


def _sign_in(request: HttpRequest, landing: Landing, lti_launch: LtiLaunch) -> None:
    sign_in(request, landing.user, backend=BACKEND)
    origins = framing.launch_origins(lti_launch.registration, lti_launch.get_launch_data())
    framing.embed_session(request, origins)
    if landing.message:
        messages.info(request, landing.message)


def _deep_linking_started(request: HttpRequest, lti_launch: LtiLaunch) -> HttpResponse:
    user = carry_out_deep_linking_launch(lti_launch)
    _sign_in(request, Landing(user, ""), lti_launch)
    token = secrets.token_urlsafe(16)
    deep_linking.remember(request.session, token, lti_launch)
    return redirect(reverse("lti_deep_link", args=[token]))


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The tool's public keys: the current one and those still retiring."""
    response = JsonResponse(keys.jwks())
    # Short, so a platform soon sees a new key (it signs at once after a rotation).
    response["Cache-Control"] = "public, max-age=300"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def deep_link(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The teacher picks a course or a skill; the LMS gets a signed deep-linking response
    (an auto-submitted form) with the link."""
    request_data = deep_linking.recalled(request.session, token, request.user)
    if request_data is None:
        return refused(request, gettext("This content selection has expired or is not yours: "
                                        "start it again from the LMS."), 403)
    if request.method == "GET":
        return render(request, "lti/deep_link.html",
                      {"token": token, "choices": deep_linking.choices()})
    try:
        response = deep_linking.response_for(
            request_data, request.POST.get("target", ""),
            request.build_absolute_uri(reverse("lti_launch")),
        )
    except deep_linking.BadChoice as error:
        return render(request, "lti/deep_link.html",
                      {"token": token, "choices": deep_linking.choices(), "error": str(error)},
                      status=400)
    deep_linking.forget(request.session, token)
    context: dict[str, Any] = {"return_url": response.return_url, "jwt": response.jwt}
    return render(request, "lti/deep_link_response.html", context)
