"""Offline evaluation of learning-path policies with the learner simulator.

Same simulated population (same seed) and the same number of attempts for every policy:

1. a history of ``--train-learners`` simulated learners practising the course as real learners
   wander (``BehaviouralPolicy``) trains an LSTM exactly as the site's retraining does;
2. ``--learners`` fresh simulated learners then practise ``--attempts`` exercises each under each
   policy (see :mod:`learnpath.policies`): ``lstm``, ``planner_cold`` (the same planner on the
   cold-start model), ``skill_graph`` (the simple rule) and ``random``.

Mastery gain is the mean rise of the simulator's latent knowledge over the target skills;
attempts to target counts attempts until every target skill is mastered (latent ≥ 0.95),
averaged over the learners who got there (their share is reported, and a censored mean that
counts the others at the full budget).
"""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.models import Course
from courses.services.simulation import sim_course_for
from learnpath.policies import SkillGraphRulePolicy, course_graph, planner_factory
from learnpath.simulator import RandomPolicy, SimCourse, evaluate_policy, simulate_population


def train_on_simulated_history(course: SimCourse, learners: int, seed: int) -> Any:
    from learnpath.seq import Attempt, LearnerSequence, TrainConfig, train_from_sequences

    histories = simulate_population(course, learners, seed=seed,
                                    start=datetime(2025, 1, 6, 9, tzinfo=UTC))
    sequences = []
    for history in histories:
        previous_session = None
        attempts = []
        for attempt in history.attempts:
            attempts.append(Attempt(attempt.exercise_key, attempt.correct,
                                    attempt.submitted_at.timestamp(),
                                    attempt.session_index != previous_session))
            previous_session = attempt.session_index
        sequences.append(LearnerSequence(str(history.learner_index), tuple(attempts)))
    skills = {e.key: e.skills for e in course.exercises}
    config = TrainConfig(**settings.LEARNPATH_TRAINING)
    result = train_from_sequences(sequences, skills, config)
    return result.model.with_catalog(skills), result.metrics


class Command(BaseCommand):
    help = "Compare path policies on simulated learners; writes results.json and a table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", default="fractions")
        parser.add_argument("--learners", type=int, default=200)
        parser.add_argument("--attempts", type=int, default=60)
        parser.add_argument("--train-learners", type=int, default=400)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--targets", default="",
                            help="Comma-separated skill keys (default: skills of levels 0-2)")
        parser.add_argument("--out", type=Path, default=Path("paths-out"))

    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["course"]).first()
        if course is None:
            raise CommandError(f"No course {options['course']!r}; run `make demo` or import it.")
        if options["learners"] < 1 or options["attempts"] < 1:
            raise CommandError("--learners and --attempts must be at least 1.")
        sim_course = sim_course_for(course)
        targets = self._targets(sim_course, options["targets"])
        started = time.perf_counter()
        serving, metrics = train_on_simulated_history(
            sim_course, options["train_learners"], options["seed"] + 1000
        )
        self.stdout.write(
            f"LSTM trained on {options['train_learners']} simulated learners in "
            f"{time.perf_counter() - started:.0f} s: validation AUC "
            f"{metrics.get('valid_auc', 0):.3f}, "
            f"HR@10 {metrics.get('valid_hr10', 0):.3f}"
        )
        policies = {
            "lstm": planner_factory(serving),
            "planner_cold": planner_factory(None),
            "skill_graph": SkillGraphRulePolicy,
            "random": RandomPolicy,
        }
        rows = [self._evaluate(name, factory, sim_course, targets, options)
                for name, factory in policies.items()]
        self._write(rows, options["out"], targets)

    def _targets(self, course: SimCourse, requested: str) -> list[str]:
        if requested:
            keys = [key.strip() for key in requested.split(",") if key.strip()]
            unknown = [key for key in keys if not course.has_skill(key)]
            if unknown:
                raise CommandError(f"Unknown target skills: {', '.join(unknown)}")
            return keys
        levels = course_graph(course).levels()
        return [key for key in course.topological_order if levels[key] <= 2]

    def _evaluate(self, name: str, factory: Any, course: SimCourse, targets: list[str],
                  options: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        result = evaluate_policy(course, factory, options["learners"], options["attempts"],
                                 seed=options["seed"], target_skills=targets)
        return {
            "policy": name,
            "learners": options["learners"],
            "attempts_per_learner": options["attempts"],
            "mean_mastery_gain": result.mean_mastery_gain,
            "mean_attempts_to_target": result.mean_attempts_to_target,
            "censored_mean_attempts_to_target": result.censored_mean_attempts_to_target,
            "reached_target_share": result.reached_target_share,
            "seconds": time.perf_counter() - started,
        }

    def _write(self, rows: list[dict[str, Any]], out: Path, targets: list[str]) -> None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
        baseline = next(row for row in rows if row["policy"] == "skill_graph")
        lines = [
            f"Target skills: {', '.join(targets)}",
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
