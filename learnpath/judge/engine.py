"""Judging a program: its tests run in the sandbox, visible ones first; the expected values stay
here, and each test's reported answer is compared with them (:mod:`.compare`)."""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learnpath.judge.compare import as_json_value, same_output, same_value
from learnpath.judge.data import Case, Limits, Outcome, Verdict
from learnpath.judge.sandbox import RunReport, SandboxConfig, SandboxUnavailable, run_harness

DEFAULT_LIMITS = Limits()
DISPLAY_CHARS = 4000
LIMIT_OUTCOMES = {"memory": Outcome.MEMORY_LIMIT, "time": Outcome.TIME_LIMIT,
                  "output": Outcome.OUTPUT_LIMIT}
STOPPED = ("The program stopped the judge's run before this test finished "
           "(it ended or signalled the processes running it).")


@dataclass(frozen=True)
class CaseResult:
    outcome: Outcome | None  # None: not run, the time having run out on an earlier test
    got: str | None = None
    error: str = ""
    wall_limit: bool = False


def _shown(text: str) -> str:
    return text if len(text) <= DISPLAY_CHARS else text[:DISPLAY_CHARS] + "…"


def shown_input(case: Case) -> str:
    """A test's input as the learner sees it: ``add(2, 3)``, or the stdin text."""
    if case.call is not None:
        return _shown(f"{case.call}({', '.join(repr(as_json_value(a)) for a in case.args)})")
    return _shown(case.stdin or "")


def shown_expected(case: Case) -> str:
    if case.call is not None:
        return _shown(repr(as_json_value(case.expected)))
    return _shown(case.stdout or "")


def _sandbox_input(case: Case) -> dict[str, Any]:
    if (case.call is None) == (case.stdin is None):
        raise ValueError("a test needs either call (with args and expected) or stdin")
    if case.call is not None:
        if not case.call.isidentifier():
            raise ValueError(f"the test's call {case.call!r} is not a function name")
        return {"call": case.call, "args": as_json_value(list(case.args))}
    if case.stdout is None:
        raise ValueError("a stdin test needs its expected stdout")
    return {"stdin": case.stdin}


def _answer(case: Case, record: dict[str, Any], visible: bool) -> CaseResult:
    outcome = record.get("outcome")
    if outcome == "error":
        error = str(record.get("error" if visible else "error_hidden") or STOPPED)
        return CaseResult(Outcome.RUNTIME_ERROR, got=_shown(error.splitlines()[-1]), error=error)
    if outcome in LIMIT_OUTCOMES:
        return CaseResult(LIMIT_OUTCOMES[outcome])
    if outcome != "ok":
        return CaseResult(Outcome.RUNTIME_ERROR, error=STOPPED)
    if case.call is None:
        got = str(record.get("stdout", ""))
        right = same_output(case.stdout or "", got)
    elif isinstance(record.get("value"), str):
        try:
            value = json.loads(record["value"])
        except (ValueError, RecursionError):
            return CaseResult(Outcome.RUNTIME_ERROR, error=STOPPED)
        got, right = repr(value), same_value(as_json_value(case.expected), value)
    else:
        got, right = str(record.get("repr", "")), False
    return CaseResult(Outcome.ACCEPTED if right else Outcome.WRONG_ANSWER, got=_shown(got))


def _results(cases: Sequence[Case], order: list[int],
             report: RunReport) -> dict[int, CaseResult]:
    results = {index: _answer(cases[index], record, cases[index].visible)
               for index, record in zip(order, report.records, strict=False)}
    unreported = order[len(report.records):]
    if unreported and (report.wall_limit or not report.ended or report.broken):
        first = unreported.pop(0)
        results[first] = (CaseResult(Outcome.TIME_LIMIT, wall_limit=True) if report.wall_limit
                          else CaseResult(Outcome.RUNTIME_ERROR, error=STOPPED))
    results.update({index: CaseResult(None) for index in unreported})
    return results


def _message(outcome: Outcome, result: CaseResult | None, visible: bool, passed: int,
             total: int, limits: Limits) -> str:
    if outcome is Outcome.ACCEPTED:
        return "The test passed." if total == 1 else f"All {total} tests passed."
    if outcome is Outcome.WRONG_ANSWER:
        return f"Wrong answer: {passed} of {total} tests passed."
    if outcome is Outcome.RUNTIME_ERROR and result is not None:
        return result.error if visible else f"Runtime error on a hidden test:\n{result.error}"
    if outcome is Outcome.TIME_LIMIT and result is not None and result.wall_limit:
        return f"Time limit: the program ran for more than {limits.wall_seconds:g} s."
    if outcome is Outcome.TIME_LIMIT:
        return f"Time limit: the program needed more than {limits.cpu_seconds:g} s of CPU time."
    if outcome is Outcome.MEMORY_LIMIT:
        return f"Memory limit: the program needed more than {limits.memory_mb} MB."
    return f"Output limit: the program wrote more than {limits.output_kb} KB."


def _verdict(cases: Sequence[Case], results: dict[int, CaseResult], limits: Limits,
             seconds: float, cpu: float) -> Verdict:
    failing = [index for index in range(len(cases))
               if results[index].outcome not in (Outcome.ACCEPTED, None)]
    shown = [index for index in failing if cases[index].visible]
    decisive = (shown or failing)[0] if failing else None
    passed = sum(result.outcome is Outcome.ACCEPTED for result in results.values())
    hidden_failed = sum(not case.visible and results[index].outcome is not Outcome.ACCEPTED
                        for index, case in enumerate(cases))
    result = None if decisive is None else results[decisive]
    outcome = Outcome.ACCEPTED if result is None else result.outcome or Outcome.TIME_LIMIT
    first_failure = None
    if shown:
        case, failure = cases[shown[0]], results[shown[0]]
        first_failure = {"index": shown[0], "kind": "call" if case.call is not None else "stdin",
                         "input": shown_input(case), "expected": shown_expected(case),
                         "got": failure.got, "outcome": str(failure.outcome)}
    visible = decisive is not None and cases[decisive].visible
    return Verdict(outcome=outcome, passed=passed, total=len(cases), first_failure=first_failure,
                   hidden_failed=hidden_failed,
                   message=_message(outcome, result, visible, passed, len(cases), limits),
                   seconds=round(seconds, 4), cpu_seconds=round(cpu, 4))


def judge(source: str, cases: Sequence[Case], limits: Limits = DEFAULT_LIMITS, *,
          config: SandboxConfig | None = None) -> Verdict:
    """Runs ``source`` against ``cases`` in a fresh sandbox and judges it.

    Raises :class:`SandboxUnavailable` (nothing run) when the sandbox cannot be set up, and
    ``ValueError`` for a malformed test."""
    started = time.monotonic()
    order = [i for i, case in enumerate(cases) if case.visible] + \
        [i for i, case in enumerate(cases) if not case.visible]
    try:
        inputs = [_sandbox_input(cases[index]) for index in order]
    except TypeError as error:
        raise ValueError(f"a test's arguments are not JSON values: {error}") from error
    report = run_harness(source, inputs, limits, config or SandboxConfig.from_env())
    seconds = time.monotonic() - started
    cpu = sum(float(record.get("cpu", 0.0)) for record in report.records
              if isinstance(record.get("cpu"), int | float))
    if report.syntax_error is not None:
        return Verdict(outcome=Outcome.SYNTAX_ERROR, passed=0, total=len(cases),
                       first_failure=None, hidden_failed=sum(not c.visible for c in cases),
                       message=report.syntax_error, seconds=round(seconds, 4))
    return _verdict(cases, _results(cases, order, report), limits, seconds, cpu)


def check_sandbox(config: SandboxConfig | None = None) -> None:
    """Raises :class:`SandboxUnavailable` with the reason unless a program can be judged here
    (bubblewrap, user namespaces, the system-call filter and the interpreter all work)."""
    probe = [Case(visible=True, call="probe", args=(2,), expected=4)]
    verdict = judge("def probe(x):\n    return x * x\n", probe, Limits(wall_seconds=10),
                    config=config)
    if not verdict.accepted:
        raise SandboxUnavailable(f"the sandbox starts but cannot judge: {verdict.message}")
