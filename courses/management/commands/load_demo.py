from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO, cast

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from courses import access
from courses.actions.charts import fit_mastery_params, rebuild_course_charts
from courses.actions.content_images import add_course_image
from courses.actions.course_import import import_course, parse_course_json
from courses.actions.enrolment import add_to_cohort
from courses.actions.simulation import simulate_learners
from courses.ml.registry import active_version
from courses.ml.training import open_run, run_training
from courses.models import Cohort, Course, TrainingRun

DEMO_COURSE = Path(__file__).resolve().parents[2] / "demo" / "fractions_course.json"
# The second demo course: programs judged in the sandbox (ada is enrolled in both).
PYTHON_COURSE = DEMO_COURSE.parent / "python_course.json"
PYTHON_CLASS = "Python club"
PYTHON_LEARNERS = 20
DEMO_IMAGES = DEMO_COURSE.parent / "images"  # images.json names them, with their alt text
DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo accounts
DEMO_CLASS = "Class 6A"
# The first model also trains on this many simulated learners' histories (not stored): trained on
# the 40 classmates alone, its chances rose after three wrong answers as after three right ones.
DEMO_HISTORY_LEARNERS = 1000


class Command(BaseCommand):
    train_later = False  # --train-later: the first models are left to the Celery worker
    help = (
        "Load the demo course, accounts (ada, tess, admin) and simulated classmates, and train a "
        "first model on their history and a larger simulated one. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learners", type=int, default=40, help="Simulated classmates")
        parser.add_argument(
            "--history-learners", type=int, default=DEMO_HISTORY_LEARNERS,
            help="Simulated learners whose histories the model also trains on (not stored)",
        )
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument(
            "--train-later", action="store_true",
            help="Queue each course's first model for the Celery worker instead of training it "
                 "here (make demo: the site is up sooner; paths use the cold-start planner "
                 "until the worker has trained the model)",
        )

    def handle(self, *args: Any, learners: int, history_learners: int, seed: int,
               train_later: bool = False, **options: Any) -> None:
        if history_learners < 0:
            raise CommandError("--history-learners must be 0 or more.")
        self.train_later = train_later
        course = Course.objects.filter(slug="fractions").first()
        if course is None:
            course = import_course(parse_course_json(DEMO_COURSE.read_bytes())).course
            self.stdout.write(f"Imported the demo course {course.title!r}.")
        _demo_images(course)
        with transaction.atomic():
            admin = _account("admin", "Alan Admin", is_staff=True, is_superuser=True)
            tess = _account("tess", "Tess Teacher")
            tess.groups.add(access.teachers_group())
            ada = _account("ada", "Ada Learner")
            cohort, _ = Cohort.objects.get_or_create(
                name=DEMO_CLASS, teacher=tess, defaults={"course": course}
            )
            add_to_cohort(cohort, ada)
        usernames = [f"sim-{n:03d}" for n in range(1, learners + 1)]
        # The wrapped stream itself (the stubs omit OutputWrapper._out): the wrapper would end
        # each of tqdm's in-place refreshes with a newline.
        with tqdm(total=len(usernames), unit="learner", desc="simulated learners",
                  file=cast(TextIO, self.stderr._out)) as bar:

            def advance(done: int, total: int) -> None:
                bar.update(done - bar.n)

            summary = simulate_learners(
                course, usernames, seed=seed, cohort=cohort, progress=advance
            )
        simulate_learners(course, ["ada"], seed=seed + 1, sessions=(2, 3), days=7, cohort=cohort)
        self._fit_charts(course)
        self._first_model(course, history_learners)
        self._python_course(tess, ada, seed, min(learners, PYTHON_LEARNERS), history_learners)
        self.stdout.write(
            f"{summary.learners} simulated learners in {DEMO_CLASS} "
            f"({summary.attempts} new attempts).\n"
            "Demo accounts (password 'demo'):\n"
            "  ada    learner  http://127.0.0.1:8000/\n"
            "  tess   teacher  http://127.0.0.1:8000/teach/\n"
            f"  {admin.username}  admin    http://127.0.0.1:8000/admin/"
        )


    def _python_course(self, tess: Any, ada: Any, seed: int, learners: int,
                       history_learners: int) -> None:
        course = Course.objects.filter(slug="python-basics").first()
        if course is None:
            course = import_course(parse_course_json(PYTHON_COURSE.read_bytes())).course
            self.stdout.write(f"Imported the demo course {course.title!r} (every reference "
                              "solution judged in the sandbox).")
        cohort, _ = Cohort.objects.get_or_create(name=PYTHON_CLASS, teacher=tess,
                                                 defaults={"course": course})
        add_to_cohort(cohort, ada)
        simulate_learners(course, [f"py-sim-{n:03d}" for n in range(1, learners + 1)],
                          seed=seed, cohort=cohort)
        self._fit_charts(course)
        self._first_model(course, history_learners // 2)

    def _fit_charts(self, course: Course) -> None:
        if course.skills.exclude(bkt_params=None).exists():
            return
        fitted = fit_mastery_params(course)
        rebuild_course_charts(course)
        self.stdout.write(f"Fitted the mastery estimator for {len(fitted)} skills.")

    def _first_model(self, course: Course, history_learners: int) -> None:
        if active_version(course) is not None:
            return
        course.simulated_learners = history_learners
        course.save(update_fields=["simulated_learners", "updated_at"])
        opened, _ = open_run(course, TrainingRun.Trigger.DEMO)
        if self.train_later:
            self.stdout.write(f"Queued the first model of {course.title!r} (with "
                              f"{history_learners} simulated learners' history) for the Celery "
                              "worker; until it is trained, paths use the cold-start planner.")
            return
        self.stdout.write(f"Training a first model, with {history_learners} simulated learners' "
                          "history (a minute or two)…")
        run = run_training(opened.pk)
        if run is None:  # the run was deleted (with its course) while it trained
            raise TrainingRun.DoesNotExist(f"Training run {opened.pk} no longer exists.")
        self.stdout.write(f"Model: {run.get_status_display()}. {run.message}")


def _account(username: str, full_name: str, **flags: bool) -> Any:
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        first, last = full_name.split(" ", 1)
        user.first_name, user.last_name = first, last
        for name, value in flags.items():
            setattr(user, name, value)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _demo_images(course: Course) -> None:
    """The pictures the demo's texts show, added once."""
    present = set(course.images.values_list("name", flat=True))
    for item in json.loads((DEMO_IMAGES / "images.json").read_text()):
        if item["name"] not in present:
            add_course_image(course, item["name"], item["alt_text"],
                             (DEMO_IMAGES / item["file"]).read_bytes(), item["file"])
