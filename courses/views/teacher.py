"""Teacher pages: their classes, the learners in them, and each learner's skill chart."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from courses import access
from courses.models import Attempt
from courses.services import charts

RECENT_ATTEMPTS = 20


@login_required
@require_GET
def teacher_classes(request: HttpRequest) -> HttpResponse:
    if not (access.is_teacher(request.user) or request.user.is_superuser):
        raise PermissionDenied("Only teachers have classes.")
    return render(
        request, "teacher/classes.html", {"cohorts": access.cohorts_taught(request.user)}
    )


@login_required
@require_GET
def teacher_class(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    return render(
        request,
        "teacher/class_detail.html",
        {"cohort": cohort, "class_chart": charts.class_chart(cohort)},
    )


@login_required
@require_GET
def teacher_learner(request: HttpRequest, cohort_id: int, learner_id: int) -> HttpResponse:
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
            "chart": charts.learner_chart_view(learner, cohort.course),
            "recent_attempts": recent,
        },
    )
