"""The signed-in user's *API tokens* page: make a token (shown once) and revoke tokens."""
from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses.api.models import ApiToken
from courses.api.tokens import issue_token, revoke_token
from courses.errors import InvalidInput, ServiceError
from courses.views.common import AuthenticatedHttpRequest, error_page


def _page(request: AuthenticatedHttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    return render(request, "api/tokens.html", {
        "tokens": ApiToken.objects.filter(user=request.user),
        "secret": request.session.pop("new_api_token", None),
        "error": error,
    }, status=status)


@login_required
@require_GET
def tokens_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def token_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    raw_date = request.POST.get("expires", "").strip()
    try:
        try:
            day = parse_date(raw_date) if raw_date else None
        except ValueError:
            day = None
        if raw_date and day is None:
            raise InvalidInput(_("Give the expiry date as YYYY-MM-DD."))
        expires = timezone.make_aware(datetime.combine(day, time.max)) if day else None
        made = issue_token(request.user, request.POST.get("name", ""), expires)
    except ServiceError as error:
        return _page(request, error.message, error.status)
    # Shown on the next page once, then gone (the session entry is popped when shown).
    request.session["new_api_token"] = made.secret
    messages.success(request, _("Made the token “%(name)s”.") % {"name": made.token.name})
    return redirect("api_tokens")


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    try:
        token = revoke_token(request.user, token_id)
    except ServiceError as error:
        return error_page(request, error)
    messages.success(request, _("Revoked the token “%(name)s”.") % {"name": token.name})
    return redirect("api_tokens")
