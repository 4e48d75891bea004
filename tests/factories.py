"""Small courses and people for tests: plain documents imported through the real service."""
from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

SMALL_COURSE: dict[str, Any] = {
    "format": "learnpath-course",
    "version": 1,
    "course": {"slug": "mini", "title": "Mini fractions", "description": "A tiny test course."},
    "skills": [
        {"key": "halves", "name": "Halves", "area": "Basics", "prerequisites": []},
        {"key": "quarters", "name": "Quarters", "area": "Basics", "prerequisites": ["halves"]},
        {"key": "adding", "name": "Adding", "area": "Operations", "prerequisites": ["quarters"]},
    ],
    "exercises": [
        {
            "key": "halves-choice", "skills": ["halves"], "kind": "choice", "difficulty": 1,
            "prompt": "Which is one half?", "hint": "Two equal parts.", "solution": "1/2.",
            "choices": [{"text": "1/2", "correct": True}, {"text": "1/3", "correct": False},
                        {"text": "2/3", "correct": False}],
        },
        {
            "key": "halves-multi", "skills": ["halves"], "kind": "choice", "difficulty": 2,
            "prompt": "Select all that apply: equal to one half.", "hint": "", "solution": "",
            "choices": [{"text": "2/4", "correct": True}, {"text": "3/6", "correct": True},
                        {"text": "2/3", "correct": False}],
        },
        {
            "key": "quarters-numeric", "skills": ["quarters"], "kind": "numeric",
            "difficulty": 2, "prompt": "Write 3/4 as a decimal.", "hint": "3 ÷ 4.",
            "solution": "0.75", "answer": 0.75, "tolerance": 0.001,
        },
        {
            "key": "quarters-text", "skills": ["quarters"], "kind": "text", "difficulty": 2,
            "prompt": "How do you say 1/4 in words?", "hint": "", "solution": "One quarter.",
            "accepted": ["one quarter", "a quarter", "one fourth"],
        },
        {
            "key": "adding-numeric", "skills": ["adding", "quarters"], "kind": "numeric",
            "difficulty": 3, "prompt": "1/4 + 1/2 = ?", "hint": "Use quarters.",
            "solution": "3/4", "answer": 0.75, "tolerance": 0.001,
        },
        {
            "key": "adding-old", "skills": ["adding"], "kind": "numeric", "difficulty": 3,
            "status": "retired", "prompt": "1/4 + 1/4 = ?", "hint": "", "solution": "1/2",
            "answer": 0.5, "tolerance": 0.001,
        },
    ],
}


def small_course_document(**course_changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(SMALL_COURSE)
    document["course"].update(course_changes)
    return document


RIGHT_ANSWERS = {"quarters-numeric": "0.75", "quarters-text": "one quarter",
                 "adding-numeric": "0.75"}


def answer(learner: Any, course: Any, key: str, right: bool, at: datetime | None = None,
           seconds: float = 20.0) -> None:
    """Records a right or wrong answer to an exercise of the small course, through the service."""
    from courses.actions.attempts import record_attempt
    from courses.models import Exercise

    exercise = Exercise.objects.get(course=course, key=key)
    if exercise.kind == Exercise.Kind.CHOICE:
        given: Any = [c.pk for c in exercise.choices.all() if c.is_correct == right][:1]
    else:
        given = RIGHT_ANSWERS[key] if right else "999"
    submitted = at or timezone.now()
    record_attempt(learner=learner, exercise=exercise, given=given, client_id=uuid.uuid4(),
                   started_at=submitted - timedelta(seconds=seconds), submitted_at=submitted)


CODE_COURSE: dict[str, Any] = {
    "format": "learnpath-course",
    "version": 1,
    "course": {"slug": "py", "title": "Tiny Python", "description": "Programs, for tests."},
    "skills": [
        {"key": "functions", "name": "Functions", "area": "Basics", "prerequisites": []},
        {"key": "loops", "name": "Loops", "area": "Basics", "prerequisites": ["functions"]},
    ],
    "exercises": [
        {
            "key": "add", "skills": ["functions"], "kind": "code", "difficulty": 1,
            "prompt": "Write `add(a, b)` returning the sum.", "hint": "`return a + b`",
            "solution": "Return the sum.",
            "code": {
                "starter": "def add(a, b):\n    pass\n",
                "reference": "def add(a, b):\n    return a + b\n",
                "tests": [
                    {"call": "add", "args": [2, 3], "expected": 5, "visible": True},
                    {"call": "add", "args": [-1, 1], "expected": 0, "visible": True},
                    {"call": "add", "args": [10, 20], "expected": 30, "visible": False},
                    {"call": "add", "args": [0.5, 0.25], "expected": 0.75, "visible": False},
                ],
            },
        },
        {
            "key": "echo-sum", "skills": ["loops"], "kind": "code", "difficulty": 2,
            "prompt": "Read numbers, one per line, and print their sum.", "hint": "",
            "solution": "Sum the lines.",
            "code": {
                "starter": "",
                "reference": "import sys\nprint(sum(int(line) for line in sys.stdin))\n",
                "tests": [
                    {"stdin": "1\n2\n", "stdout": "3\n", "visible": True},
                    {"stdin": "", "stdout": "0\n", "visible": False},
                ],
                "limits": {"cpu_seconds": 2, "memory_mb": 256, "output_kb": 16},
            },
        },
    ],
}

RIGHT_PROGRAMS = {"add": "def add(a, b):\n    return a + b\n",
                  "echo-sum": "import sys\nprint(sum(int(x) for x in sys.stdin))\n"}


def code_course_document(**course_changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(CODE_COURSE)
    document["course"].update(course_changes)
    return document
