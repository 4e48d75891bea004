"""Offline evaluation of learning-path policies with the learner simulator.

Same simulated population (same seed) and the same number of attempts for every policy:

1. a history of ``--train-learners`` simulated learners practising the course as real learners
   wander (``BehaviouralPolicy``) trains an LSTM exactly as the site's retraining does, and BKT
   parameters per skill are fitted on it exactly as ``manage.py fit_mastery`` does; every policy
   keeps its learners' charts with those parameters;
2. ``--learners`` fresh simulated learners then practise ``--attempts`` exercises each under each
   policy (see :mod:`learnpath.sim.policies`): ``lstm``, ``planner_cold`` (the same planner on the
   cold-start model), ``skill_graph`` (the simple rule) and ``random``. As on the site, the LSTM
   plans the ``lstm`` paths only when it beats the skill chart's AUC on its validation learners
   (:func:`learnpath.success.sequence_model_earns_paths`); when it does not, those paths are the
   cold-start planner's, and ``lstm_always`` is the LSTM planning anyway.

Mastery gain is the mean rise of the simulator's latent knowledge over all the course's skills.
Attempts to target counts attempts until every target skill (default: the skills of the first
two levels) reaches latent knowledge ``--threshold`` (default 0.8), averaged over the learners who
got there; their share is reported, and a censored mean that counts the others at the budget.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.management.lookup import course_or_error
from courses.queries.exercises import sim_course_for
from learnpath.sim import RandomPolicy, SimCourse, evaluate_policy
from learnpath.sim.policies import course_graph, planner_factory, rule_factory
from learnpath.sim.training import train_on_simulated_history
from learnpath.success import sequence_model_earns_paths


class Command(BaseCommand):
    help = "Compare path policies on simulated learners; writes results.json and a table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", default="fractions")
        parser.add_argument("--learners", type=int, default=200)
        parser.add_argument("--attempts", type=int, default=60)
        parser.add_argument("--train-learners", type=int, default=400)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--targets", default="",
                            help="Comma-separated skill keys (default: skills of levels 0-1)")
        parser.add_argument("--threshold", type=float, default=0.8,
                            help="Latent knowledge that counts as mastered for the target")
        parser.add_argument("--out", type=Path, default=Path("paths-out"))

    def handle(self, *args: Any, **options: Any) -> None:
        course = course_or_error(options["course"])
        if options["learners"] < 1 or options["attempts"] < 1:
            raise CommandError("--learners and --attempts must be at least 1.")
        sim_course = sim_course_for(course)
        targets = self._targets(sim_course, options["targets"])
        started = time.perf_counter()
        serving, metrics, fitted = train_on_simulated_history(
            settings.LEARNPATH_TRAINING, sim_course, options["train_learners"],
            options["seed"] + 1000,
        )
        earns = sequence_model_earns_paths(metrics)
        self.stdout.write(
            f"LSTM trained on {options['train_learners']} simulated learners in "
            f"{time.perf_counter() - started:.0f} s: validation AUC "
            f"{metrics.get('valid_auc', 0):.3f} (the skill chart's on the same learners: "
            f"{metrics.get('valid_chart_auc', 0):.3f}), HR@10 {metrics.get('valid_hr10', 0):.3f}. "
            + ("The LSTM plans the lstm paths." if earns else
               "It does not beat the chart, so the lstm paths are planned as the site would "
               "plan them: by the cold-start model; lstm_always shows the LSTM planning anyway.")
        )
        policies = {
            "lstm": planner_factory(serving if earns else None, params=fitted),
            **({} if earns else {"lstm_always": planner_factory(serving, params=fitted)}),
            "planner_cold": planner_factory(None, params=fitted),
            "skill_graph": rule_factory(fitted),
            "random": RandomPolicy,
        }
        rows = [self._evaluate(name, factory, sim_course, targets, options)
                for name, factory in policies.items()]
        self._write(rows, options["out"], targets, options["threshold"])

    def _targets(self, course: SimCourse, requested: str) -> list[str]:
        if requested:
            keys = [key.strip() for key in requested.split(",") if key.strip()]
            unknown = [key for key in keys if not course.has_skill(key)]
            if unknown:
                raise CommandError(f"Unknown target skills: {', '.join(unknown)}")
            return keys
        levels = course_graph(course).levels()
        return [key for key in course.topological_order if levels[key] <= 1]

    def _evaluate(self, name: str, factory: Any, course: SimCourse, targets: list[str],
                  options: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        learners, attempts, seed = options["learners"], options["attempts"], options["seed"]
        gain = evaluate_policy(course, factory, learners, attempts, seed=seed)
        target = evaluate_policy(course, factory, learners, attempts, seed=seed,
                                 target_skills=targets, threshold=options["threshold"])
        return {
            "policy": name,
            "learners": learners,
            "attempts_per_learner": attempts,
            "mean_mastery_gain": gain.mean_mastery_gain,
            "mean_attempts_to_target": target.mean_attempts_to_target,
            "censored_mean_attempts_to_target": target.censored_mean_attempts_to_target,
            "reached_target_share": target.reached_target_share,
            "seconds": time.perf_counter() - started,
        }

    def _write(
        self, rows: list[dict[str, Any]], out: Path, targets: list[str], threshold: float
    ) -> None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
        baseline = next(row for row in rows if row["policy"] == "skill_graph")
        lines = [
            f"Target: latent knowledge ≥ {threshold} on {', '.join(targets)}",
            "| policy | mastery gain | vs skill_graph | attempts to target (reached) | "
            "censored mean | reached |",
            "|---|---|---|---|---|---|",
        ]
        for row in rows:
            ratio = row["mean_mastery_gain"] / baseline["mean_mastery_gain"] - 1
            reached = row["mean_attempts_to_target"]
            lines.append(
                f"| {row['policy']} | {row['mean_mastery_gain']:.3f} | {ratio:+.0%} | "
                f"{'–' if reached is None else f'{reached:.1f}'} | "
                f"{row['censored_mean_attempts_to_target']:.1f} | "
                f"{row['reached_target_share']:.0%} |"
            )
        table = "\n".join(lines)
        (out / "results.md").write_text(table + "\n")
        self.stdout.write(table)
