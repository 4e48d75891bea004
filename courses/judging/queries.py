"""What the practice and feedback pages read about programs: the editor's text, the visible
examples, a submission and its verdict as the learner may see it (hidden tests only as a
count)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from courses.judging import spec
from courses.judging.models import Submission
from courses.models import Attempt, Course
from courses.phrases import short_number
from courses.queries.content import ExerciseContent
from learnpath.judge.engine import shown_expected, shown_input

OUTCOME_TEXT = {
    "accepted": _("Accepted: every test passed."),
    "wrong_answer": _("Wrong answer."),
    "runtime_error": _("Runtime error: the program stopped with an exception."),
    "syntax_error": _("Syntax error: Python could not read the program."),
    "time_limit": _("Time limit exceeded: the program ran too long."),
    "memory_limit": _("Memory limit exceeded: the program used too much memory."),
    "output_limit": _("Output limit exceeded: the program printed too much."),
}


@dataclass(frozen=True)
class Example:
    shown: str  # ``add(2, 3)``, or the input text of a stdin program
    expected: str
    stdin: bool


@dataclass(frozen=True)
class ProgramPage:
    source: str
    examples: list[Example]
    hidden_tests: int
    limits: str


def program_page(learner: User, exercise: ExerciseContent) -> ProgramPage:
    """The editor starts from the learner's latest program for this exercise (so fixing a
    wrong answer starts from it), else from the starter code."""
    latest = (Submission.objects.filter(learner=learner, exercise_id=exercise.id)
              .order_by("-submitted_at", "-id").values_list("source", flat=True).first())
    cases, limits = spec.cases_and_limits(exercise.code)
    examples = [Example(shown_input(case), shown_expected(case), case.stdin is not None)
                for case in cases if case.visible]
    return ProgramPage(
        source=latest if latest is not None else str(exercise.code.get("starter", "")),
        examples=examples, hidden_tests=sum(not case.visible for case in cases),
        limits=gettext("%(cpu)s s of CPU time, %(memory)s MB of memory, %(output)s KB of output")
        % {"cpu": short_number(limits.cpu_seconds), "memory": limits.memory_mb,
           "output": limits.output_kb})


def learners_submission(learner: User, course: Course, submission_id: int) -> Submission:
    submission = (Submission.objects.filter(pk=submission_id, learner=learner, course=course)
                  .select_related("course").first())
    if submission is None:
        raise Http404(gettext("There is no such submission."))
    return submission


def shown_verdict(verdict: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored verdict as the page shows it: the outcome in words, passed of total, the first
    failing visible test, the hidden failures as a count, the trimmed error message."""
    if not verdict:
        return None
    outcome = str(verdict.get("outcome", ""))
    return {
        "outcome": outcome,
        "accepted": outcome == "accepted",
        "text": str(OUTCOME_TEXT.get(outcome, outcome)),
        "passed": verdict.get("passed", 0),
        "total": verdict.get("total", 0),
        "first_failure": verdict.get("first_failure"),
        "hidden_failed": verdict.get("hidden_failed", 0),
        "message": verdict.get("message", ""),
    }


def attempt_verdict(attempt: Attempt) -> dict[str, Any] | None:
    """The verdict of a judged program's attempt (its feedback page)."""
    submission = Submission.objects.filter(attempt=attempt).only("verdict").first()
    return shown_verdict(submission.verdict) if submission is not None else None
