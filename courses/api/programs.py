"""Programs through the API, exactly as the practice page sends them: a program is stored at
once as a pending submission (idempotent by client id) and judged by a judge worker; the
client asks for the verdict with the submission's URL until it is ``judged``."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from courses import access
from courses.api.schemas import DENIED, Error
from courses.api.tokens import signed_in
from courses.errors import NotFound
from courses.judging import service
from courses.judging.models import Submission
from courses.judging.queries import learners_submission, shown_verdict
from courses.queries.content import course_content

router = Router(tags=["learning"])


class SubmissionIn(Schema):
    exercise: str = Field(max_length=80, description="The code exercise's key.")
    source: str = Field(max_length=service.MAX_SOURCE_CHARS, description="The Python program.")
    client_id: uuid.UUID = Field(
        description="Made by the client once per submission: sending it again stores nothing "
                    "twice and returns the stored submission.")
    purpose: Literal["submit", "examples"] = Field(
        "submit", description="``submit`` judges every test and becomes an attempt; "
                              "``examples`` runs only the visible tests and records nothing.")
    started_at: datetime | None = None
    hint_used: bool = False


class FailedTest(Schema):
    input: str
    expected: str
    got: str


class VerdictOut(Schema):
    outcome: str = Field(description="accepted, wrong_answer, runtime_error, syntax_error, "
                                     "time_limit, memory_limit or output_limit.")
    text: str
    passed: int
    total: int
    first_failure: FailedTest | None = Field(
        None, description="The first failing visible test; hidden tests only as a count.")
    hidden_failed: int
    message: str = Field(description="The trimmed traceback or error, if any.")


class SubmissionOut(Schema):
    id: int
    exercise: str
    purpose: str
    status: Literal["pending", "judging", "judged"]
    created: bool = Field(description="False when this client id was already stored.")
    submitted_at: datetime
    judged_at: datetime | None
    verdict: VerdictOut | None = Field(None, description="Set once judged.")
    attempt: int | None = Field(None, description="The attempt it became (a judged submit).")
    correct: bool | None = Field(None, description="Accepted (set once a submit is judged).")
    url: str = Field(description="Where to ask for the verdict.")


def submission_out(submission: Submission, exercise_key: str, created: bool) -> dict[str, Any]:
    verdict = shown_verdict(submission.verdict)
    judged = submission.status == Submission.Status.JUDGED
    return {
        "id": submission.pk, "exercise": exercise_key, "purpose": submission.purpose,
        "status": submission.status, "created": created, "submitted_at": submission.submitted_at,
        "judged_at": submission.judged_at, "verdict": verdict, "attempt": submission.attempt_id,
        "correct": (bool(verdict and verdict["accepted"])
                    if judged and submission.purpose == Submission.Purpose.SUBMIT else None),
        "url": f"/api/v1/courses/{submission.course.slug}/submissions/{submission.pk}",
    }


@router.post("/courses/{slug}/submissions",
             response={200: SubmissionOut, 202: SubmissionOut, 400: Error, 409: Error, **DENIED})
def submit_program(request: HttpRequest, slug: str, body: SubmissionIn
                   ) -> Status[dict[str, Any]]:
    """Sends a program for a code exercise. 202 with the pending submission (judged in the
    sandbox by a judge worker, usually within seconds: ask its ``url`` until ``status`` is
    ``judged``); 200 with the stored one when this ``client_id`` was already sent for the same
    exercise; 409 when it was used for another exercise; 400 for a program the judge refuses
    (empty, too long, not a code exercise)."""
    user = signed_in(request)
    course = access.enrolled_course(user, slug)
    exercise = course_content(course).by_key.get(body.exercise)
    if exercise is None:
        raise NotFound("There is no such exercise in this course.")
    submission, created = service.submit_program(
        learner=user, course=course, exercise=exercise, source=body.source,
        client_id=body.client_id, purpose=body.purpose, started_at=body.started_at,
        hint_used=body.hint_used)
    return Status(202 if created else 200, submission_out(submission, exercise.key, created))


@router.get("/courses/{slug}/submissions/{submission_id}",
            response={200: SubmissionOut, **DENIED})
def my_submission(request: HttpRequest, slug: str, submission_id: int) -> dict[str, Any]:
    """One of your programs and, once judged, its verdict (404 for anyone else's)."""
    user = signed_in(request)
    course = access.enrolled_course(user, slug)
    if not 0 < submission_id < 2**63:
        raise NotFound("There is no such submission.")
    submission = learners_submission(user, course, submission_id)
    exercise = course_content(course).by_id.get(submission.exercise_id)
    return submission_out(submission, exercise.key if exercise else "", False)
