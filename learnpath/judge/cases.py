"""Tests and limits as course JSON carries them, read with every problem named
(:func:`spec_problems` for a code exercise's whole ``code`` object).

A test is ``{"call": "add", "args": [2, 3], "expected": 5, "visible": true}`` or
``{"stdin": "3\\n", "stdout": "9\\n", "visible": false}`` (``visible`` defaults to false, a
hidden test; ``args`` to no arguments). Limits are ``{"cpu_seconds": 2, "wall_seconds": 6,
"memory_mb": 256, "output_kb": 64}``, each optional, with the other fields of
:class:`~learnpath.judge.data.Limits` as well.
"""
from __future__ import annotations

import keyword
import math
from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any

from learnpath.judge.data import Case, Limits

CALL_KEYS = {"call", "args", "expected", "visible"}
STDIN_KEYS = {"stdin", "stdout", "visible"}
# The bounds an author may set: past them a run is no longer a learner's exercise.
LIMIT_BOUNDS: dict[str, tuple[float, float]] = {
    "cpu_seconds": (0.1, 60), "wall_seconds": (0.5, 120), "memory_mb": (64, 4096),
    "output_kb": (1, 16384), "file_kb": (1, 65536), "tmp_kb": (16, 262144),
    "open_files": (16, 1024),
}
INTEGER_LIMITS = {"memory_mb", "output_kb", "file_kb", "tmp_kb", "open_files"}


def _json_problem(value: object, where: str) -> str | None:
    """Why ``value`` is not a plain JSON value, or ``None``."""
    if value is None or isinstance(value, bool | int | str):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where}: {value} is not a finite number"
    if isinstance(value, list | tuple):
        return next((p for i, item in enumerate(value)
                     if (p := _json_problem(item, f"{where}[{i}]"))), None)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return f"{where}: object keys must be strings"
        return next((p for key, item in value.items()
                     if (p := _json_problem(item, f"{where}.{key}"))), None)
    return f"{where}: {type(value).__name__} is not a JSON value"


def _case(item: object, where: str) -> tuple[Case | None, list[str]]:
    if not isinstance(item, dict):
        return None, [f"{where}: must be an object"]
    visible = item.get("visible", False)
    errors = [] if isinstance(visible, bool) else [f"{where}.visible: must be true or false"]
    if "call" in item and "stdin" in item:
        return None, [f'{where}: has both "call" and "stdin"; a test is one or the other']
    if "call" not in item and "stdin" not in item:
        return None, [f'{where}: needs "call" or "stdin"']
    allowed = CALL_KEYS if "call" in item else STDIN_KEYS
    errors += [f'{where}: unknown key "{key}"' for key in sorted(set(item) - allowed)]
    if "call" in item:
        name, args = item["call"], item.get("args", [])
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            errors.append(f'{where}.call: must be a function name, like "add"')
        if not isinstance(args, list):
            errors.append(f"{where}.args: must be a list of arguments")
        elif problem := _json_problem(args, f"{where}.args"):
            errors.append(problem)
        if "expected" not in item:
            errors.append(f'{where}: needs "expected", the value the call returns')
        elif problem := _json_problem(item["expected"], f"{where}.expected"):
            errors.append(problem)
        if errors:
            return None, errors
        return Case(visible=visible, call=name, args=tuple(args),
                    expected=item["expected"]), []
    stdin, stdout = item["stdin"], item.get("stdout")
    if not isinstance(stdin, str):
        errors.append(f"{where}.stdin: must be text")
    if not isinstance(stdout, str):
        errors.append(f'{where}: needs "stdout", the text the program prints')
    if errors:
        return None, errors
    return Case(visible=visible, stdin=stdin, stdout=stdout), []


class InvalidTests(ValueError):
    """Tests or limits that cannot be judged; ``problems`` names each problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _read_cases(items: object, where: str) -> tuple[list[Case], list[str]]:
    if not isinstance(items, list):
        return [], [f"{where}: must be a list of tests"]
    cases: list[Case] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        case, found = _case(item, f"{where}[{index}]")
        problems += found
        if case is not None:
            cases.append(case)
    return cases, problems


def _read_limits(data: object, where: str) -> tuple[Limits, list[str]]:
    if data is None:
        return Limits(), []
    if not isinstance(data, dict):
        return Limits(), [f"{where}: must be an object"]
    known = {f.name for f in fields(Limits)}
    problems = [f'{where}: unknown limit "{key}"' for key in sorted(set(data) - known)]
    values: dict[str, Any] = {}
    for name in sorted(known & set(data)):
        value, (low, high) = data[name], LIMIT_BOUNDS[name]
        number_types = (int,) if name in INTEGER_LIMITS else (int, float)
        if isinstance(value, bool) or not isinstance(value, number_types):
            kind = "a whole number" if name in INTEGER_LIMITS else "a number"
            problems.append(f"{where}.{name}: must be {kind}")
        elif not low <= value <= high:
            problems.append(f"{where}.{name}: must be between {low:g} and {high:g}")
        else:
            values[name] = value
    limits = Limits(**values) if not problems else Limits()
    if not problems and limits.wall_seconds < limits.cpu_seconds:
        problems.append(f"{where}.wall_seconds: must be at least cpu_seconds")
    return limits, problems


def case_problems(items: object, where: str = "tests") -> list[str]:
    """A message for each problem of the tests in ``items`` (none: they can be judged)."""
    return _read_cases(items, where)[1]


def limits_problems(data: object, where: str = "limits") -> list[str]:
    """A message for each problem of the limits in ``data`` (``None`` is the defaults)."""
    return _read_limits(data, where)[1]


def spec_problems(code: Mapping[str, Any]) -> list[str]:
    """The problems of a code exercise's ``tests`` (at least one) and ``limits`` (optional)."""
    problems = case_problems(code.get("tests"))
    if not problems and not code.get("tests"):
        problems.append("tests: a code exercise needs at least one test")
    return problems + limits_problems(code.get("limits"))


def parse_cases(items: object, where: str = "tests") -> list[Case]:
    """The tests in ``items``; :class:`InvalidTests` names every problem if there is one."""
    cases, problems = _read_cases(items, where)
    if problems:
        raise InvalidTests(problems)
    return cases


def parse_limits(data: object, where: str = "limits") -> Limits:
    """The limits in ``data`` (``None`` or a missing key: the default), or
    :class:`InvalidTests`."""
    limits, problems = _read_limits(data, where)
    if problems:
        raise InvalidTests(problems)
    return limits


def case_to_dict(case: Case) -> dict[str, Any]:
    if case.call is not None:
        return {"call": case.call, "args": list(case.args), "expected": case.expected,
                "visible": case.visible}
    return {"stdin": case.stdin, "stdout": case.stdout, "visible": case.visible}


def cases_to_list(cases: list[Case]) -> list[dict[str, Any]]:
    return [case_to_dict(case) for case in cases]


def limits_to_dict(limits: Limits) -> dict[str, Any]:
    return asdict(limits)
