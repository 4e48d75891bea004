"""Learner pages: courses, enrolment, practice with immediate feedback, the own skill chart."""
from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courses import access
from courses.actions.attempts import check_exercise_active, record_attempt_on
from courses.actions.enrolment import enrol
from courses.errors import InvalidInput, ServiceError
from courses.judging.queries import attempt_verdict, program_page
from courses.models import Attempt, Course
from courses.queries.assignments import learner_assignments
from courses.queries.charts import learner_chart_view
from courses.queries.content import ExerciseContent, course_content
from courses.recommend import practice
from courses.recommend.cache import learning_path, path_or_pending
from courses.views.common import AuthenticatedHttpRequest, error_page

TICKET_SALT = "learnpath.practice"
TICKET_MAX_AGE_SECONDS = 24 * 3600
PATH_POLL_MS = 300


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    enrolled = Course.objects.filter(enrollments__learner=request.user)
    if access.is_teacher(request.user) and not enrolled.exists():
        return redirect("teacher_classes")
    return render(
        request,
        "courses/home.html",
        {
            "enrolled": enrolled,
            "available": Course.objects.exclude(enrollments__learner=request.user),
            "is_teacher": access.is_teacher(request.user),
        },
    )


@login_required
@require_POST
def enrol_view(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    enrol(request.user, course)
    messages.success(request, _("You are enrolled in %(course)s.") % {"course": course.title})
    return redirect("course_detail", slug=course.slug)


@login_required
@require_GET
def course_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course, enrolled = access.course_with_enrolment(request.user, slug)
    if not enrolled:
        return render(request, "courses/course_enrol.html", {"course": course})
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "chart": learner_chart_view(request.user, course),
            "path": learning_path(request.user, course),
            "assignments": learner_assignments(request.user, course),
        },
    )


@login_required
@require_GET
def practice_next(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    course = access.enrolled_course(request.user, slug)
    path = learning_path(request.user, course)
    if path.items:
        return redirect("exercise", slug=course.slug, key=path.items[0].exercise_key)
    exercise = practice.next_exercise(request.user, course)
    if exercise is None:
        messages.info(request, _("This course has no exercises to practise yet."))
        return redirect("course_detail", slug=course.slug)
    return redirect("exercise", slug=course.slug, key=exercise.key)


@login_required
@require_http_methods(["GET", "POST"])
def exercise_view(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    course = access.enrolled_course(request.user, slug)
    exercise = course_content(course).by_key.get(key)
    if exercise is None:
        raise Http404(_("There is no such exercise."))
    try:
        check_exercise_active(exercise)  # enrolled_course has checked the enrolment
    except ServiceError as error:
        return error_page(request, error, course=course)
    if request.method == "GET":
        return _render_exercise(request, course, exercise)
    try:
        outcome = record_attempt_on(
            learner=request.user,
            course=course,
            exercise=exercise,
            given=_given_answer(request, exercise),
            client_id=client_id_of(request),
            started_at=ticket_start(request, exercise),
            hint_used=request.POST.get("hint_used") == "1",
        )
    except ServiceError as error:
        return _render_exercise(request, course, exercise, error=error.message, status=error.status)
    return redirect("attempt_feedback", slug=course.slug, attempt_id=outcome.attempt.pk)


@login_required
@require_GET
def attempt_feedback(request: AuthenticatedHttpRequest, slug: str, attempt_id: int) -> HttpResponse:
    course = access.enrolled_course(request.user, slug)
    attempt = get_object_or_404(
        Attempt.objects.only("id", "exercise_id", "answer", "correct"),
        pk=attempt_id,
        learner=request.user,
        course=course,
    )
    exercise = course_content(course).by_id[attempt.exercise_id]
    return render(
        request,
        "courses/feedback.html",
        {
            "course": course,
            "attempt": attempt,
            "exercise": exercise,
            "correct_choices": [choice for choice in exercise.choices if choice.is_correct],
            "given_choices": _given_choice_texts(attempt, exercise),
            "program_verdict": attempt_verdict(attempt) if exercise.is_code else None,
            "path": path_or_pending(request.user, course),
        },
    )


@login_required
@require_GET
def path_fragment(request: AuthenticatedHttpRequest, slug: str) -> JsonResponse:
    """The learner's own path as an HTML fragment, for the feedback page's script: ``ready``
    false (with when to ask again) while the worker is still planning it after an answer."""
    course = access.enrolled_course(request.user, slug)
    path = path_or_pending(request.user, course)
    if path is None:
        return JsonResponse({"ready": False, "retry_ms": PATH_POLL_MS})
    html = render_to_string("courses/_path.html", {"course": course, "path": path}, request)
    return JsonResponse({"ready": True, "html": html})


def _render_exercise(
    request: AuthenticatedHttpRequest,
    course: Course,
    exercise: ExerciseContent,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    ticket = signing.dumps(
        {"exercise": exercise.id, "started": timezone.now().isoformat()}, salt=TICKET_SALT
    )
    return render(
        request,
        "courses/exercise.html",
        {
            "course": course,
            "exercise": exercise,
            "choices": exercise.choices,
            "multiple": exercise.takes_several_options,
            "client_id": request.POST.get("client_id") or uuid.uuid4(),
            "ticket": ticket,
            "error": error,
            "previous_answer": request.POST.get("answer", ""),
            "previous_choices": request.POST.getlist("choice"),
            "path": learning_path(request.user, course),
            "program": program_page(request.user, exercise) if exercise.is_code else None,
        },
        status=status,
    )


def _given_answer(request: HttpRequest, exercise: ExerciseContent) -> str | list[str]:
    if exercise.is_choice:
        return request.POST.getlist("choice")
    return request.POST.get("answer", "")


def client_id_of(request: HttpRequest) -> uuid.UUID:
    try:
        return uuid.UUID(request.POST.get("client_id", ""))
    except ValueError:
        raise InvalidInput(_("The form is incomplete; please reload the exercise.")) from None


def ticket_start(request: HttpRequest, exercise: ExerciseContent) -> datetime:
    try:
        ticket = signing.loads(
            request.POST.get("ticket", ""), salt=TICKET_SALT, max_age=TICKET_MAX_AGE_SECONDS
        )
    except signing.BadSignature:
        raise InvalidInput(_("This exercise page has expired; please reload it.")) from None
    if ticket.get("exercise") != exercise.id:
        raise InvalidInput(_("This answer was meant for another exercise; please reload."))
    return datetime.fromisoformat(ticket["started"])


def _given_choice_texts(attempt: Attempt, exercise: ExerciseContent) -> list[str]:
    if not exercise.is_choice or not isinstance(attempt.answer, list):
        return []
    given = set(attempt.answer)
    return [choice.text for choice in exercise.choices if choice.id in given]
