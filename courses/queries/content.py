"""A course's exercises as the practice pages and the answer check see them (each exercise with
its skills, options and answer key), and the skills' ids and BKT parameters the chart update
needs, read in four queries and kept per process until the course's content changes
(:class:`courses.queries.per_content.PerContent`): showing an exercise, checking an answer,
updating the chart or showing the feedback reads no exercise, skill or option from the database.

Retired exercises are kept too: their attempts still have feedback pages.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from courses.models import Choice, Course, Exercise
from courses.queries.charts import params_for
from courses.queries.per_content import PerContent
from courses.rules import takes_several_options
from learnpath.answers import AnswerKey
from learnpath.mastery import BKTParams


@dataclass(frozen=True, slots=True)
class SkillTag:
    id: int
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Option:
    id: int
    text: str
    is_correct: bool


@dataclass(frozen=True)
class ExerciseContent:
    """An exercise as authored, with its skills (by key) and options (in their order)."""

    id: int
    key: str
    kind: str
    prompt: str
    hint: str
    solution: str
    numeric_answer: float | None
    tolerance: float
    accepted_answers: tuple[str, ...]
    difficulty: int
    status: str
    skills: tuple[SkillTag, ...]
    choices: tuple[Option, ...]
    code: Mapping[str, Any]  # a program's starter, reference, tests and limits; {} otherwise

    @property
    def is_code(self) -> bool:
        return self.kind == Exercise.Kind.CODE

    @property
    def is_active(self) -> bool:
        return self.status == Exercise.Status.ACTIVE

    @property
    def is_choice(self) -> bool:
        return self.kind == Exercise.Kind.CHOICE

    @property
    def takes_several_options(self) -> bool:
        return takes_several_options([choice.is_correct for choice in self.choices])

    @property
    def skill_keys(self) -> list[str]:
        return [skill.key for skill in self.skills]

    @property
    def answer_key(self) -> AnswerKey:
        return answer_key(self.kind, self.choices, self.numeric_answer, self.tolerance,
                          self.accepted_answers)


def answer_key(kind: str, choices: tuple[Option, ...] | list[Option],
               numeric_answer: float | None, tolerance: float,
               accepted_answers: tuple[str, ...]) -> AnswerKey:
    """What an exercise accepts (options count only for a choice exercise)."""
    options = choices if kind == Exercise.Kind.CHOICE else ()
    return AnswerKey(
        kind=kind,
        choice_ids=frozenset(option.id for option in options),
        correct_choice_ids=frozenset(option.id for option in options if option.is_correct),
        numeric_answer=numeric_answer,
        tolerance=tolerance,
        accepted_answers=accepted_answers,
    )


@dataclass(frozen=True)
class CourseContent:
    by_key: dict[str, ExerciseContent]
    by_id: dict[int, ExerciseContent]
    skill_ids: dict[str, int]
    params: dict[str, BKTParams]  # fitted BKT parameters; a skill without any uses the defaults

    @classmethod
    def load(cls, course: Course) -> CourseContent:
        course_skills = list(course.skills.only("id", "key", "bkt_params"))
        skills: dict[int, list[SkillTag]] = defaultdict(list)
        for exercise_id, skill_id, key, name in (
            Exercise.skills.through.objects.filter(exercise__course=course)
            .order_by("exercise_id", "skill__key")
            .values_list("exercise_id", "skill_id", "skill__key", "skill__name")
        ):
            skills[exercise_id].append(SkillTag(skill_id, key, name))
        choices: dict[int, list[Option]] = defaultdict(list)
        for choice_id, exercise_id, text, is_correct in (
            Choice.objects.filter(exercise__course=course)
            .order_by("exercise_id", "position", "id")
            .values_list("id", "exercise_id", "text", "is_correct")
        ):
            choices[exercise_id].append(Option(choice_id, text, is_correct))
        exercises = [
            ExerciseContent(
                id=row.pk, key=row.key, kind=row.kind, prompt=row.prompt, hint=row.hint,
                solution=row.solution, numeric_answer=row.numeric_answer,
                tolerance=row.tolerance, accepted_answers=tuple(row.accepted_answers or ()),
                difficulty=row.difficulty, status=row.status,
                skills=tuple(skills.get(row.pk, ())), choices=tuple(choices.get(row.pk, ())),
                code=row.code if row.kind == Exercise.Kind.CODE else {},
            )
            for row in Exercise.objects.filter(course=course).only(
                "id", "key", "kind", "prompt", "hint", "solution", "numeric_answer",
                "tolerance", "accepted_answers", "difficulty", "status", "code",
            )
        ]
        return cls({exercise.key: exercise for exercise in exercises},
                   {exercise.id: exercise for exercise in exercises},
                   {skill.key: skill.pk for skill in course_skills}, params_for(course_skills))


_contents: PerContent[CourseContent] = PerContent(CourseContent.load)


def course_content(course: Course) -> CourseContent:
    return _contents.of(course)
