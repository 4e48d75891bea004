"""The sequence engine: an LSTM over learners' attempt histories, its baselines and its serving API.

Pure PyTorch and numpy, no Django: plain data in, plain data out. Importing this package does not
import torch; the names below load their module on first use.

Training (plain data in, checkpoint out)::

    from learnpath.seq import Attempt, LearnerSequence, TrainConfig, train_from_sequences
    result = train_from_sequences(
        sequences,                # list[LearnerSequence(learner, attempts=(Attempt(...), ...))]
        exercise_skills,          # {"ex-key": ("skill", ...)} - 1+ skills per exercise
        TrainConfig(epochs=20),   # model="lstm", hyper={...}, seed, device="auto", ...
        progress=True,            # tqdm bar with ETA
        checkpoint_path="model.pt",
    )
    result.metrics["valid_auc"], result.metrics["valid_hr10"]   # knowledge / next-exercise heads

``Attempt(exercise, correct, timestamp=None, new_session=False)``: timestamp in seconds; the gap
since the previous attempt is bucketed. The vocabulary is built from the training data; exercises
outside it are handled through their skills.

Serving (load once per process, one state per learner)::

    model = load_checkpoint("model.pt")            # -> ServingModel
    model = model.with_catalog(course_exercise_skills)   # optional: score these exercises
    state = model.initial_state()                  # learner with no history
    state = model.step(state, Attempt("ex-key", True, timestamp=t))   # O(1) update
    blob = state_to_bytes(state); state = state_from_bytes(blob)       # store in the DB
    scores = model.score(state)                    # Scores(exercises, p_correct, p_next)
    scores.p_correct_by_exercise(), scores.p_next_by_exercise()
    planned = model.roll_forward(state, [Attempt("ex-2", True)])       # hypothetical path

Modules: ``records`` (plain types), ``formats`` (public benchmark file readers), ``data``
(vocabulary, windows, batches), ``models`` (interface, registry, ``lstm``, ``dkt``),
``baselines`` (``logistic``, ``popularity``, ``markov``, ``itemknn``), ``trainer`` (fit,
evaluate, checkpoints), ``metrics``, ``serving``. The benchmark lives in ``learnpath.bench``.
"""

from __future__ import annotations

import importlib
from typing import Any

from learnpath.seq.records import Attempt, Corpus, LearnerSequence

_LAZY = {
    "TrainConfig": "learnpath.seq.trainer",
    "Trainer": "learnpath.seq.trainer",
    "ServingModel": "learnpath.seq.serving",
    "LearnerState": "learnpath.seq.serving",
    "Scores": "learnpath.seq.serving",
    "TrainingResult": "learnpath.seq.serving",
    "load_checkpoint": "learnpath.seq.serving",
    "train_from_sequences": "learnpath.seq.serving",
    "state_to_bytes": "learnpath.seq.serving",
    "state_from_bytes": "learnpath.seq.serving",
}

__all__ = ["Attempt", "Corpus", "LearnerSequence", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'learnpath.seq' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
