"""Running the harness in a fresh bubblewrap sandbox, and reading its report.

The sandbox sees only ``/usr`` read-only (``/usr/local`` hidden), a private size-capped
``/tmp``, a read-only minimal ``/dev`` and no ``/proc``; it shares no namespace with the host (no
network, its own pids, IPC and hostname), may not create user namespaces, holds no capability,
runs under a system-call filter (:mod:`.seccomp`) with an environment of its own and, when the
judge runs as root, as the unprivileged ``LEARNPATH_JUDGE_UID`` (65534, *nobody*), so that the
per-user process limit holds. The harness sets the resource limits of each test's process before
the program runs (:mod:`.harness`); this side enforces the wall clock, killing the whole sandbox
(bubblewrap's ``--die-with-parent`` takes its pid namespace down with it), and caps what it reads.

Settings, read at each run: ``LEARNPATH_JUDGE_BWRAP`` (default ``/usr/bin/bwrap``),
``LEARNPATH_JUDGE_PYTHON`` (default ``/usr/bin/python3``, which must live under ``/usr``),
``LEARNPATH_JUDGE_UID`` and ``LEARNPATH_JUDGE_GID`` (default 65534).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learnpath.judge.data import Limits
from learnpath.judge.seccomp import filter_program, supported_machine

logger = logging.getLogger(__name__)

HARNESS = Path(__file__).with_name("harness.py")
NOBODY = 65534
REPORT_SLACK = 64 * 1024
STDERR_CHARS = 2000


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here; nothing was run. The message says why."""


@dataclass(frozen=True)
class SandboxConfig:
    bwrap: str = "/usr/bin/bwrap"
    python: str = "/usr/bin/python3"
    uid: int = NOBODY
    gid: int = NOBODY

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SandboxConfig:
        values = os.environ if environ is None else environ
        ids = {}
        for name in ("uid", "gid"):
            text = values.get(f"LEARNPATH_JUDGE_{name.upper()}", str(NOBODY))
            if not text.isdigit():
                raise SandboxUnavailable(f"LEARNPATH_JUDGE_{name.upper()} must be a number, "
                                         f"not {text!r}")
            ids[name] = int(text)
        return cls(bwrap=values.get("LEARNPATH_JUDGE_BWRAP", cls.bwrap),
                   python=values.get("LEARNPATH_JUDGE_PYTHON", cls.python), **ids)


@dataclass
class RunReport:
    """What the harness reported: ``ready`` once set up, then a syntax error or one record per
    test (in the order run), and ``ended`` when it finished; ``wall_limit`` if it was killed."""

    ready: bool = False
    syntax_error: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False
    wall_limit: bool = False
    broken: bool = False
    seconds: float = 0.0


def check_config(config: SandboxConfig) -> None:
    """Raises :class:`SandboxUnavailable` unless the sandbox could be set up from ``config``."""
    if not os.path.isfile(config.bwrap) or not os.access(config.bwrap, os.X_OK):
        raise SandboxUnavailable(f"bubblewrap is not installed at {config.bwrap} "
                                 "(apt-get install bubblewrap, or set LEARNPATH_JUDGE_BWRAP)")
    python = os.path.realpath(config.python)
    if not os.path.isfile(python) or not os.access(python, os.X_OK):
        raise SandboxUnavailable(f"the judge's interpreter {config.python} does not exist "
                                 "(set LEARNPATH_JUDGE_PYTHON)")
    if not python.startswith("/usr/") or python.startswith("/usr/local/"):
        raise SandboxUnavailable(f"the judge's interpreter {config.python} must live under /usr "
                                 "(not /usr/local): the sandbox sees nothing else")
    if not supported_machine():
        raise SandboxUnavailable("no system-call filter for this machine's architecture")
    if os.geteuid() == 0 and 0 in (config.uid, config.gid):
        raise SandboxUnavailable("the judge will not run programs as root "
                                 "(LEARNPATH_JUDGE_UID/GID must not be 0)")


def _root_links() -> list[str]:
    arguments: list[str] = []
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            arguments += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            arguments += ["--ro-bind", top, top]
    return arguments


SANDBOX_TMP = "/tmp"  # noqa: S108 (the sandbox's own private tmpfs)


def bwrap_arguments(config: SandboxConfig, limits: Limits, seccomp_fd: int,
                    report_fd: int) -> list[str]:
    hide_local = ["--tmpfs", "/usr/local", "--remount-ro", "/usr/local"] \
        if os.path.isdir("/usr/local") else []
    return [
        config.bwrap,
        "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
        "--new-session", "--cap-drop", "ALL", "--uid", str(NOBODY), "--gid", str(NOBODY),
        "--hostname", "sandbox",
        "--clearenv", "--setenv", "PATH", "/usr/bin", "--setenv", "LANG", "C.UTF-8",
        "--setenv", "HOME", SANDBOX_TMP,
        "--ro-bind", "/usr", "/usr", *hide_local, *_root_links(),
        "--dev", "/dev", "--remount-ro", "/dev",
        "--size", str(limits.tmp_kb * 1024), "--perms", "1777", "--tmpfs", SANDBOX_TMP,
        "--remount-ro", "/", "--chdir", SANDBOX_TMP,
        "--seccomp", str(seccomp_fd),
        "--", config.python, "-I", "-S", "-B", "-c", HARNESS.read_text(), str(report_fd),
    ]


def _payload(source: str, inputs: list[dict[str, Any]], limits: Limits) -> int:
    blobs = [json.dumps(item, ensure_ascii=False).encode("utf-8") for item in inputs]
    header = json.dumps({"source": source, "sizes": [len(blob) for blob in blobs],
                         "limits": {"cpu_seconds": limits.cpu_seconds,
                                    "memory_mb": limits.memory_mb,
                                    "output_kb": limits.output_kb, "file_kb": limits.file_kb,
                                    "open_files": limits.open_files}}).encode("utf-8")
    return _memfd(b"%016d" % len(header) + header + b"".join(blobs))


def _memfd(data: bytes) -> int:
    fd = os.memfd_create("judge")
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_report(pipe: int, deadline: float, cap: int) -> tuple[bytes, bool]:
    """The report, until the sandbox closes it; ``True`` if the wall clock ran out first."""
    data = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(pipe, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(data), True
            if not selector.select(left):
                continue
            chunk = os.read(pipe, 65536)
            if not chunk or len(data) + len(chunk) > cap:
                return bytes(data + chunk[: max(0, cap - len(data))]), False
            data += chunk


def _parse(raw: bytes, report: RunReport) -> None:
    for line in raw.split(b"\n"):
        if not line:
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            report.broken = True
            return
        if not isinstance(record, dict):
            report.broken = True
            return
        if record.get("ready") is True:
            report.ready = True
        elif isinstance(record.get("syntax_error"), str):
            report.syntax_error = record["syntax_error"]
        elif record.get("end") is True:
            report.ended = True
        elif record.get("case") == len(report.records):
            report.records.append(record)
        else:
            report.broken = True
            return


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_harness(source: str, inputs: list[dict[str, Any]], limits: Limits,
        config: SandboxConfig) -> RunReport:
    """Runs the harness on ``inputs`` (each ``{"call", "args"}`` or ``{"stdin"}``) once."""
    check_config(config)
    report_read, report_write = os.pipe()
    seccomp_fd = _memfd(filter_program())
    payload_fd = _payload(source, inputs, limits)
    drop = {"user": config.uid, "group": config.gid, "extra_groups": []} \
        if os.geteuid() == 0 else {}
    cap = len(inputs) * (limits.output_kb * 1024 * 14 + REPORT_SLACK) + REPORT_SLACK
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                bwrap_arguments(config, limits, seccomp_fd, report_write), stdin=payload_fd,
                stdout=subprocess.DEVNULL, stderr=errors, pass_fds=(seccomp_fd, report_write),
                env={}, cwd="/", start_new_session=True, **drop)  # type: ignore[call-overload]
        except OSError as error:
            raise SandboxUnavailable(f"bubblewrap could not be started: {error}") from error
        finally:
            for fd in (report_write, seccomp_fd, payload_fd):
                os.close(fd)
        try:
            raw, out_of_time = _read_report(report_read, started + limits.wall_seconds, cap)
        finally:
            os.close(report_read)
            _kill(process)
        report = RunReport(wall_limit=out_of_time, seconds=time.monotonic() - started)
        _parse(raw, report)
        errors.seek(0)
        stderr = errors.read(STDERR_CHARS).decode("utf-8", "replace").strip()
    if not report.ready:
        if out_of_time:
            raise SandboxUnavailable(f"the sandbox did not start within {limits.wall_seconds} s")
        raise SandboxUnavailable("bubblewrap could not set up the sandbox: "
                                 f"{stderr or f'exit status {process.returncode}'}")
    if stderr and not report.ended:
        logger.warning("The judge's harness stopped early: %s", stderr)
    return report
