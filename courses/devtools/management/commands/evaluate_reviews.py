"""Retention of mastered skills after 30 simulated days: the FSRS schedule, today's review rule
and no review, on the same simulated learners (:mod:`learnpath.sim.review_eval` says how).

FSRS's one free parameter here, its desired retention, is chosen among ``--retentions`` on
``--validation-learners`` learners of another population (``--seed`` + 2000) by the mean latent
knowledge of every skill at the window's end; the table reports ``--learners`` learners of the
``--seed`` population, whom the choice never saw. Charts use the course's stored BKT parameters,
as the site does.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.management.lookup import course_or_error
from courses.queries.charts import params_for
from courses.queries.exercises import sim_course_for
from learnpath import review
from learnpath.sim.review_eval import RetentionResult, RetentionSetup, evaluate_review_rule

VALIDATION_SEED_OFFSET = 2000


class Command(BaseCommand):
    help = "Retention of mastered skills after 30 simulated days under each review rule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", default="fractions")
        parser.add_argument("--learners", type=int, default=200)
        parser.add_argument("--validation-learners", type=int, default=100)
        parser.add_argument("--learn-attempts", type=int, default=80)
        parser.add_argument("--days", type=float, default=30.0)
        parser.add_argument("--threshold", type=float, default=0.8,
                            help="Latent knowledge that counts as retained")
        parser.add_argument("--retentions", default="0.8,0.85,0.9,0.95")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument("--out", type=Path, default=Path("reviews-out"))

    def handle(self, *args: Any, **options: Any) -> None:
        course = course_or_error(options["course"])
        if options["learners"] < 1 or options["validation_learners"] < 1:
            raise CommandError("--learners and --validation-learners must be at least 1.")
        try:
            retentions = [float(r) for r in options["retentions"].split(",")]
            candidates = [review.ReviewParams(desired_retention=r) for r in retentions]
        except ValueError as error:
            raise CommandError(f"--retentions: {error}") from error
        sim_course = sim_course_for(course)
        bkt = params_for(course.skills.all())
        setup = RetentionSetup(learn_attempts=options["learn_attempts"],
                               window_days=options["days"], threshold=options["threshold"])
        common = {"setup": setup, "bkt": bkt, "workers": options["workers"]}
        started = time.perf_counter()
        validation = [
            (params, evaluate_review_rule(
                sim_course, "fsrs", range(options["validation_learners"]),
                options["seed"] + VALIDATION_SEED_OFFSET, params=params, **common))
            for params in candidates
        ]
        chosen = max(validation, key=lambda pair: pair[1].mean_course_knowledge)[0]
        self.stdout.write("Validation (fsrs, another population): desired retention → mean "
                          "knowledge of every skill at the end: " + ", ".join(
                              f"{p.desired_retention:g} → {r.mean_course_knowledge:.3f}"
                              for p, r in validation)
                          + f"; chosen {chosen.desired_retention:g}.")
        rows = [evaluate_review_rule(sim_course, rule, range(options["learners"]),
                                     options["seed"], params=chosen, **common)
                for rule in ("none", "today", "fsrs")]
        self._write(rows, chosen, setup, options, time.perf_counter() - started)

    def _write(self, rows: list[RetentionResult], chosen: review.ReviewParams,
               setup: RetentionSetup, options: dict[str, Any], seconds: float) -> None:
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        data = [{"rule": row.rule, "learners": len(row.learners),
                 "learners_with_mastered_skills": len(row.measured),
                 "mastered_skills": row.mean_measured_skills,
                 "retention": row.mean_retention, "retained_share": row.mean_retained_share,
                 "window_attempts": row.mean_window_attempts,
                 "attempts_on_mastered": row.mean_measured_attempts,
                 "other_skills_gain": row.mean_other_gain,
                 "course_knowledge": row.mean_course_knowledge} for row in rows]
        (out / "results.json").write_text(json.dumps(
            {"desired_retention": chosen.desired_retention, "rows": data}, indent=2) + "\n")
        lines = [
            f"{len(rows[0].learners)} simulated learners, {rows[0].mean_measured_skills:.1f} "
            f"skills mastered each (chart) after {setup.learn_attempts} attempts, then "
            f"{setup.window_days:g} days; FSRS desired retention {chosen.desired_retention:g}",
            "| rule | retention (mean knowledge) | retained ≥ "
            f"{setup.threshold:g} | attempts in the {setup.window_days:g} days | on mastered "
            "skills | gain on the other skills | knowledge of every skill |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            lines.append(
                f"| {row.rule} | {row.mean_retention:.3f} | {row.mean_retained_share:.0%} | "
                f"{row.mean_window_attempts:.1f} | {row.mean_measured_attempts:.1f} | "
                f"{row.mean_other_gain:+.3f} | {row.mean_course_knowledge:.3f} |")
        table = "\n".join(lines)
        (out / "results.md").write_text(table + "\n")
        self.stdout.write(table)
        self.stdout.write(f"({seconds:.0f} s)")
