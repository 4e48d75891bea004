"""The judge's side inside the sandbox (run by the sandbox's own interpreter, stdlib only).

It never imports learnpath: :mod:`learnpath.judge.sandbox` passes this file's text to
``python3 -I -S -c`` with the number of the report pipe. On stdin it gets a 16-byte length, a
JSON header (the program, the limits, the size of each test's input) and then each test's input,
read only when that test runs, so a test's process holds no input of a later test. Expected
values never come here.

Each test runs in a process of its own, forked from this one after its resource limits are set
(no process or thread of its own, address space, CPU time, file size, open files): the program
is executed anew in a fresh namespace, its stdin and stdout are real pipes, and its result (the
return value as JSON, or the exception as a traceback trimmed to ``solution.py``) comes back on a
pipe of its own. This process measures the test's CPU time, enforces the output cap and reports
one JSON line per test on the report pipe, which no test's process holds. Whatever a program
writes can therefore only be read as its own output or its own return value.
"""
from __future__ import annotations

import builtins
import contextlib
import json
import linecache
import math
import os
import resource
import selectors
import signal
import sys
import traceback
from typing import Any

SOURCE_NAME = "solution.py"
ERROR_CHARS = 4000
MEMORY_RECORD = b'{"outcome": "memory"}'
OUTCOMES = ("ok", "error", "memory", "output")


def read_exactly(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise EOFError("the judge's input ended early")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def report(fd: int, record: dict[str, Any]) -> None:
    write_all(fd, json.dumps(record, ensure_ascii=False).encode("utf-8", "replace") + b"\n")


def trimmed_traceback(error: BaseException, with_message: bool) -> str:
    """The traceback through the learner's code only; without the message for hidden tests."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename == SOURCE_NAME]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines.extend(traceback.StackSummary.from_list(frames).format())
    try:
        last = (traceback.format_exception_only(type(error), error) if with_message
                else [f"{type(error).__name__}\n"])
    except Exception:
        last = [f"{type(error).__name__}: <the message could not be shown>\n"]
    text = "".join(lines + last).rstrip("\n")
    if len(text) > ERROR_CHARS:
        text = text[: ERROR_CHARS // 3] + "\n  ...\n" + text[-(ERROR_CHARS * 2 // 3):]
    return text


def error_record(error: BaseException) -> dict[str, Any]:
    return {"outcome": "error", "error": trimmed_traceback(error, True),
            "error_hidden": trimmed_traceback(error, False)}


def encode_value(value: object, cap: int) -> dict[str, Any]:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError, OverflowError):
        try:
            shown = repr(value)
        except Exception:
            shown = f"<a {type(value).__name__} that cannot be shown>"
        return {"outcome": "ok", "repr": shown[:cap]}
    if len(text) > cap:
        return {"outcome": "output"}
    return {"outcome": "ok", "value": text}


def clean_exit(stop: SystemExit) -> bool:
    return stop.code is None or stop.code == 0


def keep_only_fds(keep: set[int]) -> None:
    top = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    start = 0
    for fd in [*sorted(keep), top]:
        if fd > start:
            os.closerange(start, fd)
        start = fd + 1


def lower_limit(kind: int, soft: int, hard: int) -> None:
    """Sets a limit, never above the hard limit this process was given."""
    given = resource.getrlimit(kind)[1]
    if given != resource.RLIM_INFINITY:
        soft, hard = min(soft, given), min(hard, given)
    resource.setrlimit(kind, (soft, hard))


def limit_this_process(limits: dict[str, Any], cpu_soft: int) -> None:
    """Once set, the program cannot raise these (it has no capability in any namespace)."""
    for kind, value in (
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, 0),  # no fork, no thread: the sandbox's user has its own count
        (resource.RLIMIT_MSGQUEUE, 0),
        (resource.RLIMIT_FSIZE, int(limits["file_kb"]) * 1024),
        (resource.RLIMIT_NOFILE, int(limits["open_files"])),
    ):
        lower_limit(kind, value, value)
    lower_limit(resource.RLIMIT_CPU, cpu_soft, cpu_soft + 1)
    memory = int(limits["memory_mb"]) << 20
    lower_limit(resource.RLIMIT_AS, memory, memory)


def leave(code: object = None) -> None:
    """``exit()`` and ``quit()``, which ``python -S`` leaves out with the site module."""
    raise SystemExit() if code is None else SystemExit(code)


def run_program(code: Any, case: dict[str, Any], cap: int) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "solution" if "call" in case else "__main__",
                                 "__builtins__": builtins}
    try:
        try:
            exec(code, namespace)  # noqa: S102 (the learner's program, inside the sandbox)
        except SystemExit as stop:
            if not clean_exit(stop):
                raise
        if "call" not in case:
            return {"outcome": "ok"}
        function = namespace.get(case["call"])
        if not callable(function):
            raise NameError(f"the program defines no function {case['call']}()")
        return encode_value(function(*case["args"]), cap)
    except MemoryError:
        raise
    except BaseException as error:
        return error_record(error)


def child(code: Any, case: dict[str, Any], limits: dict[str, Any], fds: dict[str, int],
          cpu_soft: int) -> None:
    """The test's process: never returns."""
    memory_record = MEMORY_RECORD  # ready before the program can use up the memory
    result_fd = fds["result"]
    try:
        os.dup2(fds["stdin"], 0)
        os.dup2(fds["stdout"], 1)
        os.dup2(os.open("/dev/null", os.O_WRONLY), 2)
        keep_only_fds({0, 1, 2, result_fd})
        for name, fd, mode in (("stdin", 0, "r"), ("stdout", 1, "w"), ("stderr", 2, "w")):
            stream = open(fd, mode, encoding="utf-8", closefd=False)  # noqa: SIM115
            setattr(sys, name, stream)
            setattr(sys, f"__{name}__", stream)
        sys.argv = [SOURCE_NAME]
        for name in ("exit", "quit"):
            setattr(builtins, name, leave)
        limit_this_process(limits, cpu_soft)
        try:
            record = run_program(code, case, int(limits["output_kb"]) * 1024)
        except MemoryError:
            write_all(result_fd, memory_record)
            os._exit(0)
        with contextlib.suppress(Exception):  # a closed or broken stdout: what was written counts
            sys.stdout.flush()
        write_all(result_fd, json.dumps(record, ensure_ascii=False).encode("utf-8", "replace"))
    except MemoryError:
        write_all(result_fd, memory_record)
    finally:
        os._exit(0)


def collect(pid: int, stdout_fd: int, result_fd: int, cap: int) -> tuple[bytes, bytes, bool]:
    """Reads the test's stdout and result until both end; kills it past the output cap."""
    data = {stdout_fd: bytearray(), result_fd: bytearray()}
    limit = {stdout_fd: cap, result_fd: 2 * cap + 4 * ERROR_CHARS + 1024}
    over = False
    with selectors.DefaultSelector() as selector:
        for fd in data:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            for key, _ in selector.select():
                chunk = os.read(key.fd, 65536)
                data[key.fd] += chunk
                if not chunk or len(data[key.fd]) > limit[key.fd]:
                    selector.unregister(key.fd)
                if len(data[key.fd]) > limit[key.fd] and not over:
                    over = True
                    os.kill(pid, signal.SIGKILL)
    return bytes(data[stdout_fd]), bytes(data[result_fd]), over


def checked_result(raw: bytes) -> dict[str, Any] | None:
    """The test process's record, kept only in the shape this side writes."""
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or record.get("outcome") not in OUTCOMES:
        return None
    kept = {key: record[key] for key in ("value", "repr", "error", "error_hidden")
            if isinstance(record.get(key), str)}
    return {"outcome": record["outcome"], **kept}


def died(status: int, rusage: Any, cpu: float, cpu_soft: int, limits: dict[str, Any],
         is_call: bool) -> dict[str, Any]:
    """The record of a test whose process ended without a well-formed result."""
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        if code == 0 and not is_call:
            return {"outcome": "ok"}  # os._exit(0) after printing: its output is its answer
        if code == 0:
            message = "The program ended the test itself, before it finished."
        else:
            message = f"The program ended with exit status {code}."
        return {"outcome": "error", "error": message, "error_hidden": message}
    number = os.WTERMSIG(status)
    if number in (signal.SIGXCPU, signal.SIGKILL) and cpu >= cpu_soft - 0.05:
        return {"outcome": "time"}
    near_limit = rusage.ru_maxrss * 1024 >= 0.5 * (int(limits["memory_mb"]) << 20)
    if number in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGKILL) and near_limit:
        return {"outcome": "memory"}
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    message = f"The program crashed ({name})."
    return {"outcome": "error", "error": message, "error_hidden": message}


def run_case(code: Any, case: dict[str, Any], limits: dict[str, Any], cpu_left: float) -> dict:
    cap = int(limits["output_kb"]) * 1024
    cpu_soft = max(1, math.ceil(cpu_left))
    stdout_read, stdout_write = os.pipe()
    result_read, result_write = os.pipe()
    if "stdin" in case:
        stdin_fd = os.memfd_create("stdin")
        write_all(stdin_fd, case["stdin"].encode("utf-8"))
        os.lseek(stdin_fd, 0, os.SEEK_SET)
    else:
        stdin_fd = os.open("/dev/null", os.O_RDONLY)
    pid = os.fork()
    if pid == 0:
        child(code, case, limits, {"stdin": stdin_fd, "stdout": stdout_write,
                                   "result": result_write}, cpu_soft)
    for fd in (stdin_fd, stdout_write, result_write):
        os.close(fd)
    stdout, raw, over = collect(pid, stdout_read, result_read, cap)
    os.close(stdout_read)
    os.close(result_read)
    _, status, rusage = os.wait4(pid, 0)
    cpu = rusage.ru_utime + rusage.ru_stime
    result = checked_result(raw)
    if over:
        record: dict[str, Any] = {"outcome": "output"}
    elif cpu > cpu_left:
        record = {"outcome": "time"}
    elif result is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        record = result
    elif raw and result is None:
        message = "The program wrote over the judge's report of this test."
        record = {"outcome": "error", "error": message, "error_hidden": message}
    else:
        record = died(status, rusage, cpu, cpu_soft, limits, "call" in case)
    if record["outcome"] == "ok" and "stdin" in case:
        record["stdout"] = stdout.decode("utf-8", "replace")
    record["cpu"] = round(cpu, 4)
    return record


def limit_the_judge(limits: dict[str, Any]) -> None:
    memory = (max(int(limits["memory_mb"]), 256) + 256) << 20
    cpu = math.ceil(float(limits["cpu_seconds"])) + 5
    for kind, value in ((resource.RLIMIT_CORE, 0), (resource.RLIMIT_AS, memory),
                        (resource.RLIMIT_CPU, cpu)):
        lower_limit(kind, value, value)


def main(report_fd: int) -> None:
    header = json.loads(read_exactly(0, int(read_exactly(0, 16))))
    limits = header["limits"]
    limit_the_judge(limits)
    report(report_fd, {"ready": True})
    source = header["source"]
    try:
        code = compile(source, SOURCE_NAME, "exec", dont_inherit=True)
    except SyntaxError as error:
        message = "".join(traceback.format_exception_only(type(error), error)).rstrip("\n")
        report(report_fd, {"syntax_error": message[:ERROR_CHARS]})
        report(report_fd, {"end": True})
        return
    except (ValueError, RecursionError, MemoryError) as error:
        report(report_fd, {"syntax_error": f"SyntaxError: the program cannot be read ({error})"})
        report(report_fd, {"end": True})
        return
    linecache.cache[SOURCE_NAME] = (len(source), None, source.splitlines(True), SOURCE_NAME)
    cpu_left = float(limits["cpu_seconds"])
    for index, size in enumerate(header["sizes"]):
        case = json.loads(read_exactly(0, size))
        record = run_case(code, case, limits, cpu_left)
        cpu_left -= record["cpu"]
        report(report_fd, {"case": index, **record})
        if record["outcome"] == "time":
            break
    report(report_fd, {"end": True})


if __name__ == "__main__":
    main(int(sys.argv[1]))
