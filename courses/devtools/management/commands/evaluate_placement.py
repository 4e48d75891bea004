"""How close the chart after a placement check is to simulated learners' true knowledge.

The course's skills and exercises as the simulator sees them; ``--validation-learners``
learners of another seed choose the check's settings (:func:`learnpath.bench.placement.
choose_config`), then ``--learners`` learners of ``--seed`` are placed by every method: no
check, a fixed test of ``--items`` answered as practice (BKT) or read by the check's inference,
and the adaptive check (see :mod:`learnpath.bench.placement`). Prints the table and writes it
with the settings to ``--out``.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.management.lookup import course_or_error
from courses.queries.exercises import sim_course_for
from learnpath.bench.placement import (
    KNOWN_AT,
    PRIOR_ATTEMPTS,
    choose_config,
    evaluate_placement,
    table,
)


class Command(BaseCommand):
    help = "Compare placement checks on simulated learners; writes results.json and a table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", default="fractions")
        parser.add_argument("--learners", type=int, default=300)
        parser.add_argument("--validation-learners", type=int, default=150)
        parser.add_argument("--items", type=int, default=15)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--known-at", type=float, default=KNOWN_AT,
                            help="Latent knowledge from which a skill counts as known")
        parser.add_argument("--prior-attempts", type=int, default=PRIOR_ATTEMPTS,
                            help="Most attempts of study elsewhere before the check")
        parser.add_argument("--out", type=Path, default=Path("placement-out"))

    def handle(self, *args: Any, **options: Any) -> None:
        course = course_or_error(options["course"])
        if min(options["learners"], options["validation_learners"], options["items"]) < 1:
            raise CommandError("--learners, --validation-learners and --items must be >= 1.")
        sim_course = sim_course_for(course)
        population = {"items": options["items"], "known_at": options["known_at"],
                      "prior_attempts": options["prior_attempts"]}
        config, tried = choose_config(sim_course, options["validation_learners"],
                                      options["seed"] + 1000, **population)
        self.stdout.write(f"Chosen on {options['validation_learners']} validation learners: "
                          f"confident_at={config.confident_at}, "
                          f"prior_concentration={config.prior_concentration}")
        scores = evaluate_placement(sim_course, config, options["learners"], options["seed"],
                                    **population)
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(
            {"config": asdict(config), "validation": tried,
             "scores": [asdict(score) for score in scores]}, indent=2) + "\n")
        (out / "results.md").write_text(table(scores) + "\n")
        self.stdout.write(table(scores))
