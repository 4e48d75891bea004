"""A learner's own side: their skill chart, their learning path, submitting an attempt
(idempotent by client id, exactly as the practice page), and their attempts."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import AfterValidator, Field

from courses import access
from courses.actions.attempts import record_attempt_on
from courses.api.paging import MAX_PAGE, attempt_page
from courses.api.schemas import DENIED, AttemptIn, AttemptOut, AttemptPage, ChartOut, Error, PathOut
from courses.api.tokens import signed_in
from courses.errors import InvalidInput, NotFound
from courses.models import Attempt, Course
from courses.queries.charts import learner_chart_view
from courses.queries.content import ExerciseContent, course_content
from courses.recommend.cache import path_or_pending
from courses.recommend.paths import LearningPath
from courses.templatetags.content import shown_answer

router = Router(tags=["learning"])


def in_utc(moment: datetime) -> datetime:
    """Any ISO 8601 offset a client may send (Python allows ±23:59, PostgreSQL only ±15:59),
    read as the same instant in UTC; a time without an offset is UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("the time is outside the years 1 to 9999 in UTC") from error


Moment = Annotated[datetime, AfterValidator(in_utc)]


class PageQuery(Schema):
    after: int = Field(0, ge=0, le=2**63 - 1,
                       description="The last attempt id of the previous page.")
    limit: int = Field(200, ge=1, le=MAX_PAGE)
    since: Moment | None = Field(None, description="Submitted at or after this time.")
    until: Moment | None = Field(None, description="Submitted before this time.")


def chart_out(learner: User, course: Course) -> dict[str, Any]:
    chart = learner_chart_view(learner, course)
    return {
        "skills": [{"key": r.key, "name": r.name, "area": r.area, "level": r.level,
                    "level_label": r.level_label, "p_mastery_percent": r.percent,
                    "uncertainty_percent": r.uncertainty_percent, "attempts": r.attempts,
                    "correct": r.correct, "ready_to_learn": r.ready,
                    "review_reason": r.review_reason} for r in chart.rows],
        "ready_to_learn": chart.ready_to_learn,
        "due_for_review": [key for key, _ in chart.review],
    }


def path_out(path: LearningPath | None) -> dict[str, Any]:
    if path is None:
        return {"ready": False, "steps": []}
    return {
        "ready": True, "source": path.source, "note": path.note,
        "model_version": path.model_version,
        "steps": [{"exercise": item.exercise_key, "skill": item.skill_key,
                   "skills": [item.skill_name, *item.other_skill_names], "kind": item.kind,
                   "pinned": item.pinned, "predicted_success": round(item.p_success, 4),
                   "reason": item.reason} for item in path.items],
    }


@router.get("/courses/{slug}/chart", response={200: ChartOut, **DENIED})
def my_chart(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Your skill chart in the course (you must be enrolled)."""
    user = signed_in(request)
    return chart_out(user, access.enrolled_course(user, slug))


@router.get("/courses/{slug}/path", response={200: PathOut, **DENIED})
def my_path(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Your learning path: the next exercises, each with its reason. ``ready`` is false for a
    moment after an answer, while a worker plans the path again."""
    user = signed_in(request)
    course = access.enrolled_course(user, slug)
    return path_out(path_or_pending(user, course))


def attempt_out(attempt: Attempt, exercise: ExerciseContent, created: bool) -> dict[str, Any]:
    if exercise.kind == "choice":
        right = ", ".join(c.text for c in exercise.choices if c.is_correct)
    elif exercise.kind == "numeric":
        right = shown_answer(exercise)
    else:
        right = exercise.accepted_answers[0] if exercise.accepted_answers else ""
    return {"id": attempt.pk, "exercise": exercise.key, "correct": attempt.correct,
            "answer": attempt.answer, "submitted_at": attempt.submitted_at, "created": created,
            "solution": exercise.solution, "right_answer": right}


@router.post("/courses/{slug}/attempts",
             response={200: AttemptOut, 201: AttemptOut, 400: Error, 409: Error, **DENIED})
def submit_attempt(request: HttpRequest, slug: str, body: AttemptIn
                   ) -> Status[dict[str, Any]]:
    """Checks and stores your answer. 201 for a new attempt; 200 with the stored attempt when
    this ``client_id`` was already sent for the same exercise (a retry stores nothing twice);
    409 when it was used for another exercise."""
    user = signed_in(request)
    course = access.enrolled_course(user, slug)
    exercise = course_content(course).by_key.get(body.exercise)
    if exercise is None:
        raise NotFound("There is no such exercise in this course.")
    if exercise.is_code:
        raise InvalidInput("This exercise is answered with a program: send it to "
                           f"/api/v1/courses/{slug}/submissions to be judged.")
    given: str | list[int] = body.answer if isinstance(body.answer, str) else list(body.answer)
    outcome = record_attempt_on(learner=user, course=course, exercise=exercise, given=given,
                                client_id=body.client_id, started_at=body.started_at,
                                hint_used=body.hint_used)
    return Status(201 if outcome.created else 200,
                  attempt_out(outcome.attempt, exercise, outcome.created))


@router.get("/courses/{slug}/attempts", response={200: AttemptPage, **DENIED})
def list_attempts(request: HttpRequest, slug: str, page: Query[PageQuery]
                  ) -> dict[str, Any]:
    """Your attempts in the course, oldest first, a page at a time; an admin gets every
    learner's. Teachers read their class's with ``/classes/{id}/attempts``."""
    user = signed_in(request)
    if user.is_superuser:
        course = access.course_or_404(slug)
        attempts = Attempt.objects.filter(course=course)
    else:
        course = access.enrolled_course(user, slug)
        attempts = Attempt.objects.filter(course=course, learner=user)
    return attempt_page(course, attempts, after=page.after, limit=page.limit,
                        since=page.since, until=page.until)


__all__ = ["Error", "router"]
