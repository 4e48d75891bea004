from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses import jobs

# A process that exits (killed, crashed) is started again, as a supervisor would, unless it
# keeps exiting: more than MAX_RESTARTS within RESTART_WINDOW seconds stops everything.
MAX_RESTARTS = 5
RESTART_WINDOW = 300.0


class Command(BaseCommand):
    help = (
        "Serve the site with real Celery workers (one also for path planning, one for path "
        "planning only, one judging programs) and beat, restarting any that exits; "
        "Ctrl-C stops them all. "
        "--production serves with gunicorn (WEB_CONCURRENCY workers) instead of runserver."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--production", action="store_true")

    def handle(self, *args: Any, addr: str, production: bool, **options: Any) -> None:
        python = sys.executable
        web = [python, "manage.py", "runserver", addr, "--noreload"]
        if production:
            workers = os.environ.get("WEB_CONCURRENCY", "2")
            web = [python, "-m", "gunicorn", "learnpath.site.wsgi", "--bind", addr,
                   "--workers", workers, "--access-logfile", "-"]
        commands = {
            "web": web,
            "worker": [python, "-m", "celery", "-A", "learnpath.site", "worker", "-l", "info",
                       "--concurrency", "1", "-n", "demo-worker@%h",
                       "-Q", f"celery,{jobs.PATHS_QUEUE}"],
            # Plans learners' paths after their answers, even while the other trains a model.
            "paths-worker": [python, "-m", "celery", "-A", "learnpath.site", "worker", "-l",
                             "info", "--concurrency", "1", "-n", "demo-paths@%h",
                             "-Q", jobs.PATHS_QUEUE],
            # Judges learners' programs in the sandbox, and nothing else: a judge worker can
            # run on a machine of its own, with this queue only (README, "Scaling the judge").
            "judge-worker": [python, "-m", "celery", "-A", "learnpath.site", "worker", "-l",
                             "info", "--concurrency", "2", "-n", "demo-judge@%h",
                             "-Q", jobs.JUDGE_QUEUE],
            "beat": [python, "-m", "celery", "-A", "learnpath.site", "beat", "-l", "info",
                     "--schedule", str(settings.DATA_DIR / "celerybeat-schedule")],
        }
        processes = {name: self._start(command) for name, command in commands.items()}
        self.stdout.write(f"Serving http://{addr}/ with Celery workers and beat. Ctrl-C stops.")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        restarts: list[float] = []
        try:
            while True:
                time.sleep(0.5)
                for name, process in list(processes.items()):
                    if process.poll() is None:
                        continue
                    now = time.monotonic()
                    restarts = [at for at in restarts if at > now - RESTART_WINDOW] + [now]
                    if len(restarts) > MAX_RESTARTS:
                        raise CommandError(
                            f"{name} exited with {process.returncode}; {MAX_RESTARTS} restarts "
                            f"in {RESTART_WINDOW:.0f} s already: stopping everything."
                        )
                    self.stderr.write(f"{name} exited with {process.returncode}; restarting it.")
                    processes[name] = self._start(commands[name])
        except (KeyboardInterrupt, SystemExit):
            self.stdout.write("Stopping…")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()

    @staticmethod
    def _start(command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, cwd=settings.BASE_DIR)
