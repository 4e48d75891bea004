"""A learner's programs: sending one (to run the examples, or as a submission) and following it
until its verdict arrives. The page's script asks for JSON; without JavaScript the form posts
and the submission's page refreshes itself until the verdict is there."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from courses import access
from courses.errors import ServiceError
from courses.judging.models import Submission
from courses.judging.queries import learners_submission, shown_verdict
from courses.judging.service import submit_program
from courses.queries.content import course_content
from courses.views.common import AuthenticatedHttpRequest, error_page
from courses.views.learner import client_id_of, ticket_start

POLL_MS = 400


@login_required
@require_POST
def send_program(request: AuthenticatedHttpRequest, slug: str, key: str) -> HttpResponse:
    course = access.enrolled_course(request.user, slug)
    exercise = course_content(course).by_key.get(key)
    if exercise is None:
        raise Http404(gettext("There is no such exercise."))
    purpose = (Submission.Purpose.EXAMPLES if request.POST.get("purpose") == "examples"
               else Submission.Purpose.SUBMIT)
    try:
        submission, _ = submit_program(
            learner=request.user, course=course, exercise=exercise,
            source=request.POST.get("source", ""), client_id=client_id_of(request),
            purpose=purpose, started_at=ticket_start(request, exercise),
            hint_used=request.POST.get("hint_used") == "1",
        )
    except ServiceError as error:
        if _wants_json(request):
            return JsonResponse({"error": error.message}, status=error.status)
        return error_page(request, error, course=course)
    if _wants_json(request):
        return JsonResponse(_status(request, submission), status=202)
    return redirect("submission", slug=course.slug, submission_id=submission.pk)


@login_required
@require_GET
def submission_page(request: AuthenticatedHttpRequest, slug: str,
                    submission_id: int) -> HttpResponse:
    """Without JavaScript: waits (refreshing itself), then shows the verdict; a judged
    submission that was accepted goes on to its feedback page."""
    course = access.enrolled_course(request.user, slug)
    submission = learners_submission(request.user, course, submission_id)
    verdict = shown_verdict(submission.verdict)
    if verdict and verdict["accepted"] and submission.attempt_id is not None:
        return redirect("attempt_feedback", slug=course.slug, attempt_id=submission.attempt_id)
    exercise = course_content(course).by_id[submission.exercise_id]
    return render(request, "judging/submission.html", {
        "course": course, "submission": submission, "exercise": exercise, "verdict": verdict,
        "poll_seconds": 1,
    })


@login_required
@require_GET
def submission_status(request: AuthenticatedHttpRequest, slug: str,
                      submission_id: int) -> JsonResponse:
    course = access.enrolled_course(request.user, slug)
    return JsonResponse(_status(request, learners_submission(request.user, course,
                                                             submission_id)))


def _status(request: HttpRequest, submission: Submission) -> dict[str, Any]:
    slug = submission.course.slug
    status_url = reverse("submission_status", args=[slug, submission.pk])
    if submission.status != Submission.Status.JUDGED:
        return {"done": False, "status": submission.status, "poll": status_url,
                "retry_ms": POLL_MS}
    verdict = shown_verdict(submission.verdict)
    feedback = (reverse("attempt_feedback", args=[slug, submission.attempt_id])
                if submission.attempt_id is not None else None)
    html = render_to_string("judging/_verdict.html", {
        "verdict": verdict, "submission": submission, "feedback_url": feedback,
    }, request)
    return {"done": True, "status": submission.status, "html": html, "feedback_url": feedback,
            "accepted": bool(verdict and verdict["accepted"]),
            "purpose": submission.purpose}


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")
