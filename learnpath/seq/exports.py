"""Writers for the public knowledge-tracing formats that :mod:`learnpath.seq.formats` reads, for
sharing a course's answers with researchers under pseudonyms.

- :func:`pseudonymised` renames every learner with an HMAC-SHA256 of their id under a key the
  caller draws at random for one export and then forgets: the same learner has the same name
  throughout the export, and no one (the site included) can tell whose it is or link two
  exports. Learners come out sorted by their new name, so the order says nothing about when
  they joined. Times become seconds since the learner's first answer in the export: the gaps
  (and so the sessions) stay, the calendar does not.
- :func:`write_attempts_csv` writes the attempts CSV (``learner,exercise,skills,correct,
  timestamp,new_session``); :func:`write_three_line` the 3-line format, exercises numbered from
  1 in the order of their keys (:func:`three_line_ids`), one record per learner.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

from learnpath.seq.formats import ATTEMPT_COLUMNS
from learnpath.seq.records import Attempt, LearnerSequence

PSEUDONYM_LENGTH = 16  # hex digits of the HMAC: 64 bits, no clash among millions of learners


def pseudonym(key: bytes, learner: str) -> str:
    return hmac.new(key, learner.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]


def pseudonymised(sequences: Iterable[LearnerSequence], key: bytes) -> list[LearnerSequence]:
    """The sequences under pseudonyms, with times relative to each learner's first answer."""
    renamed = []
    for sequence in sequences:
        times = [a.timestamp for a in sequence.attempts if a.timestamp is not None]
        start = min(times) if times else 0.0
        attempts = tuple(
            Attempt(a.exercise, a.correct,
                    None if a.timestamp is None else round(a.timestamp - start, 3),
                    a.new_session)
            for a in sequence.attempts
        )
        renamed.append(LearnerSequence(pseudonym(key, sequence.learner), attempts))
    return sorted(renamed, key=lambda sequence: sequence.learner)


def _safe(text: str, what: str) -> str:
    if any(mark in text for mark in ",;\n\r"):
        raise ValueError(f"{what} {text!r} holds a character the format cannot carry")
    return text


def write_attempts_csv(sequences: Sequence[LearnerSequence],
                       exercise_skills: Mapping[str, Sequence[str]], handle: TextIO) -> int:
    """The attempts CSV, learner by learner; returns the number of rows written."""
    handle.write(",".join(ATTEMPT_COLUMNS) + "\n")
    rows = 0
    for sequence in sequences:
        learner = _safe(sequence.learner, "learner")
        for attempt in sequence.attempts:
            skills = ";".join(_safe(skill, "skill") for skill in
                              exercise_skills.get(attempt.exercise, ()))
            timestamp = ("" if attempt.timestamp is None
                         else f"{attempt.timestamp:.3f}".rstrip("0").rstrip("."))
            handle.write(f"{learner},{_safe(attempt.exercise, 'exercise')},{skills},"
                         f"{int(attempt.correct)},{timestamp},{int(attempt.new_session)}\n")
            rows += 1
    return rows


def three_line_ids(exercises: Iterable[str]) -> dict[str, int]:
    """Exercise key -> its number in the 3-line format (1, 2, … in key order)."""
    return {key: number for number, key in enumerate(sorted(set(exercises)), start=1)}


def write_three_line(sequences: Sequence[LearnerSequence], exercise_ids: Mapping[str, int],
                     handle: TextIO) -> int:
    """The 3-line format (learners with no attempt are left out); returns the records written."""
    records = 0
    for sequence in sequences:
        if not sequence.attempts:
            continue
        handle.write(f"{len(sequence.attempts)}\n")
        handle.write(",".join(str(exercise_ids[a.exercise]) for a in sequence.attempts) + "\n")
        handle.write(",".join(str(int(a.correct)) for a in sequence.attempts) + "\n")
        records += 1
    return records
