"""Readers for the public knowledge-tracing file formats.

- **3-line** (DKT, DKVMN, Statics): per learner, a line with the number of attempts, a line of
  comma-separated exercise ids, a line of 0/1 answers. Without a Q-matrix every exercise is its
  own skill; with one (``read_qmatrix``) exercise ``i`` carries the skills of row ``i``.
- **4-line problem-id** (AKT's ``*_pid``): per learner, ``user_index,raw_user_id``, problem ids,
  skill ids, 0/1 answers. A problem tagged with several skills is written as consecutive rows, one
  per skill, with the same answer; with ``collapse_repeats`` those rows become one attempt tagged
  with all the skills, so it is predicted once and never from its own answer.
- **response matrix** (DKT Synthetic-5): one learner per row, one 0/1 column per question, all
  learners answering the questions in column order.
- **attempts CSV** (learnpath's own, with time): a header, then one attempt per row:
  ``learner,exercise,skills,correct[,timestamp][,new_session]``; ``skills`` separated by ``;``,
  ``timestamp`` in seconds, ``new_session`` 0/1. Each learner's rows in time order.

Trailing commas and blank lines between records are accepted. Anything else malformed raises
``FormatError`` naming the file and the 1-based line number.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from learnpath.seq.records import Attempt, Corpus, LearnerSequence


class FormatError(ValueError):
    def __init__(self, path: Path, line_number: int, message: str) -> None:
        super().__init__(f"{path}:{line_number}: {message}")
        self.path = path
        self.line_number = line_number


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            yield number, line.strip()


def _records(path: Path, lines_per_record: int) -> Iterator[list[tuple[int, str]]]:
    """Group non-blank lines into records; a blank line inside a record is an error."""
    record: list[tuple[int, str]] = []
    for number, text in _numbered_lines(path):
        if not text:
            if record:
                raise FormatError(path, number, "blank line inside a record")
            continue
        record.append((number, text))
        if len(record) == lines_per_record:
            yield record
            record = []
    if record:
        raise FormatError(
            path, record[-1][0], f"file ends inside a record ({len(record)}/{lines_per_record})"
        )


def _fields(path: Path, number: int, text: str) -> list[str]:
    fields = text.split(",")
    if fields and fields[-1] == "":
        fields.pop()
    if any(not field.strip() for field in fields):
        raise FormatError(path, number, "empty field")
    return [field.strip() for field in fields]


def _ids(path: Path, number: int, text: str) -> list[str]:
    fields = _fields(path, number, text)
    for field in fields:
        if not field.isdigit():
            raise FormatError(path, number, f"id {field!r} is not a non-negative integer")
    return fields


def _answers(path: Path, number: int, text: str) -> list[bool]:
    fields = _fields(path, number, text)
    for field in fields:
        if field not in ("0", "1"):
            raise FormatError(path, number, f"answer {field!r} is not 0 or 1")
    return [field == "1" for field in fields]


def _same_length(path: Path, number: int, expected: int, actual: int, what: str) -> None:
    if expected != actual:
        raise FormatError(path, number, f"{actual} {what} where {expected} were expected")


def read_qmatrix(path: Path) -> dict[str, tuple[str, ...]]:
    """Exercise ``i`` (1-based row) -> the 1-based columns holding a 1."""
    exercise_skills: dict[str, tuple[str, ...]] = {}
    for number, text in _numbered_lines(path):
        if not text:
            continue
        cells = _answers(path, number, text)
        skills = tuple(str(column + 1) for column, tagged in enumerate(cells) if tagged)
        if not skills:
            raise FormatError(path, number, "exercise has no skill")
        exercise_skills[str(number)] = skills
    return exercise_skills


def read_three_line(
    path: Path, exercise_skills: Mapping[str, tuple[str, ...]] | None = None
) -> Corpus:
    sequences = []
    seen_skills: dict[str, tuple[str, ...]] = {}
    for index, record in enumerate(_records(path, 3)):
        (count_line, count_text), (ids_line, ids_text), (answers_line, answers_text) = record
        count_fields = _ids(path, count_line, count_text)
        if len(count_fields) != 1:
            raise FormatError(path, count_line, "expected the number of attempts")
        count = int(count_fields[0])
        exercises = _ids(path, ids_line, ids_text)
        answers = _answers(path, answers_line, answers_text)
        _same_length(path, ids_line, count, len(exercises), "exercise ids")
        _same_length(path, answers_line, count, len(answers), "answers")
        for exercise in exercises:
            if exercise_skills is None:
                seen_skills[exercise] = (exercise,)
            elif exercise not in exercise_skills:
                raise FormatError(path, ids_line, f"exercise {exercise} is not in the Q-matrix")
        attempts = tuple(
            Attempt(exercise, answer) for exercise, answer in zip(exercises, answers, strict=True)
        )
        sequences.append(LearnerSequence(f"{path.stem}:{index}", attempts))
    skills = dict(exercise_skills) if exercise_skills is not None else seen_skills
    used = {attempt.exercise for sequence in sequences for attempt in sequence.attempts}
    return Corpus(tuple(sequences), {key: skills[key] for key in sorted(used, key=int)})


def _collapse(
    rows: list[tuple[str, str, bool]], collapse_repeats: bool
) -> list[tuple[str, list[str], bool]]:
    merged: list[tuple[str, list[str], bool]] = []
    for problem, skill, answer in rows:
        if collapse_repeats and merged:
            last_problem, last_skills, last_answer = merged[-1]
            if last_problem == problem and last_answer == answer and skill not in last_skills:
                last_skills.append(skill)
                continue
        merged.append((problem, [skill], answer))
    return merged


def read_akt_pid(path: Path, collapse_repeats: bool = True) -> Corpus:
    sequences = []
    skills_by_problem: dict[str, set[str]] = {}
    for record in _records(path, 4):
        (user_line, user_text), (problem_line, problem_text) = record[0], record[1]
        (skill_line, skill_text), (answer_line, answer_text) = record[2], record[3]
        user_fields = _fields(path, user_line, user_text)
        if len(user_fields) != 2:
            raise FormatError(path, user_line, "expected 'user_index,raw_user_id'")
        problems = _ids(path, problem_line, problem_text)
        skills = _ids(path, skill_line, skill_text)
        answers = _answers(path, answer_line, answer_text)
        _same_length(path, skill_line, len(problems), len(skills), "skill ids")
        _same_length(path, answer_line, len(problems), len(answers), "answers")
        rows = list(zip(problems, skills, answers, strict=True))
        attempts = []
        for problem, problem_skills, answer in _collapse(rows, collapse_repeats):
            skills_by_problem.setdefault(problem, set()).update(problem_skills)
            attempts.append(Attempt(problem, answer))
        sequences.append(LearnerSequence(user_fields[1], tuple(attempts)))
    exercise_skills = {
        problem: tuple(sorted(skills, key=int)) for problem, skills in skills_by_problem.items()
    }
    return Corpus(tuple(sequences), exercise_skills)


def read_response_matrix(path: Path) -> Corpus:
    sequences: list[LearnerSequence] = []
    width: int | None = None
    for number, text in _numbered_lines(path):
        if not text:
            continue
        answers = _answers(path, number, text)
        if width is None:
            width = len(answers)
        _same_length(path, number, width, len(answers), "answers")
        attempts = tuple(Attempt(str(column), answer) for column, answer in enumerate(answers))
        sequences.append(LearnerSequence(f"{path.stem}:{len(sequences)}", attempts))
    exercise_skills = {str(column): (str(column),) for column in range(width or 0)}
    return Corpus(tuple(sequences), exercise_skills)


ATTEMPT_COLUMNS = ("learner", "exercise", "skills", "correct", "timestamp", "new_session")


def read_attempts_csv(path: Path) -> Corpus:
    lines = _numbered_lines(path)
    number, header_text = next(lines, (1, ""))
    header = header_text.split(",")
    if header[:4] != list(ATTEMPT_COLUMNS[:4]) or any(
        name not in ATTEMPT_COLUMNS for name in header
    ):
        raise FormatError(path, number, f"expected the header {','.join(ATTEMPT_COLUMNS)} "
                                        "(the last two optional)")
    by_learner: dict[str, list[Attempt]] = {}
    skills_of: dict[str, set[str]] = {}
    for number, text in lines:
        if not text:
            continue
        fields = text.split(",")
        if len(fields) != len(header):
            raise FormatError(path, number, f"{len(fields)} fields, the header has {len(header)}")
        row = dict(zip(header, fields, strict=True))
        if not row["learner"] or not row["exercise"]:
            raise FormatError(path, number, "learner and exercise are needed")
        correct = _answers(path, number, row["correct"])[0]
        timestamp = None
        if row.get("timestamp"):
            try:
                timestamp = float(row["timestamp"])
            except ValueError:
                raise FormatError(path, number, "timestamp: seconds expected") from None
        session = row.get("new_session", "0")
        if session not in ("0", "1", ""):
            raise FormatError(path, number, "new_session: 0 or 1 expected")
        previous = by_learner.setdefault(row["learner"], [])
        if timestamp is not None and previous and (previous[-1].timestamp or 0) > timestamp:
            raise FormatError(path, number, "a learner's rows must be in time order")
        previous.append(Attempt(row["exercise"], correct, timestamp, session == "1"))
        skills = {skill for skill in row["skills"].split(";") if skill}
        skills_of.setdefault(row["exercise"], set()).update(skills or {row["exercise"]})
    sequences = tuple(LearnerSequence(learner, tuple(attempts))
                      for learner, attempts in by_learner.items())
    return Corpus(sequences, {key: tuple(sorted(skills)) for key, skills in skills_of.items()})


def merge_corpora(corpora: list[Corpus]) -> Corpus:
    sequences = tuple(sequence for corpus in corpora for sequence in corpus.sequences)
    skills_by_exercise: dict[str, set[str]] = {}
    for corpus in corpora:
        for exercise, skills in corpus.exercise_skills.items():
            skills_by_exercise.setdefault(exercise, set()).update(skills)
    exercise_skills = {key: tuple(sorted(value)) for key, value in skills_by_exercise.items()}
    return Corpus(sequences, exercise_skills)
