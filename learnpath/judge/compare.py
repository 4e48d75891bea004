"""How an answer is compared with what a test expects (on the judge's side, never the
sandbox's): return values as JSON values, output line by line."""
from __future__ import annotations

import json
import math

REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-9


def as_json_value(value: object) -> object:
    """``value`` as JSON sees it: tuples are lists, dictionary keys are strings."""
    return json.loads(json.dumps(value))


def same_value(expected: object, got: object) -> bool:
    """Equal as JSON values; floats within 1e-9 (relative or absolute); ``True`` is not 1."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, int | float) and isinstance(got, int | float):
        if isinstance(expected, int) and isinstance(got, int):
            return expected == got
        try:
            if math.isnan(expected) or math.isnan(got):
                return math.isnan(expected) and math.isnan(got)
            return math.isclose(expected, got, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
        except OverflowError:  # an integer too large for a float is no float's equal
            return False
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(map(same_value, expected, got))
    if isinstance(expected, dict) and isinstance(got, dict):
        return expected.keys() == got.keys() and all(
            same_value(expected[key], got[key]) for key in expected)
    return type(expected) is type(got) and expected == got


def output_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def same_output(expected: str, got: str) -> bool:
    """Equal but for trailing whitespace on each line and trailing blank lines."""
    return output_lines(expected) == output_lines(got)
