"""A trained model keeps no way to find a learner: its checkpoint holds weights, exercises and
skills, and no learner's name, so removing a person from the site leaves nothing in the models
trained before (courses.actions.forget)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from learnpath.seq import LearnerSequence, TrainConfig
from learnpath.seq.records import Attempt
from learnpath.seq.serving import fit_model
from learnpath.seq.synthetic import simulate_corpus


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in _strings(key) + _strings(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []


def test_a_checkpoint_names_no_learner(tmp_path: Path) -> None:
    corpus = simulate_corpus(learners=12, exercises=5, skills=2, length=(5, 9), seed=3)
    sequences = [LearnerSequence(f"learner-{number}-secret", tuple(
        Attempt(a.exercise, a.correct, 60.0 * step, step == 0)
        for step, a in enumerate(sequence.attempts)))
        for number, sequence in enumerate(corpus.sequences)]
    path = tmp_path / "model.pt"
    fitted = fit_model(sequences, corpus.exercise_skills,
                       TrainConfig(epochs=1, threads=1, device="cpu",
                                   hyper={"hidden_dim": 8, "embed_dim": 4, "memory_heads": 0}),
                       checkpoint_path=path)
    assert fitted.valid_learners  # known while training (for the chart's metrics) …
    payload = torch.load(path, map_location="cpu", weights_only=True)
    assert not [text for text in _strings(payload) if "secret" in text]  # … never stored
    assert path.read_bytes().find(b"secret") == -1
