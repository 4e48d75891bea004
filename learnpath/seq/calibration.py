"""Temperature scaling of answer probabilities (Guo et al., 2017).

After training, one number ``T`` is fitted on the validation learners so that
``sigmoid(logit / T)`` minimises their log-loss; the ranking (AUC) does not change, only how
far the probabilities lean towards 0 and 1. ``T`` > 1 softens an over-confident model, ``T`` < 1
sharpens a timid one. The search is a golden-section search on ``log T`` in [log 1/8, log 8],
which the log-loss of a single temperature is convex enough in for this to find its minimum.
"""

from __future__ import annotations

import math

import numpy as np

TEMPERATURE_RANGE = (1 / 8, 8.0)
_EPSILON = 1e-6


def logits_of(probabilities: np.ndarray) -> np.ndarray:
    clipped = np.clip(np.asarray(probabilities, dtype=np.float64), _EPSILON, 1 - _EPSILON)
    return np.log(clipped) - np.log1p(-clipped)


def log_loss(labels: np.ndarray, logits: np.ndarray, temperature: float) -> float:
    scaled = logits / temperature
    # log(1 + exp(-y z)) with y in {-1, +1}, computed stably.
    signs = np.where(np.asarray(labels) >= 0.5, 1.0, -1.0)
    return float(np.logaddexp(0.0, -signs * scaled).mean())


def fit_temperature(labels: np.ndarray, probabilities: np.ndarray, steps: int = 60) -> float:
    """The temperature that minimises the log-loss of ``probabilities`` (given at T = 1)."""
    labels = np.asarray(labels, dtype=np.float64)
    if len(labels) == 0 or labels.min() == labels.max():
        return 1.0
    logits = logits_of(probabilities)
    low, high = (math.log(bound) for bound in TEMPERATURE_RANGE)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    loss_a = log_loss(labels, logits, math.exp(a))
    loss_b = log_loss(labels, logits, math.exp(b))
    for _ in range(steps):
        if loss_a <= loss_b:
            high, b, loss_b = b, a, loss_a
            a = high - ratio * (high - low)
            loss_a = log_loss(labels, logits, math.exp(a))
        else:
            low, a, loss_a = a, b, loss_b
            b = low + ratio * (high - low)
            loss_b = log_loss(labels, logits, math.exp(b))
    return float(math.exp((low + high) / 2))
