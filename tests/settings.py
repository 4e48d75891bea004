"""Test settings: the project's settings, with an in-process broker unless one is given."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# Everything the app writes (SQLite file, embedded broker, model artifacts) goes to a temporary
# folder, chosen before the project's settings read it.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="learnpath-test-"))
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
os.environ["LEARNPATH_DATA_DIR"] = str(_DATA_DIR)
os.environ.setdefault("LEARNPATH_DEV_TOOLS", "1")

from learnpath.site.settings import *  # noqa: E402, F403

# CI sets CELERY_BROKER_URL (Redis); otherwise tests use Kombu's in-process transport.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_ROOT = _DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Small, fast training for tests; the engine's own tests cover learning quality and the skill
# memory (tests/engine); on the 12-learner test course two epochs with the memory do not beat the
# skill chart, which several site tests need the model to do.
LEARNPATH_TRAINING = {"epochs": 2, "patience": 1, "seed": 0, "device": "cpu",
                      "hyper": {"hidden_dim": 16, "embed_dim": 8, "memory_heads": 0}}
