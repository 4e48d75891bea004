"""Teachers' assignment pages: a class's assignments, setting one, editing, extending,
deleting. Each view checks the class is the teacher's, parses the form, calls the action."""
from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from courses import access
from courses.actions.assignments import (
    TARGET_LEVELS,
    AssignmentSpec,
    create_assignment,
    delete_assignment,
    edit_assignment,
    extend_assignment,
    read_due,
)
from courses.dashboards.assignments import assignments_board
from courses.errors import InvalidInput, ServiceError
from courses.models import Assignment, Cohort, Exercise
from courses.queries.assignments import (
    STATUS_RULE,
    assignment_of_cohort,
    assignment_progress,
)
from courses.views.common import AuthenticatedHttpRequest


def _choices(cohort: Cohort) -> dict[str, object]:
    course = cohort.course
    return {
        "skills": list(course.skills.order_by("key")),
        "exercises": list(course.exercises.filter(status=Exercise.Status.ACTIVE).order_by("key")),
        "learners": list(cohort.learners.order_by("username")),
        "target_levels": TARGET_LEVELS,
        "kinds": Assignment.Kind.choices,
    }


@login_required
@require_GET
def assignments_page(request: AuthenticatedHttpRequest, cohort_id: int) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    return render(request, "teacher/assignments.html", {
        "cohort": cohort, "board": assignments_board(cohort), **_choices(cohort),
    })


@login_required
@require_GET
def assignments_dashboard(request: AuthenticatedHttpRequest, cohort_id: int) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    return render(request, "dashboards/class_assignments.html", {
        "cohort": cohort, "board": assignments_board(cohort),
    })


@login_required
@require_POST
def assignment_create(request: AuthenticatedHttpRequest, cohort_id: int) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    try:
        assignment = create_assignment(request.user, cohort, _spec(request.POST))
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("teacher_assignments", cohort_id=cohort.pk)
    messages.success(request, _("Assignment “%(title)s” set.") % {"title": assignment.title})
    return redirect("teacher_assignment", cohort_id=cohort.pk, assignment_id=assignment.pk)


@login_required
@require_GET
def assignment_page(request: AuthenticatedHttpRequest, cohort_id: int, assignment_id: int
                    ) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    assignment = _assignment(cohort, assignment_id)
    return render(request, "teacher/assignment_detail.html", {
        "cohort": cohort, "assignment": assignment, "progress": assignment_progress(assignment),
        "chosen_skills": set(assignment.skills.values_list("key", flat=True)),
        "chosen_exercises": set(assignment.exercises.values_list("key", flat=True)),
        "chosen_learners": set(assignment.learners.values_list("pk", flat=True)),
        "due_value": _local_value(assignment.due_at), "status_rule": STATUS_RULE,
        **_choices(cohort),
    })


@login_required
@require_POST
def assignment_edit(request: AuthenticatedHttpRequest, cohort_id: int, assignment_id: int
                    ) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    assignment = _assignment(cohort, assignment_id)
    try:
        edit_assignment(assignment, _spec(request.POST))
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Assignment saved."))
    return redirect("teacher_assignment", cohort_id=cohort.pk, assignment_id=assignment.pk)


@login_required
@require_POST
def assignment_extend(request: AuthenticatedHttpRequest, cohort_id: int, assignment_id: int
                      ) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    assignment = _assignment(cohort, assignment_id)
    try:
        learner = access.learner_in_cohort(cohort, _int(request.POST.get("learner", "")))
        text = request.POST.get("due_at", "").strip()
        extension = extend_assignment(assignment, learner, read_due(text) if text else None)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Extension given to %(name)s.") % {
            "name": learner.get_username()} if extension else _("Extension taken back."))
    return redirect("teacher_assignment", cohort_id=cohort.pk, assignment_id=assignment.pk)


@login_required
@require_POST
def assignment_delete(request: AuthenticatedHttpRequest, cohort_id: int, assignment_id: int
                      ) -> HttpResponse:
    cohort = access.taught_cohort(request.user, cohort_id)
    delete_assignment(_assignment(cohort, assignment_id))
    messages.success(request, _("Assignment deleted."))
    return redirect("teacher_assignments", cohort_id=cohort.pk)


def _assignment(cohort: Cohort, assignment_id: int) -> Assignment:
    try:
        return assignment_of_cohort(cohort, assignment_id)
    except ServiceError as error:
        raise Http404(error.message) from None


def _spec(form: QueryDict) -> AssignmentSpec:
    return AssignmentSpec(
        title=form.get("title", ""), kind=form.get("kind", ""),
        due_at=read_due(form.get("due_at", "")),
        skill_keys=tuple(form.getlist("skills")), target_level=form.get("target_level", ""),
        exercise_keys=tuple(form.getlist("exercises")),
        learner_ids=tuple(_int(value) for value in form.getlist("learners")),
        lms_grade=form.get("lms_grade") == "on",
    )


def _int(value: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(_("Choose a learner of the class."))
    return int(value)


def _local_value(moment: datetime) -> str:
    """A datetime as a ``datetime-local`` input shows it (the site's time zone)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")
