"""Calibration of answer probabilities: Platt scaling (a temperature and a bias).

After training, two numbers are fitted on the validation learners so that
``sigmoid(logit / T + b)`` minimises their log-loss (Platt, 1999; with ``b`` = 0 it is the
temperature scaling of Guo et al., 2017). Both keep the ranking (AUC): ``T`` > 1 softens an
over-confident model, ``T`` < 1 sharpens a timid one, and ``b`` moves every probability up or
down, which a temperature alone cannot do. The bias matters on real data: on ASSISTments 2009
fold 5 the LSTM's probabilities sat 3 points under the observed rate, a temperature could only
trade that gap between the bins (validation ECE 0.043), the pair brought it to 0.006.

``fit_temperature`` is a golden-section search on ``log T`` in [log 1/8, log 8], which the
log-loss of a single temperature is convex enough in for this to find its minimum.
``fit_platt`` is Newton's method on ``(1/T, b)``: the log-loss of a logistic regression on one
feature is convex, so it converges from the identity in a few steps; ``T`` is kept in the same
range and ``b`` in [-4, 4].
"""

from __future__ import annotations

import math

import numpy as np

TEMPERATURE_RANGE = (1 / 8, 8.0)
BIAS_RANGE = (-4.0, 4.0)
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


def fit_platt(labels: np.ndarray, probabilities: np.ndarray, steps: int = 50
              ) -> tuple[float, float]:
    """``(T, b)`` minimising the log-loss of ``sigmoid(logit(probabilities) / T + b)``;
    ``(1, 0)`` without data or with one class only."""
    labels = np.asarray(labels, dtype=np.float64)
    if len(labels) == 0 or labels.min() == labels.max():
        return 1.0, 0.0
    logits = logits_of(probabilities)
    features = np.stack([logits, np.ones_like(logits)], axis=1)
    weights = np.array([1.0, 0.0])  # (1 / T, b): start from the model as it is
    low, high = 1 / TEMPERATURE_RANGE[1], 1 / TEMPERATURE_RANGE[0]
    for _ in range(steps):
        predicted = 1.0 / (1.0 + np.exp(-(features @ weights)))
        gradient = features.T @ (predicted - labels) / len(labels)
        curvature = (features * (predicted * (1 - predicted))[:, None]).T @ features
        curvature = curvature / len(labels) + 1e-9 * np.eye(2)
        step = np.linalg.solve(curvature, gradient)
        weights = weights - step
        weights[0] = min(max(weights[0], low), high)
        weights[1] = min(max(weights[1], BIAS_RANGE[0]), BIAS_RANGE[1])
        if np.abs(step).max() < 1e-9:
            break
    return float(1.0 / weights[0]), float(weights[1])
