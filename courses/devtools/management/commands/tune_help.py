"""Checks the class dashboard's "may need help" rule on simulated classes and on a real class.

Simulated classes (:mod:`courses.devtools.help_tuning`): ``--classes`` populations of
``--learners`` learners, seeds ``--seed`` upwards, practise the course as the demo's learners do.
For the rule (:data:`courses.dashboards.needs_help.HELP_RULE`) the command prints the flagged
share, precision and recall against the learners of low true mastery (the bottom quarter of the
class by latent knowledge), the share of the flagged below the class's median true mastery, and
how many stuck flags are on a skill the learner truly knows among the worst quarter of those who
answered it. ``--sweep`` also scores each threshold one step either side, the rest unchanged.

``--cohort`` (default: the demo's class, when there is one) adds the real class dashboard of
that class: how many are flagged, and why. Nothing is written to the database.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from courses.dashboards.cohort import class_dashboard
from courses.dashboards.needs_help import HELP_RULE
from courses.devtools.help_tuning import RuleScore, score, simulated_class
from courses.management.commands.load_demo import DEMO_CLASS
from courses.management.lookup import course_or_error
from courses.models import Cohort
from courses.queries.exercises import sim_course_for
from courses.queries.graphs import skill_graph_for

# The thresholds --sweep moves, with the step either side.
SWEEP_STEPS: dict[str, float] = {
    "stuck_min_wrong": 1, "stuck_times_peers": 1.0, "peers_share": 1 / 6, "behind_share": 0.1,
    "min_peers": 1, "min_classmates": 2,
}


class Command(BaseCommand):
    help = "Score the 'may need help' rule on simulated classes and on a real class."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", default="fractions")
        parser.add_argument("--classes", type=int, default=12)
        parser.add_argument("--learners", type=int, default=40)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--cohort", default=DEMO_CLASS, help="A class to show ('' for none)")
        parser.add_argument("--sweep", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["classes"] < 1 or options["learners"] < 2:
            raise CommandError("Need at least one class of two learners.")
        course = course_or_error(options["course"])
        if options["cohort"]:
            self._real_class(course.pk, options["cohort"])
        started, now = time.perf_counter(), timezone.now()
        sim_course, graph = sim_course_for(course), skill_graph_for(course)
        seeds = range(options["seed"], options["seed"] + options["classes"])
        classes = [simulated_class(sim_course, graph, options["learners"], seed, now)
                   for seed in seeds]
        self.stdout.write(
            f"\n{len(classes)} simulated classes of {options['learners']} learners (seeds "
            f"{seeds.start}-{seeds.stop - 1}), built in {time.perf_counter() - started:.0f} s.\n"
            f"{'rule':<28} {'flagged':>7} {'range':>11} {'precision':>9} {'recall':>6} "
            f"{'below median':>12} {'stuck on weak':>13}"
        )
        self._line("as stated", score(classes, HELP_RULE, now))
        if options["sweep"]:
            for name, step in SWEEP_STEPS.items():
                value = getattr(HELP_RULE, name)
                for moved in (value - step, value + step):
                    if moved <= 0:
                        continue
                    if isinstance(value, int):
                        moved = int(moved)
                    rule = dataclasses.replace(HELP_RULE, **{name: moved})
                    self._line(f"{name}={moved:.3g}", score(classes, rule, now))

    def _line(self, label: str, result: RuleScore) -> None:
        low, high = result.share_range
        weak = ("–" if result.stuck_on_weak is None
                else f"{result.stuck_on_weak:.0%} of {result.stuck_flags}")
        self.stdout.write(
            f"{label:<28} {result.share:>7.0%} {f'{low:.0%}-{high:.0%}':>11} "
            f"{result.precision:>9.0%} {result.recall:>6.0%} {result.precision_half:>12.0%} "
            f"{weak:>13}"
        )

    def _real_class(self, course_id: int, name: str) -> None:
        cohort = Cohort.objects.filter(name=name, course_id=course_id).first()
        if cohort is None:
            self.stdout.write(f"No class {name!r} in this course: run load_demo to show it.")
            return
        dashboard = class_dashboard(cohort)
        flagged = dashboard.needs_help
        self.stdout.write(f"{cohort.name}: {len(flagged)} of {len(dashboard.rows)} learners "
                          f"flagged ({len(flagged) / max(1, len(dashboard.rows)):.0%}).")
        for row in flagged:
            self.stdout.write(f"  {row.username}: " + " | ".join(row.reasons))
