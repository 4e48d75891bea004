"""The judge's plain data, without a sandbox: tests and limits read from course JSON, answers
compared with what tests expect, verdicts as JSON, and what the sandbox is given."""
from __future__ import annotations

import json
import math

import pytest

from learnpath.judge import Case, Limits, Outcome, Verdict
from learnpath.judge.cases import (
    InvalidTests,
    case_problems,
    case_to_dict,
    cases_to_list,
    limits_problems,
    limits_to_dict,
    parse_cases,
    parse_limits,
    spec_problems,
)
from learnpath.judge.compare import same_output, same_value
from learnpath.judge.engine import shown_expected, shown_input
from learnpath.judge.sandbox import SandboxConfig, SandboxUnavailable, bwrap_arguments

TESTS: list[dict[str, object]] = [{"call": "add", "args": [2, 3], "expected": 5, "visible": True},
         {"stdin": "3\n", "stdout": "9\n", "visible": False},
         {"call": "pair", "expected": [1, {"a": None}]}]


def test_tests_read_and_written_round_trip() -> None:
    assert case_problems(TESTS) == []
    cases = parse_cases(TESTS)
    assert cases == [Case(visible=True, call="add", args=(2, 3), expected=5),
                     Case(visible=False, stdin="3\n", stdout="9\n"),
                     Case(visible=False, call="pair", expected=[1, {"a": None}])]
    assert cases_to_list(cases) == [TESTS[0], TESTS[1], {**TESTS[2], "args": [],
                                                         "visible": False}]
    assert parse_cases(cases_to_list(cases)) == cases
    assert case_to_dict(cases[1]) == TESTS[1]


@pytest.mark.parametrize(("item", "message"), [
    ({"visible": True}, 'tests[0]: needs "call" or "stdin"'),
    ({"call": "f", "stdin": ""}, 'tests[0]: has both "call" and "stdin"'),
    ({"call": "f"}, 'tests[0]: needs "expected"'),
    ({"call": "2f", "expected": 1}, "tests[0].call: must be a function name"),
    ({"call": "class", "expected": 1}, "tests[0].call: must be a function name"),
    ({"call": "f", "args": 3, "expected": 1}, "tests[0].args: must be a list"),
    ({"call": "f", "expected": float("nan")}, "tests[0].expected: nan is not a finite"),
    ({"call": "f", "args": [{1: 2}], "expected": 1}, "tests[0].args[0]: object keys"),
    ({"call": "f", "expected": 1, "stdout": ""}, 'tests[0]: unknown key "stdout"'),
    ({"stdin": 3, "stdout": ""}, "tests[0].stdin: must be text"),
    ({"stdin": ""}, 'tests[0]: needs "stdout"'),
    ({"stdin": "", "stdout": "", "visible": "yes"}, "tests[0].visible: must be true or false"),
    ("add(2, 3)", "tests[0]: must be an object"),
])
def test_each_problem_of_a_test_is_named(item: object, message: str) -> None:
    errors = case_problems([item])
    assert len(errors) >= 1 and errors[0].startswith(message), errors
    with pytest.raises(InvalidTests, match="tests\\[0\\]") as raised:
        parse_cases([item])
    assert raised.value.problems == errors


def test_problems_name_their_test_and_all_are_reported() -> None:
    errors = case_problems([TESTS[0], {"call": "f"}, {"visible": False}], where="code.tests")
    assert errors == ['code.tests[1]: needs "expected", the value the call returns',
                      'code.tests[2]: needs "call" or "stdin"']
    assert case_problems({"call": "f"}) == ["tests: must be a list of tests"]


def test_limits_read_with_defaults_and_bounds() -> None:
    assert parse_limits(None) == Limits() == parse_limits({})
    limits = parse_limits({"cpu_seconds": 1.5, "memory_mb": 128})
    assert limits == Limits(cpu_seconds=1.5, memory_mb=128)
    assert parse_limits(limits_to_dict(limits)) == limits
    errors = limits_problems({"cpu_seconds": 0, "memory_mb": 1.5, "speed": 3, "output_kb": True})
    assert errors == ['limits: unknown limit "speed"',
                      "limits.cpu_seconds: must be between 0.1 and 60",
                      "limits.memory_mb: must be a whole number",
                      "limits.output_kb: must be a whole number"]
    assert limits_problems({"cpu_seconds": 5, "wall_seconds": 2}) == [
        "limits.wall_seconds: must be at least cpu_seconds"]
    with pytest.raises(InvalidTests, match="must be an object"):
        parse_limits([2])
    with pytest.raises(ValueError, match="positive"):
        Limits(memory_mb=0)


def test_a_code_exercise_needs_a_test_and_valid_limits() -> None:
    assert spec_problems({"tests": TESTS, "limits": {"cpu_seconds": 1}}) == []
    assert spec_problems({"tests": []}) == ["tests: a code exercise needs at least one test"]
    assert spec_problems({"limits": {"memory_mb": 9}}) == [
        "tests: must be a list of tests", "limits.memory_mb: must be between 64 and 4096"]


@pytest.mark.parametrize(("expected", "got", "same"), [
    (5, 5, True), (5, 5.0, True), (0.1 + 0.2, 0.3, True), (1e-12, 0.0, True),
    (1.0, 1.0001, False), (True, 1, False), (1, True, False), (None, 0, False),
    ([1, [2, 3]], [1, [2, 3]], True), ([1, 2], [1, 2, 3], False), ("a", "a", True),
    ({"a": [1.0]}, {"a": [1]}, True), ({"a": 1}, {"b": 1}, False), ([1], "[1]", False),
    (math.nan, math.nan, True), (10 ** 400, 1e308, False),
])
def test_values_compare_as_json_values(expected: object, got: object, same: bool) -> None:
    assert same_value(expected, got) is same


def test_output_compares_ignoring_trailing_whitespace_and_blank_lines() -> None:
    assert same_output("9\n", "9")
    assert same_output("1 2\n3\n", "1 2   \n3\n\n\n")
    assert same_output("a\r\nb\r\n", "a\nb")
    assert not same_output("1 2\n", "1  2\n")
    assert not same_output("a\n\nb\n", "a\nb\n")
    assert not same_output("9\n", " 9\n")


def test_inputs_and_expected_values_are_shown_as_python() -> None:
    call = Case(visible=True, call="add", args=(2, "x", [1, 2], None), expected=(1, True))
    assert shown_input(call) == "add(2, 'x', [1, 2], None)"
    assert shown_expected(call) == "[1, True]"
    assert shown_input(Case(visible=True, stdin="3\n", stdout="9\n")) == "3\n"


def test_a_verdict_round_trips_through_json() -> None:
    verdict = Verdict(outcome=Outcome.WRONG_ANSWER, passed=1, total=3,
                      first_failure={"index": 1, "input": "add(1, 2)", "expected": "3",
                                     "got": "4", "kind": "call", "outcome": "wrong_answer"},
                      hidden_failed=1, message="Wrong answer: 1 of 3 tests passed.",
                      seconds=0.04, cpu_seconds=0.01)
    stored = json.loads(json.dumps(verdict.to_json()))
    assert stored["outcome"] == "wrong_answer"
    assert Verdict.from_json(stored) == verdict
    assert not verdict.accepted


def test_the_sandbox_is_given_no_view_of_the_host() -> None:
    arguments = bwrap_arguments(SandboxConfig(), Limits(), 5, 6)
    command = arguments[arguments.index("--") + 1:]
    setup = arguments[: arguments.index("--")]
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
                 "--new-session", "--clearenv"):
        assert flag in setup
    binds = [setup[i + 1] for i, word in enumerate(setup) if word.endswith("bind")]
    assert set(binds) <= {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}
    assert "--bind" not in setup and "--dev-bind" not in setup and "--proc" not in setup
    assert setup[-2:] == ["--seccomp", "5"] and setup.index("--remount-ro") < len(setup)
    assert command[:5] == ["/usr/bin/python3", "-I", "-S", "-B", "-c"] and command[-1] == "6"


def test_settings_come_from_the_environment_and_are_checked() -> None:
    config = SandboxConfig.from_env({"LEARNPATH_JUDGE_BWRAP": "/opt/bwrap",
                                     "LEARNPATH_JUDGE_UID": "1234"})
    assert config == SandboxConfig(bwrap="/opt/bwrap", uid=1234)
    with pytest.raises(SandboxUnavailable, match="LEARNPATH_JUDGE_GID must be a number"):
        SandboxConfig.from_env({"LEARNPATH_JUDGE_GID": "nobody"})
