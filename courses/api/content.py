"""Courses, their skills with prerequisites, their exercises (answers only for the course's
teachers and admins), and a course's JSON document in and out."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Body, Router, Status

from courses import access
from courses.actions.course_import import import_course
from courses.api.schemas import (
    DENIED,
    ChoiceOut,
    CourseOut,
    Error,
    ExerciseOut,
    ImportOut,
    Problems,
    SkillOut,
)
from courses.api.tokens import signed_in
from courses.errors import NotFound
from courses.models import Course, Enrollment
from courses.queries.content import ExerciseContent, course_content
from courses.queries.course_export import export_course
from courses.templatetags.content import shown_answer

router = Router(tags=["content"])
def course_out(course: Course, enrolled: bool) -> dict[str, Any]:
    return {"slug": course.slug, "title": course.title, "description": course.description,
            "enrolled": enrolled, "content_version": course.content_version}


@router.get("/courses", response={200: list[CourseOut], **DENIED})
def list_courses(request: HttpRequest) -> list[dict[str, Any]]:
    """Every course, each saying whether you are enrolled in it."""
    mine = set(Enrollment.objects.filter(learner=signed_in(request))
               .values_list("course_id", flat=True))
    return [course_out(course, course.pk in mine) for course in Course.objects.order_by("slug")]


@router.get("/courses/{slug}", response={200: CourseOut, **DENIED})
def get_course(request: HttpRequest, slug: str) -> dict[str, Any]:
    course = access.course_or_404(slug)
    return course_out(course, access.is_enrolled(signed_in(request), course))


@router.get("/courses/{slug}/skills", response={200: list[SkillOut], **DENIED})
def list_skills(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """The course's skills, each with the keys of its prerequisites."""
    course = access.course_or_404(slug)
    skills = course.skills.prefetch_related("prerequisites").order_by("key")
    return [{"key": s.key, "name": s.name, "description": s.description, "area": s.area,
             "prerequisites": sorted(p.key for p in s.prerequisites.all())} for s in skills]


def exercise_out(exercise: ExerciseContent, with_answers: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": exercise.key, "kind": exercise.kind, "prompt": exercise.prompt,
        "hint": exercise.hint, "difficulty": exercise.difficulty, "status": exercise.status,
        "skills": exercise.skill_keys,
        "choices": [ChoiceOut(id=c.id, text=c.text,
                              correct=c.is_correct if with_answers else None)
                    for c in exercise.choices],
        "several_options": exercise.takes_several_options,
    }
    if with_answers:
        data["solution"] = exercise.solution
        if exercise.kind == "numeric":
            data["answer"], data["tolerance"] = shown_answer(exercise), exercise.tolerance
        elif exercise.kind != "choice":
            data["accepted"] = list(exercise.accepted_answers)
    return data


@router.get("/courses/{slug}/exercises", response={200: list[ExerciseOut], **DENIED})
def list_exercises(request: HttpRequest, slug: str, include_retired: bool = False
                   ) -> list[dict[str, Any]]:
    """The course's exercises (active ones unless ``include_retired``), for enrolled learners
    without answers or solutions; with them for the course's teachers and admins."""
    course, with_answers = access.course_readable(signed_in(request), slug)
    found = sorted(course_content(course).by_key.values(), key=lambda e: e.key)
    return [exercise_out(e, with_answers) for e in found if include_retired or e.is_active]


@router.get("/courses/{slug}/exercises/{key}", response={200: ExerciseOut, **DENIED})
def get_exercise(request: HttpRequest, slug: str, key: str) -> dict[str, Any]:
    course, with_answers = access.course_readable(signed_in(request), slug)
    exercise = course_content(course).by_key.get(key)
    if exercise is None:
        raise NotFound("There is no such exercise in this course.")
    return exercise_out(exercise, with_answers)


@router.get("/courses/{slug}/export", response={200: dict[str, Any], **DENIED})
def export(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The whole course as a ``learnpath-course`` JSON document (teachers and admins), which
    ``POST /courses`` reads back."""
    course, with_answers = access.course_readable(signed_in(request), slug)
    if not with_answers:
        raise PermissionDenied("Only the course's teachers and admins may export it.")
    return export_course(course)


@router.post("/courses", response={200: ImportOut, 201: ImportOut, 400: Problems, 413: Error,
                                          **DENIED})
def import_document(request: HttpRequest, document: Body[dict[str, Any]]
                    ) -> Status[dict[str, Any]]:
    """Creates or updates a course from a ``learnpath-course`` JSON document sent as the
    request body (admins). Nothing is written unless the whole document is valid; a 400 lists
    every problem."""
    access.check_admin(signed_in(request))
    summary = import_course(document)
    return Status(201 if summary.created else 200, {
        "slug": summary.course.slug, "created": summary.created, "skills": summary.skills,
        "exercises": summary.exercises, "retired": summary.retired})
