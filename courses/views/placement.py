"""The placement check's pages: the check (one question after another, then the result), and
the start, skip and answer forms. The state is the stored answers, so a reload resumes."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses import access
from courses.actions.placement import (
    add_placement_check,
    record_placement_answer,
    record_placement_skipped,
)
from courses.errors import ServiceError
from courses.models import Course
from courses.queries.content import course_content
from courses.recommend.placement import PlacementStatus, placement_for, placement_status
from courses.views.common import AuthenticatedHttpRequest, error_page


@login_required
@require_GET
def placement_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = access.enrolled_course(request.user, slug)
    return _render(request, course, placement_status(request.user, course))


@login_required
@require_POST
def placement_start(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = access.enrolled_course(request.user, slug)
    try:
        add_placement_check(request.user, course)
    except ServiceError as error:
        return error_page(request, error, course=course)
    return redirect("placement", slug=course.slug)


@login_required
@require_POST
def placement_skip(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = access.enrolled_course(request.user, slug)
    record_placement_skipped(request.user, course)
    messages.info(request, _("No placement check: your path starts from the beginning."))
    return redirect("course_detail", slug=course.slug)


@login_required
@require_POST
def placement_answer(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = access.enrolled_course(request.user, slug)
    key = request.POST.get("exercise", "")
    exercise = course_content(course).by_key.get(key)
    given = (request.POST.getlist("choice") if exercise is not None and exercise.is_choice
             else request.POST.get("answer", ""))
    try:
        record_placement_answer(request.user, course, key, given)
    except ServiceError as error:
        status = placement_status(request.user, course)
        if status.next_key == key:  # the same question again, with what went wrong
            return _render(request, course, status, error=error.message, code=error.status)
        return error_page(request, error, course=course)
    return redirect("placement", slug=course.slug)


def _render(request: AuthenticatedHttpRequest, course: Course, status: PlacementStatus, *,
            error: str = "", code: int = 200) -> HttpResponse:
    placement = placement_for(course)
    context = {"course": course, "status": status, "error": error,
               "max_items": placement.config.max_items}
    if status.active is not None and status.next_key is not None:
        exercise = course_content(course).by_key[status.next_key]
        context.update(exercise=exercise, multiple=exercise.takes_several_options,
                       number=status.answered + 1,
                       previous_answer=request.POST.get("answer", ""),
                       previous_choices=request.POST.getlist("choice"))
        return render(request, "courses/placement_question.html", context, status=code)
    latest = status.latest
    if latest is not None and latest.status == latest.Status.FINISHED:
        names = {key: name for key, name in course.skills.values_list("key", "name")}
        context["placed"] = [
            {"name": names.get(key, key), "known": value["known"],
             "percent": round(100 * value["p_known"]), "direct": value["direct"],
             "inferred": value["inferred"]}
            for key, value in sorted(latest.result.items(),
                                     key=lambda item: placement.index.get(item[0], 0))
        ]
    return render(request, "courses/placement.html", context, status=code)
