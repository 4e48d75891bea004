"""A course's answers for researchers, in the public knowledge-tracing formats the benchmark
reads (``python -m learnpath.bench --format attempts-csv`` or ``three-line``), under
pseudonyms: an HMAC of each learner's id with a key drawn at random for this export and never
kept (:mod:`learnpath.seq.exports`). The stored attempts are read as the model reads them
(:func:`courses.ml.records.model_attempts`); simulated learners are not included.

Who sees whose answers: ``manage.py export_research`` and administrators export the whole
course; a teacher exports the learners of their own classes in it (those whose answers the
class dashboards already show them).
"""
from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import TextIO

from courses.ml.learner_state import exercise_catalog
from courses.ml.records import model_attempts
from courses.models import Course
from courses.queries.history import learner_histories
from learnpath.seq.exports import (
    pseudonymised,
    three_line_ids,
    write_attempts_csv,
    write_three_line,
)
from learnpath.seq.records import LearnerSequence

FORMATS = ("csv", "3line")
KEY_BYTES = 32


@dataclass(frozen=True)
class ExportCount:
    learners: int
    attempts: int


def write_research_export(course: Course, data_format: str, handle: TextIO,
                          learner_ids: Collection[int] | None = None) -> ExportCount:
    """Writes the course's attempts (only of ``learner_ids``, when given) in ``data_format``
    (one of :data:`FORMATS`); the pseudonym key lives only inside this call."""
    if data_format not in FORMATS:
        raise ValueError(f"unknown research export format {data_format!r}")
    catalog = exercise_catalog(course)
    sequences = []
    for learner_id, rows in learner_histories(course):
        if learner_ids is not None and learner_id not in learner_ids:
            continue
        steps = tuple(attempt for attempt, _ in model_attempts(rows, catalog))
        sequences.append(LearnerSequence(str(learner_id), steps))
    renamed = pseudonymised(sequences, secrets.token_bytes(KEY_BYTES))
    if data_format == "csv":
        skills = {key: exercise_skills for key, exercise_skills in catalog.values()}
        attempts = write_attempts_csv(renamed, skills, handle)
    else:
        write_three_line(renamed, three_line_ids(key for key, _ in catalog.values()), handle)
        attempts = sum(len(sequence) for sequence in renamed)
    return ExportCount(len(renamed), attempts)
