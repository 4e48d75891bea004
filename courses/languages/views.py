"""The language page: a signed-in person stores their choice; anyone else gets a cookie."""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from courses.actions.languages import check_language, record_language_preference
from courses.errors import ServiceError
from courses.languages.chosen import remember, stored_language


@require_http_methods(["GET", "POST"])
def language_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request, stored_language(request.user) if request.user.is_authenticated
                     else request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""))
    try:
        if request.user.is_authenticated:
            code = record_language_preference(request.user, request.POST.get("language", ""))
            remember(request, code)
        else:
            code = check_language(request.POST.get("language", ""))
    except ServiceError as error:
        return _page(request, "", error=error.message, status=error.status)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = request.path
    if code:
        translation.activate(code)
    response = redirect(target)
    if code:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 3600,
                            samesite="Lax", secure=request.is_secure(), httponly=True)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
    return response


def _page(request: HttpRequest, chosen: str, error: str = "", status: int = 200) -> HttpResponse:
    return render(request, "account/language.html", {
        "chosen": chosen, "error": error, "next": request.GET.get("next", ""),
    }, status=status)
