"""How close the chart after a placement check is to simulated learners' true knowledge.

``--simulator builtin`` (the default): the course's skills and exercises as the built-in
simulator sees them; ``--validation-learners`` learners of another seed choose the check's
settings (:func:`learnpath.bench.placement.choose_config`), then ``--learners`` learners of
``--seed`` are placed by every method: no check, a fixed test of ``--items`` answered as
practice (BKT) or read by the check's inference, and the adaptive check (see
:mod:`learnpath.bench.placement`).

``--simulator data``: the data-driven simulator on the ASSISTments files in ``--data``
(:mod:`learnpath.bench.placement_data`); no course of the site is read, the check runs with
``PlacementConfig``'s defaults, and ``--seed`` is the learner split's (0: the path
measurement's, whose environment kept in ``--models`` is reused).

Prints the table and writes it with the settings to ``--out``.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.management.lookup import course_or_error
from courses.queries.exercises import sim_course_for
from learnpath.bench import placement_data
from learnpath.bench.placement import (
    KNOWN_AT,
    PRIOR_ATTEMPTS,
    PlacementScore,
    choose_config,
    evaluate_placement,
    table,
)
from learnpath.placement import PlacementConfig


class Command(BaseCommand):
    help = "Compare placement checks on simulated learners; writes results.json and a table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--simulator", choices=("builtin", "data"), default="builtin")
        parser.add_argument("--course", default="fractions", help="builtin: the course")
        parser.add_argument("--learners", type=int, default=300)
        parser.add_argument("--validation-learners", type=int, default=150,
                            help="builtin: learners that choose the check's settings")
        parser.add_argument("--items", type=int, default=15)
        parser.add_argument("--seed", type=int, default=None,
                            help="builtin: the learners' seed (7); data: the split's (0)")
        parser.add_argument("--known-at", type=float, default=None,
                            help=f"builtin: latent knowledge from which a skill counts as known "
                                 f"({KNOWN_AT}); data: mean P(right) over its problems "
                                 f"({placement_data.KNOWN_AT})")
        parser.add_argument("--prior-attempts", type=int, default=PRIOR_ATTEMPTS,
                            help="builtin: most attempts of study elsewhere before the check")
        parser.add_argument("--data", type=Path,
                            default=Path("../shared/datasets/kt_benchmarks/assist2009/akt_pid"),
                            help="data: the akt_pid folder")
        parser.add_argument("--prefix", default="assist2009_pid", help="data: the files' prefix")
        parser.add_argument("--prerequisites", choices=("inferred", "none"), default="inferred",
                            help="data: the course's graph (inferred by PrerequisiteRule)")
        parser.add_argument("--min-attempts", type=int, default=20,
                            help="data: fewest attempts of a simulated learner")
        parser.add_argument("--max-prefix", type=int, default=100,
                            help="data: most attempts of a learner's history before the check")
        parser.add_argument("--epochs", type=int, default=30, help="data: the environment's")
        parser.add_argument("--models", type=Path, default=Path("bench-out/paths-kt"),
                            help="data: where the environment is kept")
        parser.add_argument("--out", type=Path, default=Path("placement-out"))

    def handle(self, *args: Any, **options: Any) -> None:
        if min(options["learners"], options["validation_learners"], options["items"]) < 1:
            raise CommandError("--learners, --validation-learners and --items must be >= 1.")
        if options["simulator"] == "data":
            config, scores, extra = self._data(options)
        else:
            config, scores, extra = self._builtin(options)
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(
            {"simulator": options["simulator"], "config": asdict(config), **extra,
             "scores": [asdict(score) for score in scores]}, indent=2) + "\n")
        (out / "results.md").write_text(table(scores) + "\n")
        self.stdout.write(table(scores))

    def _builtin(self, options: dict[str, Any]
                 ) -> tuple[PlacementConfig, list[PlacementScore], dict[str, Any]]:
        sim_course = sim_course_for(course_or_error(options["course"]))
        seed = 7 if options["seed"] is None else options["seed"]
        population = {"items": options["items"], "prior_attempts": options["prior_attempts"],
                      "known_at": KNOWN_AT if options["known_at"] is None
                      else options["known_at"]}
        config, tried = choose_config(sim_course, options["validation_learners"], seed + 1000,
                                      **population)
        self.stdout.write(f"Chosen on {options['validation_learners']} validation learners: "
                          f"confident_at={config.confident_at}, "
                          f"prior_concentration={config.prior_concentration}")
        scores = evaluate_placement(sim_course, config, options["learners"], seed, **population)
        return config, scores, {"validation": tried}

    def _data(self, options: dict[str, Any]
              ) -> tuple[PlacementConfig, list[PlacementScore], dict[str, Any]]:
        seed = 0 if options["seed"] is None else options["seed"]
        known_at = placement_data.KNOWN_AT if options["known_at"] is None \
            else options["known_at"]
        try:
            simulator = placement_data.build_data_simulator(
                options["data"], prefix=options["prefix"], seed=seed, epochs=options["epochs"],
                prerequisites=options["prerequisites"] == "inferred", models=options["models"],
                learners=options["learners"], min_attempts=options["min_attempts"],
                max_prefix=options["max_prefix"])
        except (FileNotFoundError, ValueError) as error:
            raise CommandError(str(error)) from error
        facts = simulator.facts
        truths = [placement_data.true_knowledge(simulator.environment, prefix, simulator.course,
                                                known_at) for prefix in simulator.prefixes]
        known = sum(sum(truth.values()) for truth in truths)
        facts["known_share"] = known / max(len(truths) * facts["skills"], 1)
        reused = ", reused" if facts["environment_reused"] else ""
        self.stdout.write(
            f"Learners: {facts['learners']['environment']} environment (validation AUC "
            f"{facts['environment_valid_auc']:.4f}{reused}), {facts['learners']['site']} site, "
            f"{facts['learners']['held_out']} held out "
            f"({facts['learners']['simulated']} simulated). Course from the site's learners: "
            f"{facts['skills']} skills, {facts['problems']} problems, "
            f"{facts['prerequisite_edges']} prerequisite edges ({options['prerequisites']}). "
            f"Known (mean P(right) >= {known_at}) before the check: "
            f"{facts['known_share']:.1%} of learner x skill pairs.")
        config = PlacementConfig(max_items=options["items"])
        self.stdout.write(f"PlacementConfig defaults: confident_at={config.confident_at}, "
                          f"prior_concentration={config.prior_concentration}")
        scores = placement_data.evaluate_data_placement(
            simulator.course, simulator.environment, simulator.prefixes, truths, config,
            simulator.params, items=options["items"], seed=seed)
        return config, scores, {"data": facts}
