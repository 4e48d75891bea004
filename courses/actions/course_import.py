"""A whole course from one JSON document: validation and atomic import (the export is
:mod:`courses.queries.course_export`).

Format ``learnpath-course`` version 1::

    {"format": "learnpath-course", "version": 1,
     "course": {"slug", "title", "description"},
     "skills": [{"key", "name", "description", "area", "prerequisites": [skill keys]}],
     "exercises": [{"key", "skills": [skill keys], "prompt", "kind", "difficulty" (1-5),
                    "hint", "solution", "status" ("active" | "retired"),
                    "choices": [{"text", "correct"}]        # kind "choice", 2 to 50
                    "answer": number, "tolerance": number   # kind "numeric"
                    "accepted": [strings]                   # kind "text"
                    "code": {"starter", "reference",        # kind "code" (a Python program):
                             "tests": [{"call", "args", "expected", "visible"}
                                       | {"stdin", "stdout", "visible"}],
                             "limits": {"cpu_seconds", "memory_mb", "output_kb", ...}}}]}

Import validates the whole document first and reports every problem with where it is
(``exercises[4] (frac-add-02).choices: ...``); nothing is written unless all is well. Text must
fit its column and hold no NUL or lone surrogate anywhere (no database can store them); numbers
must be finite. A code exercise's reference solution must pass its tests, run in the judge's
sandbox (a machine without the sandbox cannot import programs). Importing over an existing
course (same slug) updates skills and exercises by key in one transaction: exercises that are
missing from the document and have attempts are retired, not deleted, so learners' history is
kept.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from courses.errors import InvalidInput
from courses.jobs import schedule_chart_rebuild
from courses.judging.spec import reference_problems
from courses.models import Attempt, Choice, Course, Exercise, Prerequisite, Skill
from courses.rules import (
    FORMAT_NAME,
    FORMAT_VERSION,
    answer_problems,
    key_problems,
    nonempty_text,
)
from learnpath.skillgraph import SkillSpec, validate_skills

MAX_PROMPT_LENGTH = 10_000
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class CourseDocumentError(InvalidInput):
    """The document is not a valid course; ``problems`` says where, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"The course file has {len(problems)} problem(s): {shown}{more}")


@dataclass
class ImportSummary:
    course: Course
    created: bool
    skills: int = 0
    exercises: int = 0
    retired: list[str] = field(default_factory=list)


def parse_course_json(raw: bytes | str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except UnicodeDecodeError as error:
        raise CourseDocumentError([f"the file is not UTF-8 text ({error.reason})"]) from error
    except json.JSONDecodeError as error:
        raise CourseDocumentError(
            [f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"]
        ) from error
    except (ValueError, RecursionError) as error:
        # Integers of over 4300 digits, or nesting deeper than the parser's recursion limit.
        raise CourseDocumentError([f"not valid JSON: {error}"]) from error
    if not isinstance(document, dict):
        raise CourseDocumentError(["the document must be a JSON object"])
    return document


def validate_course_document(document: Mapping[str, Any]) -> list[str]:
    """Every problem in the document, each prefixed with where it is; empty when valid."""
    problems = _unstorable_text(document)
    if document.get("format") != FORMAT_NAME:
        problems.append(f"format: must be {FORMAT_NAME!r}")
    if document.get("version") != FORMAT_VERSION:
        problems.append(f"version: must be {FORMAT_VERSION}")
    course = document.get("course")
    if not isinstance(course, dict):
        problems.append("course: must be an object with slug and title")
    else:
        problems += _check_key(course.get("slug"), "course.slug")
        problems += _check_name(course.get("title"), "course.title", Course, "title")
        if not isinstance(course.get("description", ""), str):
            problems.append("course.description: must be a string")
    skills = _list_of_objects(document.get("skills"), "skills", problems)
    exercises = _list_of_objects(document.get("exercises"), "exercises", problems)
    skill_keys = _validate_skills(skills, problems)
    validate_exercises(exercises, skill_keys, problems)
    # Messages quote the document: keep what cannot be shown or stored out of them too.
    return [UNSTORABLE.sub("\ufffd", problem) for problem in problems]


def _list_of_objects(value: Any, where: str, problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        problems.append(f"{where}: must be a list")
        return []
    good = []
    for index, item in enumerate(value):
        if isinstance(item, dict):
            good.append(item)
        else:
            problems.append(f"{where}[{index}]: must be an object")
    return good


def _unstorable_text(document: Mapping[str, Any]) -> list[str]:
    """Strings anywhere in the document (keys too) that no database column can hold."""
    problems = []
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, dict):
            inside = f"{where}." if where else ""
            pending += [(f"{inside}{name}", item) for name, item in value.items()]
            pending += [(f"{where or 'document'} key {str(name)[:20]!r}", name) for name in value]
        elif isinstance(value, list):
            pending += [(f"{where}[{index}]", item) for index, item in enumerate(value)]
        elif isinstance(value, str) and UNSTORABLE.search(value):
            problems.append(f"{where}: text must not contain NUL or lone surrogate characters")
    return sorted(problems)


def _max_length(model: type[Any], name: str) -> int:
    return int(model._meta.get_field(name).max_length)


def _fits(value: Any, model: type[Any], field_name: str) -> bool:
    """A non-empty string that, stripped as it is stored, fits the model's column."""
    return nonempty_text(value) and len(value.strip()) <= _max_length(model, field_name)


def _check_name(value: Any, where: str, model: type[Any], field_name: str) -> list[str]:
    if not _fits(value, model, field_name):
        longest = _max_length(model, field_name)
        return [f"{where}: must be a non-empty string of at most {longest} characters"]
    return []


def _check_key(value: Any, where: str) -> list[str]:
    return [f"{where}: {problem}" for problem in key_problems(value)]


def _validate_skills(skills: list[dict[str, Any]], problems: list[str]) -> set[str]:
    specs: list[SkillSpec] = []
    for index, skill in enumerate(skills):
        where = f"skills[{index}]"
        key_problems = _check_key(skill.get("key"), f"{where}.key")
        problems += key_problems
        name_problems = _check_name(skill.get("name"), f"{where}.name", Skill, "name")
        problems += name_problems
        prerequisites = skill.get("prerequisites", [])
        if not isinstance(prerequisites, list) or not all(
            isinstance(p, str) for p in prerequisites
        ):
            problems.append(f"{where}.prerequisites: must be a list of skill keys")
            prerequisites = []
        for name in ("description", "area"):
            if not isinstance(skill.get(name, ""), str):
                problems.append(f"{where}.{name}: must be a string")
        if len(str(skill.get("area", ""))) > _max_length(Skill, "area"):
            problems.append(f"{where}.area: at most {_max_length(Skill, 'area')} characters")
        if not key_problems and not name_problems:
            specs.append(
                SkillSpec(
                    key=skill["key"],
                    name=skill["name"].strip(),
                    prerequisites=tuple(prerequisites),
                    area=str(skill.get("area", "")),
                )
            )
    problems += [f"skills: {problem.message}" for problem in validate_skills(specs)]
    return {spec.key for spec in specs}


def validate_exercises(
    exercises: list[dict[str, Any]], skill_keys: set[str], problems: list[str]
) -> None:
    """Adds a line to ``problems`` for everything wrong with these course-document exercise
    items (also used for question-bank imports, :mod:`courses.actions.bank_import`)."""
    seen: set[str] = set()
    for index, exercise in enumerate(exercises):
        key = exercise.get("key")
        where = f"exercises[{index}]" + (f" ({key})" if isinstance(key, str) else "")
        problems += _check_key(key, f"{where}.key")
        if isinstance(key, str) and key in seen:
            problems.append(f"{where}.key: {key!r} is used twice")
        seen.add(key if isinstance(key, str) else "")
        tagged = exercise.get("skills")
        if not isinstance(tagged, list) or not tagged:
            problems.append(f"{where}.skills: must list at least one skill key")
        else:
            unknown = [s for s in tagged if not isinstance(s, str) or s not in skill_keys]
            if unknown:
                problems.append(f"{where}.skills: unknown skill(s) {unknown}")
        prompt = exercise.get("prompt")
        if not nonempty_text(prompt) or len(prompt) > MAX_PROMPT_LENGTH:
            problems.append(f"{where}.prompt: must be text of 1 to {MAX_PROMPT_LENGTH} characters")
        difficulty = exercise.get("difficulty", 2)
        if isinstance(difficulty, bool) or difficulty not in (1, 2, 3, 4, 5):
            problems.append(f"{where}.difficulty: must be an integer from 1 to 5")
        if exercise.get("status", "active") not in Exercise.Status.values:
            problems.append(f"{where}.status: must be 'active' or 'retired'")
        for name in ("hint", "solution"):
            if not isinstance(exercise.get(name, ""), str):
                problems.append(f"{where}.{name}: must be a string")
        problems += _answer_problems(exercise, where)


def _answer_problems(exercise: dict[str, Any], where: str) -> list[str]:
    choices = exercise.get("choices")
    options = [(c.get("text"), c.get("correct", False)) if isinstance(c, dict) else (None, None)
               for c in choices] if isinstance(choices, list) else []
    problems = answer_problems(
        exercise.get("kind"), choices=options, answer=exercise.get("answer"),
        tolerance=exercise.get("tolerance", 0), accepted=exercise.get("accepted"),
        code=exercise.get("code"),
    )
    return [f"{where}.{field}: {message}" for field, message in problems]


def import_course(document: Mapping[str, Any]) -> ImportSummary:
    """Validates, then creates or updates the course in one transaction."""
    problems = validate_course_document(document)
    problems = problems or _program_problems(document["exercises"])
    if problems:
        raise CourseDocumentError(problems)
    meta = document["course"]
    with transaction.atomic():
        course, created = Course.objects.select_for_update().get_or_create(
            slug=meta["slug"], defaults={"title": meta["title"].strip()}
        )
        course.title = meta["title"].strip()
        course.description = str(meta.get("description", ""))
        course.save()
        skills_by_key = _import_skills(course, document["skills"])
        summary = ImportSummary(course=course, created=created, skills=len(skills_by_key))
        summary.exercises, summary.retired = _import_exercises(
            course, document["exercises"], skills_by_key
        )
        if not created:
            schedule_chart_rebuild(course.pk)
    return summary


def _program_problems(exercises: list[dict[str, Any]]) -> list[str]:
    """Every code exercise's reference solution, run against its tests in the sandbox (as the
    admin does when one is saved)."""
    return [f"exercises[{index}] ({item['key']}).code: {problem}"
            for index, item in enumerate(exercises) if item["kind"] == "code"
            for problem in reference_problems(item["code"])]


def _import_skills(course: Course, skills: list[dict[str, Any]]) -> dict[str, Skill]:
    existing = {skill.key: skill for skill in course.skills.all()}
    wanted = {item["key"] for item in skills}
    # Names are unique per course: clear the old rows out of the way before renaming.
    for key, skill in existing.items():
        if key not in wanted:
            skill.delete()
        else:
            skill.name = f"__importing__{skill.pk}"
            skill.save(update_fields=["name"])
    by_key: dict[str, Skill] = {}
    for item in skills:
        skill = existing.get(item["key"]) or Skill(course=course, key=item["key"])
        skill.name = item["name"].strip()
        skill.description = item.get("description", "")
        skill.area = item.get("area", "")
        skill.save()
        by_key[skill.key] = skill
    Prerequisite.objects.filter(skill__course=course).delete()
    Prerequisite.objects.bulk_create(
        Prerequisite(skill=by_key[item["key"]], prerequisite=by_key[prerequisite])
        for item in skills
        for prerequisite in dict.fromkeys(item.get("prerequisites", []))
    )
    return by_key


def _import_exercises(
    course: Course, exercises: list[dict[str, Any]], skills_by_key: dict[str, Skill]
) -> tuple[int, list[str]]:
    existing = {exercise.key: exercise for exercise in course.exercises.all()}
    for item in exercises:
        apply_exercise_item(course, existing.pop(item["key"], None), item, skills_by_key)
    retired = []
    attempted = set(
        Attempt.objects.filter(exercise__in=existing.values()).values_list("exercise_id", flat=True)
    )
    for exercise in existing.values():
        if exercise.id in attempted:
            exercise.status = Exercise.Status.RETIRED
            exercise.save(update_fields=["status", "updated_at"])
            retired.append(exercise.key)
        else:
            exercise.delete()
    return len(exercises), retired


def apply_exercise_item(course: Course, exercise: Exercise | None, item: Mapping[str, Any],
                        skills_by_key: Mapping[str, Skill]) -> Exercise:
    """Creates (``exercise`` None) or updates one exercise from a validated course-document
    item: its fields, its skills and its options (kept, ids and all, when unchanged)."""
    exercise = exercise or Exercise(course=course, key=item["key"])
    exercise.prompt = item["prompt"]
    exercise.kind = item["kind"]
    exercise.difficulty = item.get("difficulty", 2)
    exercise.hint = item.get("hint", "")
    exercise.solution = item.get("solution", "")
    exercise.status = item.get("status", Exercise.Status.ACTIVE)
    exercise.numeric_answer = item.get("answer") if item["kind"] == "numeric" else None
    exercise.tolerance = item.get("tolerance", 0) if item["kind"] == "numeric" else 0
    exercise.accepted_answers = item.get("accepted", []) if item["kind"] == "text" else []
    exercise.code = item.get("code", {}) if item["kind"] == "code" else {}
    exercise.save()
    exercise.skills.set([skills_by_key[key] for key in item["skills"]])
    _replace_choices(exercise, item.get("choices", []) if item["kind"] == "choice" else [])
    return exercise


def _replace_choices(exercise: Exercise, choices: list[dict[str, Any]]) -> None:
    current = list(exercise.choices.all())
    wanted = [(c["text"].strip(), bool(c.get("correct", False))) for c in choices]
    if [(c.text, c.is_correct) for c in current] == wanted:
        return  # Keep option ids stable: stored answers refer to them.
    exercise.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(exercise=exercise, text=text, is_correct=correct, position=position)
        for position, (text, correct) in enumerate(wanted)
    )
