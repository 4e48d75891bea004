from __future__ import annotations

import numpy as np
import pytest
import torch

from learnpath.seq.data import (
    PAD_ID,
    UNKNOWN_ID,
    EncodedSequences,
    Vocabulary,
    assign_folds,
    cut_windows,
    data_hash,
    drop_short,
    gap_bucket,
)
from learnpath.seq.metrics import (
    answer_metrics,
    expected_calibration_error,
    ranking_metrics,
    reliability_bins,
    roc_auc,
    target_ranks,
)
from learnpath.seq.records import Attempt, LearnerSequence


def sequence(learner: str, exercises: str, answers: str) -> LearnerSequence:
    attempts = tuple(Attempt(e, a == "1") for e, a in zip(exercises, answers, strict=True))
    return LearnerSequence(learner, attempts)


SKILLS = {"a": ("x",), "b": ("x", "y"), "c": ("y",), "z": ("y", "new")}


def test_windows_cover_every_attempt_once() -> None:
    long = sequence("l", "abcabcabca", "1010101010")
    windows = cut_windows([long], 4)
    assert [len(window) for window in windows] == [4, 4, 2]
    assert [a for window in windows for a in window.attempts] == list(long.attempts)
    assert [window.learner for window in windows] == ["l#0", "l#1", "l#2"]


def test_short_learners_are_dropped() -> None:
    kept = drop_short([sequence("a", "ab", "11"), sequence("b", "abc", "111")], 3)
    assert [s.learner for s in kept] == ["b"]


def test_gap_buckets_grow_with_the_gap() -> None:
    assert gap_bucket(None) == 0
    buckets = [
        gap_bucket(seconds)
        for seconds in (10, 120, 600, 7200, 40000, 3 * 86400, 20 * 86400, 90 * 86400)
    ]
    assert buckets == list(range(1, 9))


def test_vocabulary_maps_unseen_exercises_to_unknown_but_keeps_their_skills() -> None:
    vocab = Vocabulary.build([sequence("l", "abca", "1100")], SKILLS)
    assert vocab.exercise_id("a") > UNKNOWN_ID
    assert vocab.exercise_id("z") == UNKNOWN_ID
    y_id = vocab.skill_ids("c")[0]
    assert vocab.skill_ids("z") == [y_id, UNKNOWN_ID]
    assert vocab.skill_ids("a") == [vocab.skill_ids("a")[0], PAD_ID]
    assert Vocabulary.from_dict(vocab.to_dict()) == vocab


def test_encoded_batches_are_padded_and_masked() -> None:
    sequences = [sequence("l1", "abc", "101"), sequence("l2", "ab", "01")]
    vocab = Vocabulary.build(sequences, SKILLS)
    encoded = EncodedSequences(sequences, vocab)
    batch = encoded.batch(np.array([0, 1]))
    assert batch.mask.tolist() == [[True, True, True], [True, True, False]]
    assert batch.correct.tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    assert batch.exercise[1, 2] == PAD_ID
    rows = encoded.batch_rows(1, np.random.default_rng(0))
    assert sorted(int(r[0]) for r in rows) == [0, 1]


def test_timestamps_become_gap_buckets_and_sessions_flags() -> None:
    attempts = (
        Attempt("a", True, 0.0, True),
        Attempt("b", False, 30.0),
        Attempt("c", True, 90000.0, True),
    )
    vocab = Vocabulary.build([LearnerSequence("l", attempts)], SKILLS)
    batch = EncodedSequences([LearnerSequence("l", attempts)], vocab).batch(np.array([0]))
    assert batch.gap.tolist() == [[0, 1, 6]]
    assert batch.session.tolist() == [[1, 0, 1]]


def test_folds_partition_learners_evenly_and_repeatably() -> None:
    learners = [f"u{i}" for i in range(23)]
    folds = assign_folds(learners, 5, seed=3)
    sizes = np.bincount(list(folds.values()))[1:]
    assert sizes.sum() == 23 and sizes.max() - sizes.min() <= 1
    assert folds == assign_folds(learners, 5, seed=3)


def test_data_hash_changes_with_any_answer() -> None:
    sequences = [sequence("l", "abc", "101")]
    changed = [sequence("l", "abc", "100")]
    assert data_hash(sequences, SKILLS) == data_hash(list(sequences), dict(SKILLS))
    assert data_hash(sequences, SKILLS) != data_hash(changed, SKILLS)


def test_auc_matches_pairwise_counting_with_ties() -> None:
    rng = np.random.default_rng(0)
    labels = rng.random(200) < 0.4
    scores = np.round(rng.random(200), 1)
    positives, negatives = scores[labels], scores[~labels]
    wins = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (
        positives[:, None] == negatives[None, :]
    ).sum()
    assert roc_auc(labels, scores) == pytest.approx(wins / (len(positives) * len(negatives)))


def test_answer_metrics() -> None:
    metrics = answer_metrics(np.array([1, 0, 1, 0]), np.array([0.9, 0.2, 0.4, 0.6]))
    assert metrics["auc"] == pytest.approx(0.75)
    assert metrics["acc"] == pytest.approx(0.5)
    assert metrics["rmse"] == pytest.approx(np.sqrt((0.01 + 0.04 + 0.36 + 0.36) / 4))
    # Bins [0.2, 0.3), [0.4, 0.5), [0.6, 0.7), [0.9, 1.0]: |0.2-0|, |0.4-1|, |0.6-0|, |0.9-1|.
    assert metrics["ece"] == pytest.approx((0.2 + 0.6 + 0.6 + 0.1) / 4)


def test_reliability_bins_and_calibration_error() -> None:
    labels = np.array([0, 1, 1, 1, 0, 1])
    probabilities = np.array([0.05, 0.05, 0.75, 0.75, 0.75, 1.0])
    rows = reliability_bins(labels, probabilities)
    assert [(row["low"], row["count"]) for row in rows] == [(0.0, 2), (0.7, 3), (0.9, 1)]
    assert rows[0]["observed"] == pytest.approx(0.5)
    assert rows[1]["predicted"] == pytest.approx(0.75)
    assert rows[1]["observed"] == pytest.approx(2 / 3)
    expected = (2 * 0.45 + 3 * abs(0.75 - 2 / 3) + 1 * 0.0) / 6
    assert expected_calibration_error(labels, probabilities) == pytest.approx(expected)
    # Probabilities that match the observed rates in every bin have no calibration error.
    fair = np.array([0.5, 0.5, 0.5, 0.5])
    assert expected_calibration_error(np.array([1, 0, 1, 0]), fair) == pytest.approx(0.0)


def test_ranks_are_pessimistic_and_unknown_targets_miss() -> None:
    scores = torch.tensor([[9.0, 9.0, 0.3, 0.5, 0.5, 0.1], [9.0, 9.0, 0.3, 0.5, 0.5, 0.1]])
    ranks = target_ranks(scores, torch.tensor([4, UNKNOWN_ID]))
    assert ranks.tolist() == [1, 6]
    metrics = ranking_metrics(np.array([0, 1, 12]), k=10)
    assert metrics["hr10"] == pytest.approx(2 / 3)
    assert metrics["ndcg10"] == pytest.approx((1.0 + 1 / np.log2(3)) / 3)
