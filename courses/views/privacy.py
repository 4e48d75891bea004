"""A person's data: the page about it, its download, the removal of the account; and a course's
pseudonymous answers for research (its teachers and administrators)."""
from __future__ import annotations

import json

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from courses import access
from courses.actions.forget import check_user_removable, remove_user
from courses.errors import InvalidInput, ServiceError
from courses.ml.research_export import FORMATS, write_research_export
from courses.models import Cohort
from courses.queries.learner_data import read_learner_data
from courses.views.common import AuthenticatedHttpRequest, error_page


@login_required
@require_GET
def my_data_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "account/my_data.html")


@login_required
@require_GET
def my_data_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    text = json.dumps(read_learner_data(request.user), cls=DjangoJSONEncoder, indent=2,
                      ensure_ascii=False)
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="learnpath-my-data.json"'
    return response


def _confirmation(request: AuthenticatedHttpRequest) -> None:
    """The person says it is them: their password, or (an account made by an LMS, which has
    none) their username."""
    user = request.user
    if user.has_usable_password():
        if not user.check_password(request.POST.get("password", "")):
            raise InvalidInput(_("That is not your password: nothing was deleted."))
    elif request.POST.get("username", "").strip() != user.get_username():
        raise InvalidInput(_("That is not your username: nothing was deleted."))


@login_required
@require_http_methods(["GET", "POST"])
def remove_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        check_user_removable(request.user)
    except ServiceError as error:  # a teacher of a class: the page says why, and no form
        return render(request, "account/remove.html", {"blocked": error.message},
                      status=200 if request.method == "GET" else error.status)
    if request.method == "GET":
        return render(request, "account/remove.html")
    try:
        _confirmation(request)
        remove_user(request.user.pk)
    except ServiceError as error:
        return render(request, "account/remove.html", {"error": error.message},
                      status=error.status)
    logout(request)
    return render(request, "account/removed.html")


@login_required
@require_GET
def research_export(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = access.course_or_404(slug)
    if not access.teaches_course(request.user, course):
        raise PermissionDenied(_("Only the course's teachers may export its answers."))
    data_format = request.GET.get("format", "csv")
    if data_format not in FORMATS:
        return error_page(request, InvalidInput(
            _("Ask for format csv or 3line.")), course=course)
    learners = None if request.user.is_superuser else set(
        Cohort.learners.through.objects.filter(cohort__course=course,
                                               cohort__teacher=request.user)
        .values_list("user_id", flat=True))
    response = HttpResponse(content_type="text/csv; charset=utf-8" if data_format == "csv"
                            else "text/plain; charset=utf-8")
    suffix = "csv" if data_format == "csv" else "txt"
    response["Content-Disposition"] = (
        f'attachment; filename="{slugify(course.slug)}-research-{data_format}.{suffix}"')
    write_research_export(course, data_format, response, learners)  # type: ignore[arg-type]
    return response
