"""Settings for a real Celery worker process started by the worker-kill tests: the project's
settings (the database and broker come from the environment, as in production) with a training
run long enough, on a tiny course, to be killed in the middle of."""
from __future__ import annotations

from learnpath.site.settings import *  # noqa: F403

LEARNPATH_TRAINING = {"epochs": 40, "patience": 40, "seed": 0, "device": "cpu", "threads": 1,
                      "hyper": {"hidden_dim": 128, "embed_dim": 64}}
