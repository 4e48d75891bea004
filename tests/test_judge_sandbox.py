"""The judge's sandbox against hostile programs: each attack ends with its stated verdict, this
process is still alive, and the next program is judged normally.

Nothing here is skipped: ``make test`` installs bubblewrap, and a judge that cannot sandbox must
refuse (the last tests)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from learnpath.judge import (
    Case,
    Limits,
    Outcome,
    SandboxConfig,
    SandboxUnavailable,
    Verdict,
    check_sandbox,
    judge,
)

ROOT = Path(__file__).resolve().parents[1]
QUICK = Limits(cpu_seconds=1.0, wall_seconds=3.0)
ADD_TESTS = [Case(visible=True, call="add", args=(2, 3), expected=5),
             Case(visible=False, call="add", args=(-1, 1), expected=0)]
GOOD_ADD = "def add(a, b):\n    return a + b\n"


@pytest.fixture(scope="module", autouse=True)
def sandbox_works() -> None:
    try:
        check_sandbox()
    except SandboxUnavailable as error:  # make test installs bubblewrap: this is a failure
        pytest.fail(f"the judge's sandbox cannot be set up here: {error}")


def attack(body: str, limits: Limits = QUICK) -> Verdict:
    """Judges ``run()`` wrapping ``body``; then checks the next program is judged normally."""
    source = "def run():\n" + textwrap.indent(textwrap.dedent(body), "    ") + "\n"
    verdict = judge(source, [Case(visible=True, call="run", expected="safe")], limits)
    assert judge(GOOD_ADD, ADD_TESTS).outcome is Outcome.ACCEPTED
    return verdict


def script(source: str, limits: Limits = QUICK) -> Verdict:
    verdict = judge(textwrap.dedent(source), [Case(visible=True, stdin="", stdout="safe\n")],
                    limits)
    assert judge(GOOD_ADD, ADD_TESTS).outcome is Outcome.ACCEPTED
    return verdict


def assert_runtime_error(verdict: Verdict, *names: str) -> None:
    assert verdict.outcome is Outcome.RUNTIME_ERROR, verdict
    assert any(name in verdict.message for name in names), verdict.message


# --- processes -------------------------------------------------------------------------------

def test_a_fork_bomb_cannot_fork_once() -> None:
    verdict = script("import os\nwhile True:\n    os.fork()\n")
    assert_runtime_error(verdict, "BlockingIOError")


def test_a_subprocess_cannot_start() -> None:
    verdict = attack("import subprocess\nreturn subprocess.run(['/bin/echo', 'hi']).returncode")
    assert_runtime_error(verdict, "BlockingIOError")


def test_os_system_and_threads_cannot_start_either() -> None:
    # system() reports 127 << 8 when it cannot start the shell; "exit 0" would give 0
    verdict = attack("import os\nreturn 'safe' if os.system('exit 0') == 127 << 8 else 'ran'")
    assert verdict.outcome is Outcome.ACCEPTED, verdict
    verdict = attack("import threading\nthreading.Thread(target=print).start()")
    assert_runtime_error(verdict, "can't start new thread")


def test_ctypes_calls_to_fork_and_system_fail() -> None:
    verdict = attack("import ctypes\nlibc = ctypes.CDLL(None)\n"
                     "return [libc.fork(), libc.system(b'exit 0')]")
    assert verdict.outcome is Outcome.WRONG_ANSWER
    assert verdict.first_failure is not None
    assert verdict.first_failure["got"] == f"[-1, {127 << 8}]"


def test_ctypes_cannot_trace_the_judge_or_make_namespaces() -> None:
    verdict = attack("""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        attach = libc.ptrace(16, os.getppid(), 0, 0)  # PTRACE_ATTACH to the judge's harness
        user = libc.unshare(0x10000000)  # CLONE_NEWUSER
        shared = libc.shmget(0, 1 << 30, 0o1600)  # IPC_PRIVATE, IPC_CREAT
        return "safe" if (attach, user, shared) == (-1, -1, -1) else [attach, user, shared]
    """)
    assert verdict.outcome is Outcome.ACCEPTED, verdict


def test_a_segfault_through_ctypes_is_a_runtime_error() -> None:
    verdict = attack("import ctypes\nreturn ctypes.string_at(0)")
    assert_runtime_error(verdict, "SIGSEGV")


# --- time, memory, files, output -------------------------------------------------------------

@pytest.mark.slow
def test_an_endless_loop_is_stopped_at_the_cpu_limit() -> None:
    started = time.monotonic()
    verdict = attack("while True:\n    pass")
    assert verdict.outcome is Outcome.TIME_LIMIT and "CPU" in verdict.message
    assert time.monotonic() - started < QUICK.wall_seconds + 2


@pytest.mark.slow
def test_a_loop_that_ignores_sigxcpu_is_killed() -> None:
    verdict = attack("import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
                     "while True:\n    pass")
    assert verdict.outcome is Outcome.TIME_LIMIT


@pytest.mark.slow
def test_sleeping_is_stopped_by_the_wall_clock_and_leaves_no_process() -> None:
    name = f"sleeper{os.getpid() % 100000}"  # the name the program gives its process
    verdict = attack(f"import ctypes, time\nctypes.CDLL(None).prctl(15, b'{name}')\n"
                     "time.sleep(60)", Limits(cpu_seconds=1, wall_seconds=1.0))
    assert verdict.outcome is Outcome.TIME_LIMIT and "ran for more than 1 s" in verdict.message
    deadline = time.monotonic() + 2
    while processes_named(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_named(name) == []


@pytest.mark.slow
def test_a_judge_killed_mid_run_takes_its_sandbox_with_it() -> None:
    name = f"orphan{os.getpid() % 100000}"
    program = (f"import ctypes, time\nctypes.CDLL(None).prctl(15, b'{name}')\n"
               "time.sleep(60)\ndef run():\n    return 'safe'\n")
    worker = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from learnpath.judge import Case, Limits, judge
        judge({program!r}, [Case(visible=True, call="run", expected="safe")],
              Limits(cpu_seconds=1, wall_seconds=30))
    """)], cwd=ROOT)
    deadline = time.monotonic() + 10
    while not processes_named(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_named(name), "the sandboxed program never started"
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 3
    while processes_named(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_named(name) == []


def processes_named(name: str) -> list[str]:
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                found.append(comm.parent.name)
        except OSError:
            continue
    return found


def test_allocating_10_gb_is_a_memory_limit() -> None:
    assert attack("return len(bytearray(10 * 1024 ** 3))").outcome is Outcome.MEMORY_LIMIT


def test_growing_a_list_until_memory_runs_out_is_a_memory_limit() -> None:
    verdict = attack("hoard = []\nwhile True:\n    hoard.append(' ' * 1_000_000)")
    assert verdict.outcome is Outcome.MEMORY_LIMIT


def test_writing_a_1_gb_file_stops_at_the_file_size_limit() -> None:
    verdict = attack("""
        block = b'x' * (1 << 20)
        with open('/tmp/big', 'wb') as out:
            for _ in range(1024):
                out.write(block)
    """)
    assert_runtime_error(verdict, "File too large")


def test_many_files_fill_only_the_private_tmp() -> None:
    verdict = attack("""
        block = b'x' * (1 << 19)
        for number in range(2048):
            with open(f'/tmp/part{number}', 'wb') as out:
                out.write(block)
    """)
    assert_runtime_error(verdict, "No space left on device")


def test_printing_100_mb_is_an_output_limit() -> None:
    verdict = script("line = 'x' * 999\nfor _ in range(100_000):\n    print(line)\n")
    assert verdict.outcome is Outcome.OUTPUT_LIMIT


def test_writing_to_the_stdout_fd_counts_too() -> None:
    verdict = script("import os\nwhile True:\n    os.write(1, b'y' * 65536)\n")
    assert verdict.outcome is Outcome.OUTPUT_LIMIT


def test_a_huge_return_value_is_an_output_limit() -> None:
    assert attack("return ['x' * 1000] * 1000").outcome is Outcome.OUTPUT_LIMIT


# --- network ---------------------------------------------------------------------------------

@pytest.fixture
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@pytest.mark.parametrize("port", [5432, 6379])
def test_postgresql_and_redis_cannot_be_reached(port: int) -> None:
    verdict = attack(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1)")
    assert_runtime_error(verdict, "ConnectionRefusedError")


def test_a_port_open_on_this_machine_cannot_be_reached(listener: int) -> None:
    verdict = attack(f"import socket\nsocket.create_connection(('127.0.0.1', {listener}), 1)")
    assert_runtime_error(verdict, "ConnectionRefusedError")


def test_no_address_outside_can_be_reached() -> None:
    verdict = attack("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)")
    assert_runtime_error(verdict, "Network is unreachable")


def test_the_database_socket_is_not_there() -> None:
    verdict = attack("import socket\ns = socket.socket(socket.AF_UNIX)\n"
                     "s.connect('/var/run/postgresql/.s.PGSQL.5432')")
    assert_runtime_error(verdict, "FileNotFoundError")


# --- files, secrets, environment -------------------------------------------------------------

@pytest.mark.parametrize("path", ["/etc/passwd", "/etc/shadow", "/proc/self/environ",
                                  "/proc/1/environ", str(ROOT / "learnpath/site/settings.py"),
                                  str(Path(__file__)), "/root/.bashrc"])
def test_files_outside_the_sandbox_cannot_be_read(path: str) -> None:
    verdict = attack(f"return open({path!r}).read()")
    assert_runtime_error(verdict, "FileNotFoundError")


def test_the_file_system_holds_only_the_runtime() -> None:
    verdict = attack("import os\nreturn sorted(os.listdir('/'))")
    assert verdict.first_failure is not None
    shown = eval(verdict.first_failure["got"])  # noqa: S307 (a list of names, from the test)
    assert set(shown) <= {"bin", "dev", "lib", "lib32", "lib64", "libx32", "sbin", "tmp", "usr"}
    local = attack("import os\nreturn os.listdir('/usr/local')").first_failure
    assert local is not None and local["got"] == "[]"


def test_the_secret_key_and_the_workers_environment_are_invisible(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "secret-key-marker-4711")
    monkeypatch.setenv("LEARNPATH_TEST_MARKER", "environment-marker-4711")
    verdict = attack("import os\nreturn sorted(os.environ.items())")
    got = verdict.first_failure["got"] if verdict.first_failure else ""
    assert "marker-4711" not in got and "SECRET_KEY" not in got
    assert eval(got) and {name for name, _ in eval(got)} <= {"PATH", "LANG", "HOME", "PWD",  # noqa: S307
                                                              "LC_CTYPE"}


def test_writing_outside_tmp_is_refused() -> None:
    verdict = attack("open('/usr/lib/evil', 'w')")
    assert_runtime_error(verdict, "Read-only file system", "Permission denied")


# --- signals ---------------------------------------------------------------------------------

def test_killing_the_judges_harness_is_a_runtime_error() -> None:
    verdict = attack("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
                     "import time\ntime.sleep(5)\nreturn 'safe'")
    assert_runtime_error(verdict, "stopped the judge")


def test_killing_every_process_it_can_is_a_runtime_error() -> None:
    verdict = attack("import os, signal\nos.kill(-1, signal.SIGKILL)\nreturn 'safe'")
    assert verdict.outcome is Outcome.RUNTIME_ERROR, verdict


def test_this_process_cannot_be_signalled() -> None:
    verdict = attack(f"import os, signal\nos.kill({os.getpid()}, signal.SIGKILL)")
    assert_runtime_error(verdict, "ProcessLookupError")
    assert os.getpid() > 0  # still here


# --- refusing to judge -----------------------------------------------------------------------

def test_a_missing_bubblewrap_refuses_to_judge(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    monkeypatch.setenv("LEARNPATH_JUDGE_BWRAP", str(tmp_path / "no-bwrap"))
    source = f"open({str(marker)!r}, 'w')\ndef add(a, b):\n    return a + b\n"
    with pytest.raises(SandboxUnavailable, match="bubblewrap is not installed"):
        judge(source, ADD_TESTS)
    with pytest.raises(SandboxUnavailable):
        check_sandbox()
    assert not marker.exists()


def test_a_bubblewrap_that_fails_refuses_to_judge() -> None:
    with pytest.raises(SandboxUnavailable, match="could not set up the sandbox"):
        judge(GOOD_ADD, ADD_TESTS, config=SandboxConfig(bwrap="/usr/bin/false"))


def test_an_interpreter_outside_usr_or_running_as_root_is_refused() -> None:
    with pytest.raises(SandboxUnavailable, match="must live under /usr"):
        judge(GOOD_ADD, ADD_TESTS, config=SandboxConfig(python=str(ROOT / ".venv/bin/python")))
    if os.geteuid() == 0:
        with pytest.raises(SandboxUnavailable, match="not run programs as root"):
            judge(GOOD_ADD, ADD_TESTS, config=SandboxConfig(uid=0))
