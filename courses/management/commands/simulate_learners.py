from __future__ import annotations

from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from courses.actions.simulation import simulate_learners
from courses.management.lookup import course_or_error
from courses.models import Cohort


class Command(BaseCommand):
    help = (
        "Give N simulated learners a realistic attempt history over several sessions "
        "(learner model: learnpath.sim). Running it again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Course slug")
        parser.add_argument("--learners", type=int, default=40)
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument("--prefix", default="sim", help="Usernames: <prefix>-001, ...")
        parser.add_argument("--days", type=int, default=28, help="History spans this many days")
        parser.add_argument("--cohort", type=int, help="Put the learners in this class (id)")

    def handle(self, *args: Any, **options: Any) -> None:
        course = course_or_error(options["slug"])
        if options["learners"] < 1:
            raise CommandError("--learners must be at least 1.")
        cohort = None
        if options["cohort"] is not None:
            cohort = Cohort.objects.filter(pk=options["cohort"], course=course).first()
            if cohort is None:
                raise CommandError(f"No class {options['cohort']} in {course.slug!r}.")
        usernames = [f"{options['prefix']}-{n:03d}" for n in range(1, options["learners"] + 1)]
        # The wrapped stream itself (the stubs omit OutputWrapper._out): the wrapper would end
        # each of tqdm's in-place refreshes with a newline.
        stream = cast(TextIO, self.stderr._out)
        with tqdm(total=len(usernames), unit="learner", file=stream) as bar:

            def advance(done: int, total: int) -> None:
                bar.update(done - bar.n)

            summary = simulate_learners(
                course, usernames, seed=options["seed"], days=options["days"], cohort=cohort,
                progress=advance,
            )
        self.stdout.write(
            f"{summary.learners} simulated learners, {summary.attempts} new attempts stored."
        )
