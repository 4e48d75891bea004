"""The model registry: which trained model serves a course, loaded lazily and checked.

Each process keeps the loaded model of each course in memory, keyed by the active version: when
another process activates a new version, the next request here sees a different active version
(one indexed query) and loads it — no restart. An artifact that is missing or whose SHA-256
differs from the registry's is never loaded: the site falls back to the skill-graph path, logs
it, and the admin shows a warning (:func:`artifact_problems`).
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from courses.models import Course, ModelVersion

if TYPE_CHECKING:
    from learnpath.seq.serving import ServingModel

logger = logging.getLogger(__name__)


class ArtifactError(Exception):
    """The active model's file is missing or corrupt."""


@dataclass(frozen=True)
class LoadedModel:
    version_id: int
    catalog: tuple[tuple[str, tuple[str, ...]], ...]
    model: ServingModel


_loaded: dict[int, LoadedModel] = {}
_failed: dict[int, str] = {}
_lock = threading.Lock()


def model_dir(course: Course) -> Path:
    return Path(settings.LEARNPATH_MODEL_DIR) / f"course-{course.pk}"


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def active_version(course: Course) -> ModelVersion | None:
    return ModelVersion.objects.filter(course=course, status=ModelVersion.Status.ACTIVE).first()


def check_artifact(version: ModelVersion) -> None:
    path = Path(version.artifact_path)
    if not path.is_file():
        raise ArtifactError(f"the model file {path} is missing")
    actual = file_checksum(path)
    if actual != version.checksum:
        raise ArtifactError(
            f"the model file {path} is corrupt (SHA-256 {actual[:12]}…, "
            f"registry says {version.checksum[:12]}…)"
        )


def serving_model(
    course: Course, catalog: Mapping[str, Sequence[str]]
) -> tuple[ModelVersion, ServingModel] | None:
    """The active model scoring ``catalog`` (exercise key -> skills), or None to fall back."""
    version = active_version(course)
    if version is None:
        return None
    key = tuple(sorted((k, tuple(v)) for k, v in catalog.items()))
    cached = _loaded.get(course.pk)
    if cached is not None and cached.version_id == version.pk:
        if cached.catalog != key:
            cached = LoadedModel(version.pk, key, cached.model.with_catalog(dict(catalog)))
            _loaded[course.pk] = cached
        return version, cached.model
    if _failed.get(version.pk):
        return None
    with _lock:
        try:
            model = _load(version, catalog)
        except ArtifactError as error:
            _failed[version.pk] = str(error)
            logger.error("Course %s falls back to the skill-graph path: %s", course.slug, error)
            return None
        _loaded[course.pk] = LoadedModel(version.pk, key, model)
    return version, model


def _load(version: ModelVersion, catalog: Mapping[str, Sequence[str]]) -> ServingModel:
    check_artifact(version)
    import torch

    from learnpath.seq import load_checkpoint

    # One request scores one learner: a single thread is fastest; denormals cost ~10× here.
    torch.set_flush_denormal(True)
    torch.set_num_threads(1)

    try:
        model = load_checkpoint(version.artifact_path)
    except Exception as error:
        raise ArtifactError(f"the model file cannot be loaded: {error}") from error
    return model.with_catalog(dict(catalog))


def forget_loaded_models() -> None:
    """Drops every cached model and failure (tests; after repairing an artifact)."""
    _loaded.clear()
    _failed.clear()


def artifact_problems() -> list[str]:
    """One line per course whose active model cannot be served, for the admin's warning."""
    problems = []
    for version in ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).select_related(
        "course"
    ):
        try:
            check_artifact(version)
            if version.pk in _failed:
                raise ArtifactError(_failed[version.pk])
        except ArtifactError as error:
            problems.append(
                f"{version.course.title}: active model v{version.number} cannot be used — "
                f"{error}. Learners get skill-graph paths until it is retrained."
            )
    return problems
