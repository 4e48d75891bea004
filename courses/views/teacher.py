"""Teacher pages: their classes, the learners in them, and each learner's skill chart."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses import access
from courses.actions.pins import add_pin, remove_pin
from courses.errors import ServiceError
from courses.models import Attempt, Exercise, PathPin
from courses.queries.charts import class_grid, learner_chart_view
from courses.queries.pins import pins_of_cohort
from courses.recommend.cache import learning_path
from courses.views.common import AuthenticatedHttpRequest

RECENT_ATTEMPTS = 20


@login_required
@require_GET
def teacher_classes(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not (access.is_teacher(request.user) or request.user.is_superuser):
        raise PermissionDenied(_("Only teachers have classes."))
    return render(
        request, "teacher/classes.html", {"cohorts": access.cohorts_taught(request.user)}
    )


@login_required
@require_GET
def teacher_class(request: AuthenticatedHttpRequest, cohort_id: int) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    return render(
        request,
        "teacher/class_detail.html",
        {
            "cohort": cohort,
            "class_grid": class_grid(cohort),
            "pins": pins_of_cohort(cohort),
            "exercises": _pinnable(cohort),
        },
    )


@login_required
@require_GET
def teacher_learner(
    request: AuthenticatedHttpRequest, cohort_id: int, learner_id: int
) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    learner = access.learner_in_cohort(cohort, learner_id)
    recent = (
        Attempt.objects.filter(learner=learner, course=cohort.course)
        .select_related("exercise")
        .order_by("-submitted_at", "-id")[:RECENT_ATTEMPTS]
    )
    return render(
        request,
        "teacher/learner_detail.html",
        {
            "cohort": cohort,
            "learner": learner,
            "chart": learner_chart_view(learner, cohort.course),
            "recent_attempts": recent,
            "path": learning_path(learner, cohort.course),
            "pins": [pin for pin in pins_of_cohort(cohort) if pin.learner_id == learner.pk],
            "exercises": _pinnable(cohort),
        },
    )


@login_required
@require_POST
def pin_add(request: AuthenticatedHttpRequest, cohort_id: int) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    learner = None
    if request.POST.get("learner"):
        try:
            learner = access.learner_in_cohort(cohort, int(request.POST["learner"]))
        except ValueError:
            raise PermissionDenied(_("This learner is not in this class.")) from None
    try:
        pin = add_pin(request.user, cohort, request.POST.get("exercise", ""), learner,
                      until=request.POST.get("until", PathPin.Until.ANSWERED))
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        if learner:
            messages.success(request, _("Pinned %(exercise)s for %(learner)s.")
                             % {"exercise": pin.exercise.key, "learner": learner.get_username()})
        else:
            messages.success(request, _("Pinned %(exercise)s for the whole class.")
                             % {"exercise": pin.exercise.key})
    return _back(request, cohort.pk, learner)


@login_required
@require_POST
def pin_remove(request: AuthenticatedHttpRequest, cohort_id: int, pin_id: int) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    try:
        remove_pin(cohort, pin_id)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Pin removed."))
    return redirect("teacher_class", cohort_id=cohort.pk)


def _pinnable(cohort: Any) -> list[Exercise]:
    return list(cohort.course.exercises.filter(status=Exercise.Status.ACTIVE).order_by("key"))


def _back(request: HttpRequest, cohort_id: int, learner: Any) -> HttpResponse:
    if learner is not None:
        return redirect("teacher_learner", cohort_id=cohort_id, learner_id=learner.pk)
    return redirect("teacher_class", cohort_id=cohort_id)
