"""The API's request and response shapes (pydantic, via django-ninja): what the OpenAPI
document publishes and what every response is checked against."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field


class Error(Schema):
    detail: str = Field(description="What was wrong, for a person to read.")


class Problems(Schema):
    detail: str
    problems: list[str]


# The errors any authenticated route can answer with.
DENIED: dict[int, type[Schema]] = {401: Error, 403: Error, 404: Error, 422: Problems, 429: Error}


class CourseOut(Schema):
    slug: str
    title: str
    description: str
    enrolled: bool
    content_version: int


class SkillOut(Schema):
    key: str
    name: str
    description: str
    area: str
    prerequisites: list[str] = Field(description="Keys of the skills this one builds on.")


class ChoiceOut(Schema):
    id: int
    text: str
    correct: bool | None = Field(None, description="Only for the course's teachers and admins.")


class ExerciseOut(Schema):
    key: str
    kind: str
    prompt: str
    hint: str
    difficulty: int
    status: str
    skills: list[str]
    choices: list[ChoiceOut]
    several_options: bool = Field(description="Whether more than one option is right.")
    solution: str | None = Field(None, description="Only for the course's teachers and admins.")
    answer: str | None = Field(
        None, description="The right answer as the author wrote it (teachers and admins only).")
    tolerance: float | None = None
    accepted: list[str] | None = None


class ChartSkill(Schema):
    key: str
    name: str
    area: str
    level: str
    level_label: str
    p_mastery_percent: int
    uncertainty_percent: int
    attempts: int
    correct: int
    ready_to_learn: bool
    review_reason: str


class ChartOut(Schema):
    skills: list[ChartSkill]
    ready_to_learn: list[str]
    due_for_review: list[str]


class PathStep(Schema):
    exercise: str
    skill: str
    skills: list[str] = Field(description="The names of every skill the exercise trains.")
    kind: str
    pinned: bool
    predicted_success: float = Field(ge=0, le=1)
    reason: str


class PathOut(Schema):
    ready: bool = Field(description="False while a worker is still planning the path.")
    source: str | None = None
    note: str | None = None
    model_version: int | None = None
    steps: list[PathStep]


class AttemptIn(Schema):
    exercise: str = Field(max_length=80, description="The exercise's key.")
    answer: Annotated[str, Field(max_length=500)] | Annotated[list[int], Field(max_length=100)] = (
        Field(description="The text or number typed, or the ids of the chosen options."))
    client_id: uuid.UUID = Field(
        description="Made by the client once per submission: sending it again stores nothing "
                    "twice and returns the stored attempt.")
    started_at: datetime | None = None
    hint_used: bool = False


class AttemptOut(Schema):
    id: int
    exercise: str
    correct: bool
    answer: Any
    submitted_at: datetime
    created: bool = Field(description="False when this client id was already stored.")
    solution: str
    right_answer: str


class AttemptRow(Schema):
    id: int
    learner: str
    exercise: str
    skills: list[str]
    correct: bool
    answer: Any
    started_at: datetime
    submitted_at: datetime
    hint_used: bool
    session: int


class AttemptPage(Schema):
    items: list[AttemptRow]
    next_after: int | None = Field(
        description="Pass as ``after`` for the next page; null on the last page.")


class ClassOut(Schema):
    id: int
    name: str
    course: str
    teacher: str
    learners: int


class LearnerCell(Schema):
    skill: str
    level: str
    p_mastery: float | None
    attempts: int
    wrong: int


class LearnerRow(Schema):
    id: int
    username: str
    full_name: str
    attempts: int
    last_active: datetime | None
    mean_mastery_percent: int
    skills: list[LearnerCell]
    needs_help: list[str]


class DashboardOut(Schema):
    class_id: int
    course: str
    skills: list[SkillOut]
    learners: list[LearnerRow]
    help_rule: list[str]


class ImportOut(Schema):
    slug: str
    created: bool
    skills: int
    exercises: int
    retired: list[str] = Field(description="Keys of exercises retired by this import.")


class TrainingRunOut(Schema):
    id: int
    course: str
    status: str
    trigger: str
    progress: float
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    model_version: int | None
    created: bool = Field(False, description="False when a run was already queued or running.")


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown this once: store it now.")
