"""A whole course as one JSON document (format ``learnpath-course``, described in
:mod:`courses.actions.course_import`, which reads it back)."""
from __future__ import annotations

from typing import Any

from courses.models import Course, Exercise
from courses.rules import FORMAT_NAME, FORMAT_VERSION


def export_course(course: Course) -> dict[str, Any]:
    skills = list(course.skills.prefetch_related("prerequisites").order_by("key"))
    exercises = course.exercises.prefetch_related("skills", "choices").order_by("key")
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "course": {"slug": course.slug, "title": course.title, "description": course.description},
        "skills": [
            {
                "key": skill.key,
                "name": skill.name,
                "description": skill.description,
                "area": skill.area,
                "prerequisites": sorted(p.key for p in skill.prerequisites.all()),
            }
            for skill in skills
        ],
        "exercises": [_export_exercise(exercise) for exercise in exercises],
    }


def _export_exercise(exercise: Exercise) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": exercise.key,
        "skills": sorted(skill.key for skill in exercise.skills.all()),
        "prompt": exercise.prompt,
        "kind": exercise.kind,
        "difficulty": exercise.difficulty,
        "hint": exercise.hint,
        "solution": exercise.solution,
        "status": exercise.status,
    }
    if exercise.kind == Exercise.Kind.CHOICE:
        data["choices"] = [
            {"text": choice.text, "correct": choice.is_correct}
            for choice in exercise.choices.all()
        ]
    elif exercise.kind == Exercise.Kind.NUMERIC:
        data["answer"] = exercise.numeric_answer
        data["tolerance"] = exercise.tolerance
    elif exercise.kind == Exercise.Kind.CODE:
        data["code"] = exercise.code
    else:
        data["accepted"] = list(exercise.accepted_answers)
    return data
