"""Learning paths in the data-driven simulator (:mod:`learnpath.sim.kt_env`) on ASSISTments 2009.

    python -m learnpath.bench.paths --data ../shared/datasets/kt_benchmarks/assist2009/akt_pid

The learners of the AKT problem-id files (a multi-skill problem's repeated rows collapsed) are
split by learner, seeded: 40 % train the environment (the attention model), 40 % are what the
site would have (the planner's LSTM is trained on them exactly as the site's retraining does,
BKT parameters are fitted on them as ``fit_mastery`` does, and the course the planner sees is
made from them), and the other 20 % are the simulated learners, whom no model saw.

The course has no prerequisite graph by default (``--prerequisites none``): the order in which
ASSISTments learners first meet skills is the order their teachers assigned problem sets, not
what a skill needs, and a graph inferred from it (``--prerequisites inferred``, the rule of
:class:`learnpath.sim.kt_env.PrerequisiteRule`) swings from 12 to 322 edges over 108 skills as
its two thresholds move (share 0.8–0.98, 30–100 learners), so any choice would be a constant
picked for this data set. Without a graph every skill is ready to learn, and the policies
differ in which problems of the targets they choose and in what order.

Each simulated learner (with at least ``--min-attempts`` attempts) starts from a real prefix of
their own history: the first half, at most ``--max-prefix`` attempts. Their targets are up to
``--targets`` skills drawn (seeded) from the skills of their own remaining real attempts, that
is, what they went on to study. Attempts are placed a minute apart in one sitting. Every policy
then chooses ``--steps`` exercises, one at a time, re-planned after each answer; the
environment answers each by sampling from its P(right) (the same random numbers per learner
and step for every policy) and appends the answer to the learner's history.

E is the environment's mean P(right) over the target skills' problems, and
E_p = (E_after − E_before) / (1 − E_before) is reported after 10 and after 20 steps (the
mean over learners, with its standard error). Policies: ``lstm`` (the site's planner on the
LSTM), ``planner_cold`` (the same planner on the cold-start model), ``skill_graph`` (the rule
before any model) and ``random`` (any problem of the targets or the skills they build on);
``lstm_no_lookahead`` and ``planner_cold_no_lookahead`` (``--policies``) are the planners
ranking by the BKT score alone. As on the site, the LSTM plans the ``lstm`` paths only when its
validation AUC beats the skill chart's on the same held-out learners
(:func:`learnpath.success.sequence_model_earns_paths`); ``lstm_always`` (``--policies``) is the
LSTM planning regardless.
Trained models are kept in ``--out`` and reused while the training data (every attempt) and the
settings are unchanged.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from learnpath.mastery_fit import fit_course_params
from learnpath.paths import PlanConfig
from learnpath.seq.data import data_hash, drop_short
from learnpath.seq.formats import merge_corpora, read_akt_pid
from learnpath.seq.metrics import roc_auc
from learnpath.seq.records import Attempt, LearnerSequence
from learnpath.sim.kt_env import KTEnvironment, PrerequisiteRule, data_course
from learnpath.sim.model import SimCourse
from learnpath.sim.policies import (
    Observation,
    ObservedAttempt,
    PlannerPolicy,
    Policy,
    RandomPolicy,
    SkillGraphRulePolicy,
    course_graph,
    plan_exercises,
)
from learnpath.success import chart_predictions, sequence_model_earns_paths

START = datetime(2025, 1, 6, 9, tzinfo=UTC)
SPACING = timedelta(minutes=1)
REPORTED_STEPS = (10, 20)


@dataclass(frozen=True)
class SimulatedLearner:
    learner: str
    prefix: tuple[tuple[str, bool], ...]
    targets: tuple[str, ...]


def split_by_learner(sequences: Sequence[LearnerSequence], seed: int
                     ) -> tuple[list[LearnerSequence], list[LearnerSequence],
                                list[LearnerSequence]]:
    """(environment, site, simulated): 40 / 40 / 20 % of the learners, by a seeded hash."""
    parts: list[list[LearnerSequence]] = [[], [], []]
    for sequence in sequences:
        digest = hashlib.sha256(f"{seed}:{sequence.learner}".encode()).digest()
        bucket = digest[0] * 5 // 256
        parts[0 if bucket < 2 else 1 if bucket < 4 else 2].append(sequence)
    return parts[0], parts[1], parts[2]


def timed(sequence: LearnerSequence) -> LearnerSequence:
    """The attempts a minute apart in one sitting (the files carry no times)."""
    return LearnerSequence(sequence.learner, tuple(
        Attempt(a.exercise, a.correct, (START + index * SPACING).timestamp(), index == 0)
        for index, a in enumerate(sequence.attempts)
    ))


def simulated_learners(sequences: Sequence[LearnerSequence], course: SimCourse,
                       options: argparse.Namespace) -> list[SimulatedLearner]:
    chosen = []
    rng = random.Random(options.seed)
    for sequence in sequences:
        attempts = sequence.attempts
        if len(attempts) < options.min_attempts:
            continue
        cut = min(len(attempts) // 2, options.max_prefix)
        future = sorted({skill for a in attempts[cut:] if course.has_exercise(a.exercise)
                         for skill in course.exercise(a.exercise).skills})
        if not future:
            continue
        targets = tuple(sorted(rng.sample(future, min(options.targets, len(future)))))
        chosen.append(SimulatedLearner(
            sequence.learner, tuple((a.exercise, a.correct) for a in attempts[:cut]), targets))
    rng.shuffle(chosen)
    return chosen[: options.learners]


PolicyMaker = Callable[[SimCourse, random.Random, tuple[str, ...]], Policy]


def run_policy(make: PolicyMaker, course: SimCourse, environment: KTEnvironment,
               learners: Sequence[SimulatedLearner], steps: int, seed: int
               ) -> list[dict[int, float]]:
    """Each learner's E_p after each reported step count."""
    results = []
    for number, learner in enumerate(learners):
        answers = random.Random(f"{seed}:answers:{number}")
        policy = make(course, random.Random(f"{seed}:policy:{number}"), learner.targets)
        target_problems = [e.key for e in course.exercises
                           if set(learner.targets).intersection(e.skills)]
        history = list(learner.prefix)
        observed = [ObservedAttempt(key, right, False, START + index * SPACING)
                    for index, (key, right) in enumerate(history) if course.has_exercise(key)]
        before = statistics.fmean(environment.p_right(history, target_problems))
        reached: dict[int, float] = {}
        for step in range(1, steps + 1):
            now = START + len(history) * SPACING
            key = policy.choose(Observation(course, tuple(observed), now))
            (p,) = environment.p_right(history, [key])
            right = answers.random() < p
            history.append((key, right))
            observed.append(ObservedAttempt(key, right, False, now))
            if step in REPORTED_STEPS or step == steps:
                after = statistics.fmean(environment.p_right(history, target_problems))
                reached[step] = (after - before) / (1 - before) if before < 1 else 0.0
        results.append(reached)
    return results


def cached_fit(sequences: list[LearnerSequence], skills: dict[str, tuple[str, ...]],
               config: Any, path: Path) -> Any:
    """(model, vocab, metrics, validation learners, reused): the model kept at ``path`` while
    the training data and ``config`` are unchanged, else one trained on them and kept there."""
    from learnpath.seq.serving import fit_model
    from learnpath.seq.trainer import load_model

    stamp = path.with_suffix(".json")
    key = json.dumps({"data": data_hash(sequences, skills), "config": config.to_dict()},
                     sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()
    if path.exists() and stamp.exists():
        stored = json.loads(stamp.read_text())
        if stored["key"] == digest and "valid_learners" in stored:
            model, vocab, payload = load_model(path)
            return model, vocab, payload["metrics"], stored["valid_learners"], True
    fitted = fit_model(sequences, skills, config, checkpoint_path=path)
    stamp.write_text(json.dumps({"key": digest, "valid_learners": fitted.valid_learners}))
    return fitted.model, fitted.vocab, fitted.metrics, list(fitted.valid_learners), False


@dataclass(frozen=True)
class DataSplit:
    """The AKT problem-id files' learners split three ways (:func:`split_by_learner`), with the
    problem -> skills map of the whole data set."""

    learners: int
    skills: dict[str, tuple[str, ...]]
    environment: list[LearnerSequence]
    site: list[LearnerSequence]
    simulated: list[LearnerSequence]


def read_split(data: Path, prefix: str, seed: int) -> DataSplit:
    """Reads ``data/prefix_*.csv`` (repeats collapsed) and splits its learners by ``seed``."""
    files = sorted(data.glob(f"{prefix}_*.csv"))
    if not files:
        raise FileNotFoundError(f"no {prefix}_*.csv in {data}")
    corpus = merge_corpora([read_akt_pid(path) for path in files])
    skills = {key: tuple(value) for key, value in corpus.exercise_skills.items()}
    return DataSplit(len(corpus.sequences), skills, *split_by_learner(corpus.sequences, seed))


def fit_environment(split: DataSplit, *, epochs: int, seed: int, out: Path) -> Any:
    """The environment (the attention model) trained on ``split.environment``, kept in
    ``out/environment.pt`` and reused while its data and settings are unchanged
    (:func:`cached_fit`'s five values)."""
    from learnpath.seq.trainer import TrainConfig

    out.mkdir(parents=True, exist_ok=True)
    return cached_fit(split.environment, split.skills,
                      TrainConfig(model="attention", epochs=epochs, seed=seed, threads=1),
                      out / "environment.pt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the akt_pid folder")
    parser.add_argument("--prefix", default="assist2009_pid")
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--targets", type=int, default=3)
    parser.add_argument("--min-attempts", type=int, default=20)
    parser.add_argument("--max-prefix", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--policies", default="lstm,planner_cold,skill_graph,random")
    parser.add_argument("--prerequisites", choices=("none", "inferred"), default="none",
                        help="the course's prerequisite graph: none (default), or inferred from "
                             "the order learners first meet skills")
    parser.add_argument("--out", type=Path, default=Path("bench-out/paths-kt"))
    options = parser.parse_args(argv)

    from learnpath.seq.serving import ServingModel, split_learners
    from learnpath.seq.trainer import TrainConfig, prepare_torch

    prepare_torch(1)
    started = time.perf_counter()
    try:
        split = read_split(options.data, options.prefix, options.seed)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    skills, site_part = split.skills, split.site
    planner_config = TrainConfig(epochs=options.epochs, seed=options.seed, threads=1)
    site_sequences = [timed(s) for s in site_part]
    # The LSTM's own validation learners (the split fit_model makes) are held out of the
    # course too, so the chart's difficulties do not know their answers when the two models'
    # AUCs are compared on them.
    _, held_out_part = split_learners(drop_short(site_sequences, planner_config.min_attempts),
                                      planner_config.valid_fraction, planner_config.seed)
    held_out = {s.learner for s in held_out_part}
    rule = PrerequisiteRule() if options.prerequisites == "inferred" else None
    course = data_course([s for s in site_part if s.learner not in held_out], skills, rule=rule)
    graph = course_graph(course)
    edges = sum(len(graph.prerequisites(key)) for key in course.skill_keys)
    print(f"{split.learners} learners: {len(split.environment)} environment, "
          f"{len(site_part)} site, {len(split.simulated)} simulated. Course from the site's "
          f"learners: {len(course.skill_keys)} skills, {len(course.exercises)} problems, "
          f"{edges} inferred prerequisite edges.")
    env_model, env_vocab, env_metrics, _, reused = fit_environment(
        split, epochs=options.epochs, seed=options.seed, out=options.out)
    print(f"environment (attention): validation AUC {env_metrics.get('valid_auc', 0):.4f}"
          f"{' (reused)' if reused else ''}")
    course_skills = {e.key: e.skills for e in course.exercises}
    lstm_model, lstm_vocab, lstm_metrics, fitted_held_out, reused = cached_fit(
        site_sequences, skills, planner_config, options.out / "planner.pt")
    if set(fitted_held_out) != held_out:
        raise RuntimeError("the LSTM's validation learners are not the ones held out")
    serving = ServingModel(lstm_model, lstm_vocab).with_catalog(course_skills)
    fitted = fit_course_params(
        [[(skills[a.exercise], a.correct) for a in s.attempts if course.has_exercise(a.exercise)]
         for s in site_part if s.learner not in held_out])
    answers, predicted = chart_predictions(
        [s for s in site_sequences if s.learner in held_out],
        {e.key: e for e in plan_exercises(course)}, graph, fitted)
    metrics = {**lstm_metrics, "valid_chart_auc": roc_auc(np.array(answers), np.array(predicted))}
    earns = sequence_model_earns_paths(metrics)
    print(f"planner (LSTM): validation AUC {metrics.get('valid_auc', 0):.4f}, the skill "
          f"chart's on the same learners {metrics['valid_chart_auc']:.4f}"
          f"{' (reused)' if reused else ''}: "
          + ("the LSTM plans the lstm paths" if earns else
             "the LSTM does not earn the paths, so lstm is the cold-start planner"))
    environment = KTEnvironment(env_model, env_vocab)
    learners = simulated_learners(split.simulated, course, options)
    print(f"{len(learners)} simulated learners, {options.steps} steps each "
          f"({time.perf_counter() - started:.0f} s so far)")

    def planner(model: Any, lookahead: int = PlanConfig.lookahead) -> PolicyMaker:
        def make(course: SimCourse, rng: random.Random, targets: tuple[str, ...]) -> Policy:
            config = PlanConfig(length=1, targets=targets, lookahead=lookahead)
            return PlannerPolicy(course, rng, model, config, fitted)
        return make

    makers: dict[str, PolicyMaker] = {
        "lstm": planner(serving if earns else None),
        "lstm_always": planner(serving),
        "planner_cold": planner(None),
        "lstm_no_lookahead": planner(serving, 0),
        "planner_cold_no_lookahead": planner(None, 0),
        "skill_graph": lambda c, r, t: SkillGraphRulePolicy(c, r, fitted, t),
        "random": lambda c, r, t: RandomPolicy(c, r, t),
    }
    rows = {}
    for name in options.policies.split(","):
        clock = time.perf_counter()
        results = run_policy(makers[name], course, environment, learners, options.steps,
                             options.seed)
        rows[name] = results
        print(f"  {name}: {time.perf_counter() - clock:.0f} s", flush=True)
    print(report(rows, options.steps))
    (options.out / "results.json").write_text(json.dumps(
        {name: [{str(k): v for k, v in r.items()} for r in results]
         for name, results in rows.items()}, indent=1))
    return 0


def report(rows: dict[str, list[dict[int, float]]], steps: int) -> str:
    counts = [n for n in REPORTED_STEPS if n <= steps] or [steps]
    header = "| policy | " + " | ".join(f"E_p after {n} | vs skill_graph" for n in counts)
    lines = [header + " |", "|---|" + "---|---|" * len(counts)]
    means = {name: {n: statistics.fmean(r[n] for r in results) for n in counts}
             for name, results in rows.items()}
    for name, results in rows.items():
        cells = []
        for n in counts:
            values = [r[n] for r in results]
            error = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0
            base = means.get("skill_graph", {}).get(n)
            ratio = _ratio(means[name][n], base)
            cells.append(f"{means[name][n]:.4f} ± {error:.4f} | {ratio}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if "lstm" in means and "planner_cold" in means:
        lines.append("")
        lines.append("lstm vs planner_cold: " + ", ".join(
            f"{_ratio(means['lstm'][n], means['planner_cold'][n])} after {n}" for n in counts))
    for name in ("planner_cold", "skill_graph"):
        if "lstm" in rows and name in rows and name != "lstm":
            lines.append(f"lstm − {name}, paired by learner: " + ", ".join(
                f"{_paired(rows['lstm'], rows[name], n)} after {n}" for n in counts))
    return "\n".join(lines)


def _paired(first: list[dict[int, float]], second: list[dict[int, float]], n: int) -> str:
    """Mean of the per-learner differences ± its standard error (the same learners and the
    same random numbers meet every policy, so the pairs share most of their noise)."""
    differences = [a[n] - b[n] for a, b in zip(first, second, strict=True)]
    error = (statistics.stdev(differences) / math.sqrt(len(differences))
             if len(differences) > 1 else 0.0)
    return f"{statistics.fmean(differences):+.4f} ± {error:.4f}"


def _ratio(value: float, base: float | None) -> str:
    """value / base when the base is positive; otherwise the difference (a ratio to a loss
    or to nothing says nothing)."""
    if base is None:
        return "–"
    if base > 0:
        return f"{value / base:.2f}×"
    return f"{value - base:+.4f}"


if __name__ == "__main__":
    raise SystemExit(main())
