"""BKT baseline: pyBKT fitted and run in a subprocess (``bkt_worker.py``).

pyBKT 1.4 does not import with numpy 2 or the newest scikit-learn, so it runs under its own
interpreter (``--bkt-python``). Each attempt becomes one row per skill; a window is one pyBKT
user; an attempt's probability is the mean over its skills' predictions, so it is scored once
like every other model's.
"""

from __future__ import annotations

import csv
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from learnpath.seq.records import LearnerSequence

WORKER = Path(__file__).with_name("bkt_worker.py")


def _write_rows(
    path: Path, windows: Sequence[LearnerSequence], exercise_skills: Mapping[str, Sequence[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Write one row per (attempt, skill); returns each row's attempt index and the labels."""
    row_attempts: list[int] = []
    labels: list[float] = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_id", "user_id", "skill_name", "correct"])
        for window in windows:
            for attempt in window.attempts:
                for skill in exercise_skills.get(attempt.exercise) or ("unknown",):
                    writer.writerow(
                        [len(row_attempts), window.learner, skill, int(attempt.correct)]
                    )
                    row_attempts.append(len(labels))
                labels.append(float(attempt.correct))
    return np.array(row_attempts, dtype=np.int64), np.array(labels)


def bkt_predictions(
    train: Sequence[LearnerSequence],
    test: Sequence[LearnerSequence],
    exercise_skills: Mapping[str, Sequence[str]],
    python: str,
    fits: int,
    seed: int,
    timeout_seconds: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and BKT probabilities of every test attempt, in window order."""
    with tempfile.TemporaryDirectory(prefix="learnpath-bkt-") as folder:
        train_path, test_path, out_path = (
            Path(folder) / name for name in ("train.csv", "test.csv", "out.csv")
        )
        _write_rows(train_path, train, exercise_skills)
        row_attempts, labels = _write_rows(test_path, test, exercise_skills)
        command = [
            python,
            str(WORKER),
            str(train_path),
            str(test_path),
            str(out_path),
            str(fits),
            str(seed),
        ]
        finished = subprocess.run(command, timeout=timeout_seconds, capture_output=True, text=True)
        if finished.returncode != 0:
            raise RuntimeError(
                f"pyBKT failed under {python} (pass --bkt-python an interpreter with pyBKT and "
                f"numpy<2): {finished.stderr.strip()[-2000:]}"
            )
        predicted = np.loadtxt(out_path, delimiter=",", skiprows=1, ndmin=2)
    rows = predicted[:, 0].astype(np.int64)
    sums = np.bincount(row_attempts[rows], weights=predicted[:, 1], minlength=len(labels))
    counts = np.bincount(row_attempts[rows], minlength=len(labels))
    return labels, sums / np.maximum(counts, 1)
