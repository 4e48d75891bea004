"""Evaluation metrics.

Next answer: AUC (tied scores share their average rank), accuracy at 0.5, RMSE of the
probability. Next exercise: the target's 0-based rank among all known exercises, counting tied
exercises as ranked above it (a tie never helps), then HR@k (rank < k) and NDCG@k
(1 / log2(rank + 2) when rank < k). A target the vocabulary does not know is a miss.
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


def answer_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    labels = np.asarray(labels, dtype=np.float64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return {
        "auc": roc_auc(labels, probabilities),
        "acc": float(((probabilities >= 0.5) == (labels >= 0.5)).mean()),
        "rmse": float(np.sqrt(((probabilities - labels) ** 2).mean())),
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
