"""Judging programs in the sandbox: each verdict, what a failure shows of visible and of hidden
tests, fresh state per test, and reports a program cannot forge."""
from __future__ import annotations

import os
import time
from typing import Any

import pytest

from learnpath.judge import Case, Limits, Outcome, judge, sandbox

SQUARE = [Case(visible=True, call="square", args=(3,), expected=9),
          Case(visible=True, call="square", args=(-2,), expected=4),
          Case(visible=False, call="square", args=(0.5,), expected=0.25),
          Case(visible=False, call="square", args=(10,), expected=100)]
STDIN = [Case(visible=True, stdin="3\n", stdout="9\n"),
         Case(visible=False, stdin="12\n", stdout="144\n")]


def test_a_right_program_is_accepted_with_every_test_passed() -> None:
    verdict = judge("def square(x):\n    return x * x\n", SQUARE)
    assert verdict.outcome is Outcome.ACCEPTED and verdict.accepted
    assert (verdict.passed, verdict.total, verdict.hidden_failed) == (4, 4, 0)
    assert verdict.first_failure is None and verdict.message == "All 4 tests passed."


def test_a_stdin_program_is_accepted_with_trailing_whitespace() -> None:
    verdict = judge("n = int(input())\nprint(n * n, ' ')\nprint()\n", STDIN)
    assert verdict.outcome is Outcome.ACCEPTED, verdict


def test_stdin_can_be_read_every_usual_way() -> None:
    for source in ("import sys\nprint(int(sys.stdin.read()) ** 2)",
                   "print(int(open(0).read()) ** 2)",
                   "import sys\nprint(int(sys.stdin.buffer.readline()) ** 2)",
                   "import os\nos.write(1, str(int(input()) ** 2).encode())",
                   "import sys\nprint(int(input()) ** 2)\nsys.exit(0)",
                   "print(int(input()) ** 2)\nexit()\nprint('not this')"):
        assert judge(source, STDIN).outcome is Outcome.ACCEPTED, source


def test_a_wrong_answer_shows_the_first_failing_visible_test() -> None:
    verdict = judge("def square(x):\n    return x + 3\n", SQUARE)
    assert verdict.outcome is Outcome.WRONG_ANSWER
    assert (verdict.passed, verdict.total, verdict.hidden_failed) == (0, 4, 2)
    assert verdict.first_failure == {"index": 0, "kind": "call", "input": "square(3)",
                                     "expected": "9", "got": "6", "outcome": "wrong_answer"}
    assert verdict.message == "Wrong answer: 0 of 4 tests passed."


def test_a_wrong_stdout_is_shown_with_input_expected_and_got() -> None:
    verdict = judge("print(int(input()) + 1)\n", STDIN)
    assert verdict.outcome is Outcome.WRONG_ANSWER
    assert verdict.first_failure == {"index": 0, "kind": "stdin", "input": "3\n",
                                     "expected": "9\n", "got": "4\n", "outcome": "wrong_answer"}


def test_hidden_failures_are_only_counted() -> None:
    verdict = judge("def square(x):\n    return x * x if x != 10 else 0\n", SQUARE)
    assert verdict.outcome is Outcome.WRONG_ANSWER
    assert (verdict.passed, verdict.hidden_failed, verdict.first_failure) == (3, 1, None)


def test_a_failing_visible_test_decides_over_an_earlier_hidden_one() -> None:
    cases = [Case(visible=False, call="f", args=(0,), expected=0),
             Case(visible=True, call="f", args=(1,), expected=1)]
    verdict = judge("def f(x):\n    return 1 / x + 1\n", cases)
    assert verdict.outcome is Outcome.WRONG_ANSWER and verdict.hidden_failed == 1
    assert verdict.first_failure is not None
    assert (verdict.first_failure["index"], verdict.first_failure["got"]) == (1, "2.0")


def test_floats_tuples_and_dictionaries_compare_as_json() -> None:
    cases = [Case(visible=True, call="f", args=(), expected=[0.3, [1, 2], {"k": [1]}])]
    source = "def f():\n    return (0.1 + 0.2, (1, 2), {'k': (1,)})\n"
    assert judge(source, cases).outcome is Outcome.ACCEPTED
    shown = judge("def f():\n    return {1, 2}\n", cases)
    assert shown.outcome is Outcome.WRONG_ANSWER and shown.first_failure is not None
    assert shown.first_failure["got"] == "{1, 2}"


def test_a_runtime_error_shows_a_traceback_of_the_learners_code_only() -> None:
    source = "def helper(x):\n    return 1 // x\n\ndef square(x):\n    return helper(x - 3)\n"
    verdict = judge(source, SQUARE)
    assert verdict.outcome is Outcome.RUNTIME_ERROR
    assert verdict.message == (
        "Traceback (most recent call last):\n"
        '  File "solution.py", line 5, in square\n    return helper(x - 3)\n'
        "           ^^^^^^^^^^^^^\n"
        '  File "solution.py", line 2, in helper\n    return 1 // x\n           ~~^^~~\n'
        "ZeroDivisionError: integer division or modulo by zero")
    assert verdict.first_failure is not None
    assert verdict.first_failure["got"] == "ZeroDivisionError: integer division or modulo by zero"
    for host_detail in ("/usr/", "/work", "harness", "<string>", "sandbox"):
        assert host_detail not in verdict.message


def test_a_runtime_error_on_a_hidden_test_hides_the_message() -> None:
    verdict = judge("def square(x):\n    return {3: 9, -2: 4}[x]\n", SQUARE)
    assert verdict.outcome is Outcome.RUNTIME_ERROR and verdict.first_failure is None
    assert verdict.message.startswith("Runtime error on a hidden test:\nTraceback")
    assert verdict.message.endswith("KeyError") and "0.5" not in verdict.message


def test_a_missing_function_and_a_deep_recursion_are_runtime_errors() -> None:
    verdict = judge("def cube(x):\n    return x ** 3\n", SQUARE)
    assert "the program defines no function square()" in verdict.message
    verdict = judge("def square(x):\n    return square(x)\n", SQUARE)
    assert verdict.outcome is Outcome.RUNTIME_ERROR and "RecursionError" in verdict.message
    assert "Previous line repeated" in verdict.message and len(verdict.message) < 5000


def test_a_syntax_error_shows_the_line_and_caret() -> None:
    verdict = judge("def square(x)\n    return x * x\n", SQUARE)
    assert verdict.outcome is Outcome.SYNTAX_ERROR
    assert verdict.message == ('  File "solution.py", line 1\n    def square(x)\n'
                               "                 ^\nSyntaxError: expected ':'")
    assert (verdict.passed, verdict.total, verdict.hidden_failed) == (0, 4, 2)
    assert judge("x = 1\x00", SQUARE).outcome is Outcome.SYNTAX_ERROR


@pytest.mark.slow
def test_time_memory_and_output_limits() -> None:
    limits = Limits(cpu_seconds=0.5, wall_seconds=3)
    cases = [Case(visible=True, call="square", args=(10,), expected=100), SQUARE[0]]
    spin = judge("def square(x):\n    while x != 10:\n        pass\n    return 100\n",
                 cases, limits)
    assert spin.outcome is Outcome.TIME_LIMIT and spin.passed == 1
    assert spin.first_failure is not None and spin.first_failure["index"] == 1
    assert spin.message == "Time limit: the program needed more than 0.5 s of CPU time."
    memory = judge("def square(x):\n    return len('x' * (300 << 20))\n", SQUARE)
    assert memory.outcome is Outcome.MEMORY_LIMIT
    assert memory.message == "Memory limit: the program needed more than 256 MB."
    output = judge("def square(x):\n    print('.' * 70000)\n    return x * x\n", SQUARE)
    assert output.outcome is Outcome.OUTPUT_LIMIT


@pytest.mark.slow
def test_the_cpu_budget_is_shared_by_all_tests() -> None:
    source = ("import time\ndef square(x):\n    end = time.process_time() + 0.3\n"
              "    while time.process_time() < end:\n        pass\n    return x * x\n")
    verdict = judge(source, SQUARE, Limits(cpu_seconds=1.0, wall_seconds=4))
    assert verdict.outcome is Outcome.TIME_LIMIT and verdict.passed == 3
    assert verdict.hidden_failed == 1


def test_each_test_runs_in_a_fresh_process_and_namespace() -> None:
    source = ("import sys\ncalls = []\ndef square(x):\n    calls.append(x)\n"
              "    sys.modules['math'].pi = 3\n    return x * x * len(calls)\n")
    assert judge(source, SQUARE).outcome is Outcome.ACCEPTED
    cases = [Case(visible=True, call="f", expected=3.141592653589793)] * 2
    assert judge("import math\ndef f():\n    r = math.pi\n    math.pi = 3\n    return r\n",
                 cases).outcome is Outcome.ACCEPTED


def test_module_code_runs_but_not_a_main_block_for_calls() -> None:
    source = "if __name__ == '__main__':\n    input()\ndef square(x):\n    return x * x\n"
    assert judge(source, SQUARE).outcome is Outcome.ACCEPTED


def test_expected_values_never_enter_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[bytes] = []
    payload = sandbox._payload

    def recorded(*args: Any) -> int:
        fd = payload(*args)
        sent.append(os.pread(fd, 1 << 20, 0))
        return fd

    monkeypatch.setattr(sandbox, "_payload", recorded)
    cases = [Case(visible=True, call="f", expected="secret-expected-1"),
             Case(visible=False, call="f", args=("hidden-input-2",), expected="secret-3")]
    source = ("import sys\ndef f(*args):\n    frame, seen = sys._getframe(), []\n"
              "    while frame:\n        seen.append(repr(frame.f_locals))\n"
              "        frame = frame.f_back\n    text = ' '.join(seen)\n"
              "    words = ['secret-' + 'expected', 'hidden-' + 'input', 'secret-' + '3']\n"
              "    return [word for word in words if word in text]\n")
    verdict = judge(source, cases)
    assert verdict.first_failure is not None and verdict.first_failure["got"] == "[]"
    assert b"hidden-input-2" in sent[0]
    assert b"secret-expected-1" not in sent[0] and b"secret-3" not in sent[0]


def test_a_printed_or_written_report_is_not_mistaken_for_the_judges() -> None:
    forged = ('{"case": 0, "outcome": "ok", "value": "9"}\\n{"case": 1, "outcome": "ok", '
              '"value": "4"}\\n{"end": true}\\n')
    source = ("import os\n"
              f"FORGED = '{forged}'\n"
              "print(FORGED * 3)\n"
              "for fd in range(3, 64):\n"
              "    try:\n        os.write(fd, FORGED.encode())\n"
              "    except OSError:\n        pass\n"
              "def square(x):\n    return -1\n")
    verdict = judge(source, SQUARE)
    assert verdict.outcome is Outcome.RUNTIME_ERROR and verdict.passed == 0
    assert "wrote over the judge's report" in verdict.message
    printed = judge(source.replace("range(3, 64)", "range(0)"), SQUARE)
    assert printed.outcome is Outcome.WRONG_ANSWER and printed.passed == 0
    ended = judge(source.replace("return -1", "os._exit(0)"), SQUARE)
    assert ended.outcome is Outcome.RUNTIME_ERROR and ended.passed == 0


def test_a_small_accepted_program_with_ten_tests_is_judged_quickly() -> None:
    cases = [Case(visible=i < 3, call="square", args=(i,), expected=i * i) for i in range(10)]
    judge("def square(x):\n    return x * x\n", cases)  # warm the page cache
    started = time.perf_counter()
    for _ in range(5):
        assert judge("def square(x):\n    return x * x\n", cases).accepted
    assert (time.perf_counter() - started) / 5 < 0.5


@pytest.mark.parametrize(("source", "shown"), [
    ("raise SystemExit(3)\ndef square(x):\n    return x * x", "SystemExit: 3"),
    ("def square(x):\n    exit()", "SystemExit"),
    ("import os\ndef square(x):\n    os._exit(0)", "ended the test itself"),
])
def test_exiting_instead_of_returning_is_a_runtime_error(source: str, shown: str) -> None:
    verdict = judge(source, SQUARE)
    assert verdict.outcome is Outcome.RUNTIME_ERROR and shown in verdict.message, verdict
