"""The benchmark protocol: folds, splits, and one row of results per (dataset, fold, model).

Protocol: the data is split into five learner-disjoint folds (the given files for ``akt-pid``, a
seeded partition otherwise). For fold k, fold k is the test set, fold k+1 (5 -> 1) the validation
set, the other three train. Learners with fewer than 3 attempts are dropped, sequences are cut
into non-overlapping windows of at most 200 attempts, and every attempt of every test window is
predicted exactly once, from the attempts before it in its window. The vocabulary comes from the
training windows only; test exercises outside it are scored through their skills by the models
that use skills, and count as misses for the next-exercise metrics.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from learnpath.bench.bkt import bkt_predictions
from learnpath.seq.catalog import registered_models
from learnpath.seq.data import EncodedSequences, Vocabulary, assign_folds, cut_windows, drop_short
from learnpath.seq.formats import (
    merge_corpora,
    read_akt_pid,
    read_attempts_csv,
    read_qmatrix,
    read_response_matrix,
    read_three_line,
)
from learnpath.seq.metrics import answer_metrics
from learnpath.seq.records import Corpus, LearnerSequence
from learnpath.seq.trainer import FitReport, TrainConfig, Trainer, new_model

FOLD_COUNT = 5
RESULT_KEYS = (
    "dataset", "fold", "model", "auc", "acc", "rmse", "ece", "hr10", "ndcg10", "train_seconds"
)


@dataclass(frozen=True)
class BenchOptions:
    dataset: str
    training: TrainConfig
    hyper_by_model: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    training_by_model: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    bkt_python: str = "python"
    bkt_fits: int = 1
    bkt_timeout_seconds: float = 3600.0
    progress: bool = False


@dataclass(frozen=True)
class FoldData:
    fold: int
    train: list[LearnerSequence]
    valid: list[LearnerSequence]
    test: list[LearnerSequence]
    exercise_skills: Mapping[str, tuple[str, ...]]


def load_folds(
    data_format: str,
    paths: Sequence[Path],
    prefix: str,
    qmatrix: Path | None,
    collapse_repeats: bool,
    seed: int,
) -> tuple[dict[int, list[LearnerSequence]], Mapping[str, tuple[str, ...]]]:
    """Learner sequences by fold (1..5) and the exercise -> skills map of the whole data set."""
    if data_format == "akt-pid":
        folder = paths[0]
        corpora = [
            read_akt_pid(folder / f"{prefix}_test{k}.csv", collapse_repeats) for k in range(1, 6)
        ]
        merged = merge_corpora(corpora)
        return {
            k: list(corpus.sequences) for k, corpus in enumerate(corpora, start=1)
        }, merged.exercise_skills
    readers: dict[str, Callable[[Path], Corpus]] = {
        "three-line": lambda path: read_three_line(
            path, read_qmatrix(qmatrix) if qmatrix else None
        ),
        "matrix": read_response_matrix,
        "attempts-csv": read_attempts_csv,
    }
    merged = merge_corpora([readers[data_format](path) for path in paths])
    fold_of = assign_folds([sequence.learner for sequence in merged.sequences], FOLD_COUNT, seed)
    folds: dict[int, list[LearnerSequence]] = {k: [] for k in range(1, FOLD_COUNT + 1)}
    for sequence in merged.sequences:
        folds[fold_of[sequence.learner]].append(sequence)
    return folds, merged.exercise_skills


def fold_data(
    folds: Mapping[int, list[LearnerSequence]],
    fold: int,
    exercise_skills: Mapping[str, tuple[str, ...]],
    config: TrainConfig,
) -> FoldData:
    valid_fold = fold % FOLD_COUNT + 1

    def windows(members: list[int]) -> list[LearnerSequence]:
        sequences = [sequence for k in members for sequence in folds[k]]
        return cut_windows(drop_short(sequences, config.min_attempts), config.max_window)

    train_folds = [k for k in folds if k not in (fold, valid_fold)]
    return FoldData(
        fold, windows(train_folds), windows([valid_fold]), windows([fold]), exercise_skills
    )


def result_row(options: BenchOptions, data: FoldData, model: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {key: None for key in RESULT_KEYS}
    row |= {"dataset": options.dataset, "fold": data.fold, "model": model}
    row |= values
    return row


def train_on_fold(
    name: str, data: FoldData, options: BenchOptions
) -> tuple[Trainer, FitReport, EncodedSequences, EncodedSequences]:
    """Train a registered model on the fold's training windows; returns the encoded valid/test."""
    config = replace(
        options.training,
        model=name,
        hyper=dict(options.hyper_by_model.get(name, {})),
        **dict(registered_models()[name].training_defaults)
        | dict(options.training_by_model.get(name, {})),
    )
    vocab = Vocabulary.build(data.train, data.exercise_skills, config.min_exercise_count)
    train, valid, test = (
        EncodedSequences(part, vocab) for part in (data.train, data.valid, data.test)
    )
    trainer = Trainer(new_model(config, vocab), config)
    report = trainer.fit(train, valid, progress=options.progress)
    return trainer, report, valid, test


def run_harness_model(name: str, data: FoldData, options: BenchOptions) -> dict[str, Any]:
    """Train and test a registered model in the shared trainer."""
    trainer, report, _, test = train_on_fold(name, data, options)
    started = time.perf_counter()
    metrics = trainer.evaluate(test)
    return result_row(
        options,
        data,
        name,
        **metrics,
        train_seconds=report.train_seconds,
        eval_seconds=time.perf_counter() - started,
        epochs=report.epochs_run,
        best_epoch=report.best_epoch,
        valid_score=report.best_valid_score,
        sequences_per_second=report.sequences_per_second,
        attempts_per_second=report.attempts_per_second,
        model_attempts_per_second=report.model_attempts_per_second,
        device=str(trainer.device),
    )


def run_bkt(name: str, data: FoldData, options: BenchOptions) -> dict[str, Any]:
    started = time.perf_counter()
    labels, probabilities = bkt_predictions(
        data.train,
        data.test,
        data.exercise_skills,
        options.bkt_python,
        options.bkt_fits,
        options.training.seed,
        options.bkt_timeout_seconds,
    )
    seconds = time.perf_counter() - started
    return result_row(
        options, data, name, **answer_metrics(labels, probabilities), train_seconds=seconds
    )


EXTERNAL_RUNNERS: dict[str, Callable[[str, FoldData, BenchOptions], dict[str, Any]]] = {
    "bkt": run_bkt,
}


def known_models() -> list[str]:
    return [*registered_models(), *EXTERNAL_RUNNERS]


def run_model(name: str, data: FoldData, options: BenchOptions) -> dict[str, Any]:
    return EXTERNAL_RUNNERS.get(name, run_harness_model)(name, data, options)


_WORKER: dict[str, Any] = {}


def _start_worker(folds: Mapping[int, list[LearnerSequence]],
                  exercise_skills: Mapping[str, tuple[str, ...]], options: BenchOptions) -> None:
    _WORKER.clear()
    _WORKER.update(folds=folds, exercise_skills=exercise_skills, options=options)


def _run_pair(fold: int, model: str) -> dict[str, Any]:
    options: BenchOptions = _WORKER["options"]
    # The pairs come fold by fold: the fold's windows are cut once for its models.
    data: FoldData | None = _WORKER.get("data")
    if data is None or data.fold != fold:
        data = fold_data(_WORKER["folds"], fold, _WORKER["exercise_skills"], options.training)
        _WORKER["data"] = data
    return run_model(model, data, options)


def run_pairs(pairs: Sequence[tuple[int, str]], folds: Mapping[int, list[LearnerSequence]],
              exercise_skills: Mapping[str, tuple[str, ...]], options: BenchOptions,
              jobs: int) -> Iterator[dict[str, Any]]:
    """Each pair's result row: in order in this process, or as they finish in ``jobs``
    processes (started fresh, so no torch state is inherited)."""
    if jobs == 1:
        _start_worker(folds, exercise_skills, options)
        for fold, model in pairs:
            yield _run_pair(fold, model)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                             initargs=(folds, exercise_skills, options)) as pool:
        for future in as_completed([pool.submit(_run_pair, *pair) for pair in pairs]):
            yield future.result()
