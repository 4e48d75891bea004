"""A code exercise's ``code`` field (starter, reference, tests, limits) as the judge takes it,
the rule for what makes one valid (for the admin's form and the course import, through
:func:`courses.rules.answer_problems`), and the check that the reference solution passes every
test, run in the sandbox wherever an exercise is saved."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnpath.judge import Case, Limits, Outcome, SandboxUnavailable, judge
from learnpath.judge.cases import parse_cases, parse_limits, spec_problems

MAX_PROGRAM_CHARS = 64_000
SOURCE_FIELDS = ("starter", "reference")


def cases_and_limits(code: Mapping[str, Any]) -> tuple[list[Case], Limits]:
    """A stored (valid) ``code`` field's tests and limits."""
    return parse_cases(code.get("tests", [])), parse_limits(code.get("limits", {}))


def run_seconds(code: Mapping[str, Any]) -> float:
    """The longest one judge run of this exercise may take (its wall-clock limit)."""
    try:
        return float(parse_limits(code.get("limits", {})).wall_seconds)
    except ValueError:
        return float(Limits().wall_seconds)


def code_problems(code: Any) -> list[tuple[str, str]]:
    """``(field, message)`` for a code exercise's ``code`` object (the data only)."""
    if not isinstance(code, Mapping):
        return [("code", "a code exercise needs a code object with starter, reference and "
                         "tests")]
    problems = [("code", message) for message in spec_problems(code)]
    for name in SOURCE_FIELDS:
        text = code.get(name, "")
        if not isinstance(text, str) or len(text) > MAX_PROGRAM_CHARS:
            problems.append(("code", f"{name} must be text of at most {MAX_PROGRAM_CHARS:,} "
                                     "characters"))
    if not str(code.get("reference", "")).strip():
        problems.append(("code", "a code exercise needs its reference solution"))
    return problems


def reference_problems(code: Mapping[str, Any]) -> list[str]:
    """Runs the reference solution against every test in the sandbox: what is wrong, if
    anything (a valid ``code`` object, see :func:`code_problems`)."""
    cases, limits = cases_and_limits(code)
    try:
        verdict = judge(str(code["reference"]), cases, limits)
    except SandboxUnavailable as error:
        return [f"the reference solution cannot be checked: the sandbox cannot be set up "
                f"({error})"]
    if verdict.outcome == Outcome.ACCEPTED:
        return []
    failure = verdict.first_failure or {}
    shown = (f" (test {failure.get('input')}: expected {failure.get('expected')}, got "
             f"{failure.get('got')})" if failure else "")
    message = f": {verdict.message.strip().splitlines()[-1]}" if verdict.message.strip() else ""
    return [f"the reference solution does not pass its tests: {verdict.outcome}, "
            f"{verdict.passed} of {verdict.total} passed{shown}{message}"]
