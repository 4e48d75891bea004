"""The model registry: which trained model serves a course, loaded lazily and checked.

Each process keeps the loaded model of each course in memory (:class:`LoadedModels`), known by
its artifact's identity: when another process activates a new version, the next request here
sees a different active version (one indexed query) and loads it — no restart. An artifact
that is missing or whose SHA-256 differs from the registry's is never loaded: the site falls
back to the skill-graph path, logs it, and the admin shows a warning (:func:`artifact_problems`).
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

from courses.ml.runtime import use_torch_for_inference
from courses.models import Course, ModelVersion

if TYPE_CHECKING:
    from learnpath.seq.serving import ServingModel

logger = logging.getLogger(__name__)


class ArtifactError(Exception):
    """The active model's file is missing or corrupt."""


@dataclass(frozen=True)
class LoadedModel:
    """A model as loaded in this process: which artifact it is, and the catalog it scores."""

    version_id: int
    checksum: str
    catalog: tuple[tuple[str, tuple[str, ...]], ...] | None
    model: ServingModel


def _file_state(path: Path) -> tuple[int, int] | None:
    """(size, modification time) of the artifact, or None when it is missing."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


class LoadedModels:
    """This process's loaded models, one per course, each known by its artifact's identity (the
    version id *and* the SHA-256 of its file): another version, or another artifact under the
    same id, never matches, so the cache needs no resetting. A failed load is remembered with
    the file's size and time, so a repaired or replaced file is tried again at once."""

    def __init__(self) -> None:
        self._by_course: dict[int, LoadedModel] = {}
        self._failures: dict[tuple[int, str], tuple[tuple[int, int] | None, str]] = {}
        self.lock = threading.Lock()  # one load at a time

    def get(self, course_id: int, version: ModelVersion) -> LoadedModel | None:
        loaded = self._by_course.get(course_id)
        if loaded is not None and (loaded.version_id, loaded.checksum) == (
            version.pk, version.checksum
        ):
            return loaded
        return None

    def put(self, course_id: int, loaded: LoadedModel) -> None:
        self._by_course[course_id] = loaded

    def failure(self, version: ModelVersion) -> str | None:
        """Why this artifact could not be loaded, while the file is as it was then."""
        recorded = self._failures.get((version.pk, version.checksum))
        if recorded is None or recorded[0] != _file_state(Path(version.artifact_path)):
            return None
        return recorded[1]

    def fail(self, version: ModelVersion, message: str) -> None:
        state = _file_state(Path(version.artifact_path))
        self._failures[(version.pk, version.checksum)] = (state, message)


_models = LoadedModels()


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
    loaded = _models.get(course.pk, version)
    if loaded is None:
        if _models.failure(version):
            return None
        with _models.lock:
            try:
                model = _load(version)
            except ArtifactError as error:
                _models.fail(version, str(error))
                logger.error("Course %s falls back to the skill-graph path: %s", course.slug,
                             error)
                return None
            loaded = LoadedModel(version.pk, version.checksum, None, model)
    if loaded.catalog != key:
        loaded = LoadedModel(version.pk, version.checksum, key,
                             loaded.model.with_catalog(dict(catalog)))
        _models.put(course.pk, loaded)
    use_torch_for_inference()
    return version, loaded.model


def _load(version: ModelVersion) -> ServingModel:
    check_artifact(version)
    from learnpath.seq import load_checkpoint

    try:
        return load_checkpoint(version.artifact_path)
    except Exception as error:
        raise ArtifactError(f"the model file cannot be loaded: {error}") from error


def artifact_problems() -> list[str]:
    """One line per course whose active model cannot be served, for the admin's warning."""
    problems = []
    for version in ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).select_related(
        "course"
    ):
        try:
            check_artifact(version)
            failure = _models.failure(version)
            if failure:
                raise ArtifactError(failure)
        except ArtifactError as error:
            problems.append(
                f"{version.course.title}: active model v{version.number} cannot be used — "
                f"{error}. Learners get skill-graph paths until it is retrained."
            )
    return problems
