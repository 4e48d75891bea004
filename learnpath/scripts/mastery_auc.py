"""How well the mastery estimate predicts the next answer on real data (ASSISTments 2009).

Data: the AKT copy of the 2009-2010 skill-builder set (``kt_benchmarks/assist2009/akt_pid``,
see SOURCE.md there), the deduplicated "updated" version with problem ids in five disjoint
learner folds. Fold ``--test-fold`` is the test set; the other four folds train the per-skill BKT
parameters (nothing else is tuned, so no validation fold is held out).

A problem tagged with several skills appears as consecutive rows, one per skill, with the same
answer. Such a run is collapsed into ONE attempt on all its skills (a new attempt starts when the
problem changes or a skill repeats), so every model is scored once per problem attempt and never
on a copy of an answer it has just seen.

For every test attempt each model predicts P(correct) from the learner's chart BEFORE the attempt,
then the attempt is applied with :func:`learnpath.mastery.apply_attempt`:

* ``pct-correct``: the share of the learner's earlier answers on the skill that were right (the
  four training folds' overall rate for a skill not yet tried);
* ``bkt-default``: BKT with :data:`~learnpath.mastery.DEFAULT_PARAMS` for every skill;
* ``bkt-fitted``: BKT with parameters fitted per skill by EM on the training folds;
* ``bkt-fitted+forget``: the same with a fitted per-attempt forgetting rate.

BKT predicts ``p_mastery(1-slip) + (1-p_mastery)guess``; for a multi-skill attempt every model
averages its per-skill predictions. Scores: AUC (rank-based, ties averaged), RMSE and accuracy at
0.5. The data has no prerequisite graph, so prerequisite evidence plays no part here.

Run: ``python -m learnpath.scripts.mastery_auc [--data DIR] [--test-fold K]``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from learnpath.mastery import (
    DEFAULT_PARAMS,
    BKTParams,
    SkillMastery,
    apply_attempt,
    predict_correct,
)
from learnpath.mastery_fit import fit_course_params
from learnpath.skillgraph import SkillGraph, SkillSpec, build_skill_graph

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
DEFAULT_DATA = DATASETS / "kt_benchmarks" / "assist2009" / "akt_pid"
CLOCK_START = datetime(2009, 9, 1, tzinfo=UTC)

Attempt = tuple[tuple[str, ...], bool]


@dataclass
class FoldData:
    learners: list[list[Attempt]]
    rows: int
    disagreeing_runs: int


def _numbers(line: str) -> list[str]:
    return [value for value in line.strip().split(",") if value]


def collapse_rows(
    problems: list[str], skills: list[str], answers: list[str]
) -> tuple[list[Attempt], int]:
    """Merge runs of rows on the same problem into one multi-skill attempt (first row's answer)."""
    attempts: list[Attempt] = []
    disagreements = 0
    group: list[str] = []
    for index, (problem, skill, answer) in enumerate(zip(problems, skills, answers, strict=True)):
        same_run = index > 0 and problem == problems[index - 1] and skill not in group
        if same_run:
            group.append(skill)
            disagreements += answer != answers[index - len(group) + 1]
            attempts[-1] = (tuple(group), attempts[-1][1])
        else:
            group = [skill]
            attempts.append(((skill,), answer == "1"))
    return attempts, disagreements


def read_fold(path: Path) -> FoldData:
    lines = path.read_text().splitlines()
    learners: list[list[Attempt]] = []
    rows = disagreements = 0
    for start in range(0, len(lines) - 3, 4):
        problems, skills, answers = (_numbers(lines[start + offset]) for offset in (1, 2, 3))
        attempts, disagreeing = collapse_rows(problems, skills, answers)
        learners.append(attempts)
        rows += len(problems)
        disagreements += disagreeing
    return FoldData(learners, rows, disagreements)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mann-Whitney AUC with tied scores given their average rank."""
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(scores)]))
    for first, last in zip(starts, ends, strict=True):
        ranks[order[first:last]] = (first + last + 1) / 2.0
    positives = labels.sum()
    negatives = len(labels) - positives
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _bkt_predictor(
    graph: SkillGraph, params: dict[str, BKTParams]
) -> Callable[[list[Attempt]], list[float]]:
    def predict(history: list[Attempt]) -> list[float]:
        chart: dict[str, SkillMastery] = {}
        predictions = []
        for index, (skills, correct) in enumerate(history):
            per_skill = []
            for key in skills:
                skill_params = params.get(key, DEFAULT_PARAMS)
                p_mastery = chart[key].p_mastery if key in chart else skill_params.p_init
                per_skill.append(predict_correct(p_mastery, skill_params))
            predictions.append(sum(per_skill) / len(per_skill))
            at = CLOCK_START + timedelta(minutes=index)
            chart.update(apply_attempt(chart, skills, correct, at, graph, params))
        return predictions

    return predict


def _pct_correct_predictor(
    fallback: dict[str, float], overall: float
) -> Callable[[list[Attempt]], list[float]]:
    def predict(history: list[Attempt]) -> list[float]:
        tally: dict[str, list[int]] = {}
        predictions = []
        for skills, correct in history:
            rates = []
            for key in skills:
                right, total = tally.get(key, [0, 0])
                rates.append(right / total if total else fallback.get(key, overall))
            predictions.append(sum(rates) / len(rates))
            for key in skills:
                counts = tally.setdefault(key, [0, 0])
                counts[0] += int(correct)
                counts[1] += 1
        return predictions

    return predict


def _training_rates(learners: Sequence[list[Attempt]]) -> tuple[dict[str, float], float]:
    right: dict[str, int] = {}
    total: dict[str, int] = {}
    for history in learners:
        for skills, correct in history:
            for key in skills:
                right[key] = right.get(key, 0) + int(correct)
                total[key] = total.get(key, 0) + 1
    overall = sum(right.values()) / sum(total.values())
    return {key: right[key] / total[key] for key in total}, overall


def _score(name: str, labels: np.ndarray, predictions: list[float]) -> str:
    scores = np.asarray(predictions)
    rmse = math.sqrt(float(np.mean((scores - labels) ** 2)))
    accuracy = float(np.mean((scores >= 0.5) == labels))
    auc = roc_auc(labels, scores)
    return f"{name:<20} AUC {auc:.4f}   RMSE {rmse:.4f}   accuracy {accuracy:.4f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--test-fold", type=int, default=1, choices=range(1, 6))
    args = parser.parse_args(argv)

    folds = {k: read_fold(args.data / f"assist2009_pid_test{k}.csv") for k in range(1, 6)}
    names = {str(v): k for k, v in json.loads((args.data / "skill.json").read_text()).items()}
    train = [h for k, fold in folds.items() if k != args.test_fold for h in fold.learners]
    test = folds[args.test_fold].learners
    for k, fold in folds.items():
        attempts = sum(len(h) for h in fold.learners)
        print(
            f"fold {k}: {len(fold.learners)} learners, {fold.rows} rows -> {attempts} attempts "
            f"after collapsing multi-skill repeats ({fold.disagreeing_runs} runs disagreed)"
        )
    print(f"test fold {args.test_fold}; training on the other four ({len(train)} learners)")

    keys = sorted({key for h in train + test for skills, _ in h for key in skills}, key=int)
    graph = build_skill_graph([SkillSpec(key, names.get(key, f"skill {key}")) for key in keys])
    started = time.perf_counter()
    fitted = fit_course_params(train, min_observations=1)
    fitted_at = time.perf_counter()
    fitted_forget = fit_course_params(train, min_observations=1, fit_forget=True)
    done = time.perf_counter()
    print(
        f"EM fit of {len(fitted)} skills: {fitted_at - started:.1f} s; "
        f"with forgetting: {done - fitted_at:.1f} s"
    )

    fallback, overall = _training_rates(train)
    models = {
        "pct-correct": _pct_correct_predictor(fallback, overall),
        "bkt-default": _bkt_predictor(graph, {}),
        "bkt-fitted": _bkt_predictor(graph, fitted),
        "bkt-fitted+forget": _bkt_predictor(graph, fitted_forget),
    }
    labels = np.array([correct for h in test for _, correct in h], dtype=bool)
    print(f"{len(labels)} test predictions, {labels.mean():.4f} correct")
    for name, predict in models.items():
        predictions = [p for h in test for p in predict(h)]
        print(_score(name, labels, predictions))


if __name__ == "__main__":
    main()
