"""Every sequence model by name: the LSTM (:mod:`learnpath.seq.lstm`), DKT
(:mod:`learnpath.seq.models`), the attention
models (:mod:`learnpath.seq.attention`, the path simulator's environment, and AKT,
:mod:`learnpath.seq.akt`) and the baselines (:mod:`learnpath.seq.baselines`), each registered
by its module on import."""
from __future__ import annotations

from typing import Any

import learnpath.seq.akt
import learnpath.seq.attention
import learnpath.seq.baselines
import learnpath.seq.lstm  # noqa: F401  (each module registers its models)
from learnpath.seq.models import MODEL_REGISTRY, ModelSpec, SequenceModel


def registered_models() -> dict[str, type[SequenceModel]]:
    return dict(MODEL_REGISTRY)


def build_model(name: str, spec: ModelSpec, hyper: dict[str, Any] | None = None) -> SequenceModel:
    models = registered_models()
    if name not in models:
        raise KeyError(f"unknown model {name!r}; known: {sorted(models)}")
    model = models[name](spec, **(hyper or {}))
    model.hyper = dict(hyper or {})
    return model
