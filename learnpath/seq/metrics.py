"""Evaluation metrics.

Next answer: AUC (tied scores share their average rank), accuracy at 0.5, RMSE of the
probability, and the expected calibration error over 10 equal-width bins of the predicted
probability (the attempts' share in each bin times the gap between the bin's mean prediction and
its observed rate of right answers; 0 means the probabilities say what they mean). Next
exercise: the target's 0-based rank among all known exercises, counting tied exercises as ranked
above it (a tie never helps), then HR@k (rank < k) and NDCG@k (1 / log2(rank + 2) when
rank < k). A target the vocabulary does not know is a miss.
"""

from __future__ import annotations

import numpy as np
import torch

from learnpath.seq.data import UNKNOWN_ID


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    _, inverse, counts = np.unique(np.asarray(scores), return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts + 1
    average_rank = first_rank + (counts - 1) / 2.0
    rank_sum = average_rank[inverse][labels].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


CALIBRATION_BINS = 10


def reliability_bins(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = CALIBRATION_BINS
) -> list[dict[str, float]]:
    """Per equal-width bin of the prediction: its bounds, how many attempts fell in it, their
    mean prediction and their observed rate of right answers (empty bins are left out). A
    prediction of exactly 1 belongs to the last bin."""
    labels = np.asarray(labels, dtype=np.float64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    index = np.clip((probabilities * bins).astype(np.int64), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=probabilities, minlength=bins)
    observed = np.bincount(index, weights=labels, minlength=bins)
    return [
        {
            "low": k / bins,
            "high": (k + 1) / bins,
            "count": int(counts[k]),
            "predicted": float(predicted[k] / counts[k]),
            "observed": float(observed[k] / counts[k]),
        }
        for k in range(bins)
        if counts[k]
    ]


def expected_calibration_error(
    labels: np.ndarray, probabilities: np.ndarray, bins: int = CALIBRATION_BINS
) -> float:
    rows = reliability_bins(labels, probabilities, bins)
    total = sum(row["count"] for row in rows)
    if not total:
        return float("nan")
    return float(
        sum(row["count"] * abs(row["predicted"] - row["observed"]) for row in rows) / total
    )


def answer_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    labels = np.asarray(labels, dtype=np.float64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return {
        "auc": roc_auc(labels, probabilities),
        "acc": float(((probabilities >= 0.5) == (labels >= 0.5)).mean()),
        "rmse": float(np.sqrt(((probabilities - labels) ** 2).mean())),
        "ece": expected_calibration_error(labels, probabilities),
    }


def target_ranks(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Pessimistic 0-based rank of each row's target; padding/unknown columns never compete."""
    scores = scores.float().clone()
    scores[:, : UNKNOWN_ID + 1] = float("-inf")
    target_scores = scores.gather(1, targets.clamp(min=0).unsqueeze(1))
    ranks = (scores >= target_scores).sum(dim=1) - 1
    miss = torch.full_like(ranks, scores.shape[1])
    return torch.where(targets > UNKNOWN_ID, ranks, miss)


def ranking_metrics(ranks: np.ndarray, k: int = 10) -> dict[str, float]:
    ranks = np.asarray(ranks, dtype=np.float64)
    hits = ranks < k
    gains = np.where(hits, 1.0 / np.log2(np.minimum(ranks, k) + 2.0), 0.0)
    return {f"hr{k}": float(hits.mean()), f"ndcg{k}": float(gains.mean())}
