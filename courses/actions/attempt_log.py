"""Importing a log of past attempts (CSV) into a course: a school's history from another system,
or from an export, so that charts and the sequence model start from what learners already did.

Format: UTF-8 CSV with a header row. Columns (any order):

    learner       username (required)
    exercise      exercise key in the course (required)
    submitted_at  ISO 8601 time, e.g. 2026-03-02T10:15:00+01:00 (required; no zone = site zone)
    answer        the answer as given; for a multiple-choice exercise the chosen options' texts
                  separated by "|"                                    (answer or correct, or both)
    correct       1/0, true/false, yes/no: used when there is no answer (a canonical right or
                  wrong answer is stored), checked against the answer when both are given
    started_at    optional ISO 8601 time, not after submitted_at
    hint_used     optional 1/0

The whole file is checked before anything is written; every problem is reported with its line.
Then each learner's rows are stored in time order through the same service as a live answer (so
sessions, skill charts and retraining follow as usual), all in one transaction. A row already
imported (same learner, exercise and time) is not stored twice, so importing a file again is
harmless. New rows for a learner must be newer than that learner's latest stored attempt in the
course: a log extends history, it does not rewrite it. Unknown usernames are an error unless
learners may be created (with no usable password: an admin sets one, or they stay data only).
"""
from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from courses.actions.attempts import follow_up_attempt, record_attempt
from courses.actions.enrolment import enrol
from courses.errors import InvalidInput, ServiceError
from courses.models import Attempt, Course, Enrollment, Exercise
from courses.queries.exercises import answer_for, answer_key_for
from learnpath.answers import AnswerError, check_answer

REQUIRED = ("learner", "exercise", "submitted_at")
OPTIONAL = ("answer", "correct", "started_at", "hint_used")
TRUE, FALSE = {"1", "true", "yes", "y", "t"}, {"0", "false", "no", "n", "f"}
MAX_PROBLEMS = 50
_NAMESPACE = uuid.UUID("5f0c3d4e-8a51-4f7e-9b0a-6c1d2e3f4a5b")


class AttemptLogError(InvalidInput):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class LogRow:
    line: int
    username: str
    exercise: Exercise
    given: str | list[int]
    submitted_at: datetime
    started_at: datetime | None
    hint_used: bool

    @property
    def client_id(self) -> uuid.UUID:
        # The instant, not how it was written: the same time with another offset is the same row.
        key = f"{self.exercise.course_id}:{self.username}:{self.exercise.key}:" \
              f"{self.submitted_at.astimezone(UTC).isoformat()}"
        return uuid.uuid5(_NAMESPACE, key)


@dataclass(frozen=True)
class LogSummary:
    learners: int
    imported: int
    already_stored: int
    created_learners: int


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.count = 0

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(text)

    def raise_if_any(self) -> None:
        if self.count:
            more = self.count - len(self.items)
            raise AttemptLogError(self.items + ([f"… and {more} more problems"] if more else []))


def read_attempt_log(raw: bytes, course: Course, *, max_rows: int | None = None,
                     create_learners: bool = False) -> list[LogRow]:
    """Every row of the file, checked; raises AttemptLogError listing what is wrong."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise AttemptLogError([f"The file is not UTF-8 text (byte {error.start})."]) from error
    if "\x00" in text:
        raise AttemptLogError(["The file holds NUL characters: it is not a CSV text file."])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise AttemptLogError(["The file is empty: a header row is needed."]) from None
    except csv.Error as error:
        raise AttemptLogError([f"line 1: {error}"]) from error
    _check_header(header)
    exercises = {e.key: e for e in course.exercises.prefetch_related("choices")}
    problems = _Problems()
    rows: list[LogRow] = []
    parse = _RowParser(header, exercises, problems)
    try:
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            if max_rows is not None and len(rows) >= max_rows:
                problems.add(f"More than {max_rows} rows: import larger logs with "
                             "`manage.py import_attempts`.")
                break
            row = parse(reader.line_num, fields)
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        problems.add(f"line {reader.line_num}: {error}")
    if not rows and not problems.count:
        problems.add("The file has a header but no rows.")
    problems.raise_if_any()
    _check_learners_and_order(rows, course, create_learners, problems)
    problems.raise_if_any()
    return rows


def _check_header(header: list[str]) -> None:
    problems = []
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(f"line 1: missing column(s) {', '.join(missing)}")
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if unknown:
        problems.append(f"line 1: unknown column(s) {', '.join(repr(n) for n in unknown)}; "
                        f"known: {', '.join(REQUIRED + OPTIONAL)}")
    if "answer" not in header and "correct" not in header:
        problems.append("line 1: an 'answer' or a 'correct' column is needed")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(f"line 1: column(s) {', '.join(repeated)} appear twice")
    if problems:
        raise AttemptLogError(problems)


class _RowParser:
    def __init__(self, header: list[str], exercises: dict[str, Exercise],
                 problems: _Problems) -> None:
        self.header, self.exercises, self.problems = header, exercises, problems
        self.now = timezone.now()

    def __call__(self, line: int, fields: list[str]) -> LogRow | None:
        if len(fields) != len(self.header):
            self.problems.add(f"line {line}: {len(fields)} fields, the header has "
                              f"{len(self.header)}")
            return None
        values = {name: field.strip() for name, field in zip(self.header, fields, strict=True)}
        errors: list[str] = []
        username = values["learner"]
        if not username or len(username) > 150:
            errors.append("learner: a username of 1 to 150 characters is needed")
        exercise = self.exercises.get(values["exercise"])
        if exercise is None:
            errors.append(f"exercise: no exercise {values['exercise'][:60]!r} in this course")
        elif not exercise.is_active:
            errors.append(f"exercise: {exercise.key} is retired")
        submitted = self._time(values["submitted_at"], "submitted_at", errors)
        started = self._time(values.get("started_at", ""), "started_at", errors, optional=True)
        if submitted and submitted > self.now + timedelta(minutes=5):
            errors.append("submitted_at: in the future")
        if submitted and started and started > submitted:
            errors.append("started_at: after submitted_at")
        hint = self._flag(values.get("hint_used", ""), "hint_used", errors, default=False)
        correct = self._flag(values.get("correct", ""), "correct", errors, default=None)
        given = None
        if exercise is not None and exercise.is_active:
            given = self._answer(exercise, values.get("answer", ""), correct, errors)
        if errors:
            for error in errors:
                self.problems.add(f"line {line}: {error}")
            return None
        assert exercise is not None and submitted is not None and given is not None
        return LogRow(line, username, exercise, given, submitted, started, bool(hint))

    @staticmethod
    def _time(value: str, name: str, errors: list[str],
              optional: bool = False) -> datetime | None:
        if not value:
            if not optional:
                errors.append(f"{name}: a time is needed")
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            errors.append(f"{name}: {value[:40]!r} is not an ISO 8601 time")
            return None
        if moment.year < 1970:
            errors.append(f"{name}: {value[:40]!r} is before 1970")
            return None
        if timezone.is_aware(moment):
            return moment
        aware = timezone.make_aware(moment)
        if aware.astimezone(UTC).astimezone(aware.tzinfo).replace(tzinfo=None) != moment:
            errors.append(f"{name}: {value[:40]!r} does not exist in the site's time zone "
                          "(clocks went forward); give the UTC offset")
            return None
        if timezone.make_aware(moment.replace(fold=1)).utcoffset() != aware.utcoffset():
            errors.append(f"{name}: {value[:40]!r} happens twice in the site's time zone "
                          "(clocks went back); give the UTC offset")
            return None
        return aware

    @staticmethod
    def _flag(value: str, name: str, errors: list[str], default: bool | None) -> bool | None:
        if not value:
            return default
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        errors.append(f"{name}: {value[:20]!r} is not 1/0, true/false or yes/no")
        return default

    @staticmethod
    def _answer(exercise: Exercise, answer: str, correct: bool | None,
                errors: list[str]) -> str | list[int] | None:
        if not answer:
            if correct is None:
                errors.append("answer or correct: one of them is needed")
                return None
            generated = _canonical_answer(exercise, correct)
            if generated is None:
                errors.append(f"correct: {exercise.key} has no {'right' if correct else 'wrong'}"
                              " answer to store for it; give the answer")
            return generated
        given: str | list[int] = answer
        if exercise.kind == Exercise.Kind.CHOICE:
            by_text = {choice.text.strip(): choice.pk for choice in exercise.choices.all()}
            texts = [part.strip() for part in answer.split("|") if part.strip()]
            unknown = [text for text in texts if text not in by_text]
            if unknown:
                errors.append(f"answer: {unknown[0][:60]!r} is not an option of {exercise.key}")
                return None
            given = [by_text[text] for text in texts]
        try:
            right = check_answer(answer_key_for(exercise), given)
        except AnswerError as error:
            errors.append(f"answer: {error}")
            return None
        if correct is not None and right != correct:
            errors.append(f"answer: {answer[:40]!r} is {'right' if right else 'wrong'} but "
                          f"correct says {'1' if correct else '0'}")
            return None
        return given


def _canonical_answer(exercise: Exercise, correct: bool) -> str | list[int] | None:
    """A right or wrong answer to store when the log has only ``correct``; None if there is
    none that checks as such (e.g. a wrong answer to a choice with no wrong option)."""
    try:
        given = answer_for(exercise, correct)
        return given if check_answer(answer_key_for(exercise), given) == correct else None
    except (AnswerError, IndexError):
        return None


def _check_learners_and_order(rows: list[LogRow], course: Course, create_learners: bool,
                              problems: _Problems) -> None:
    users = get_user_model().objects.in_bulk({row.username for row in rows},
                                             field_name="username")
    latest = dict(
        Attempt.objects.filter(course=course, learner__in=users.values())
        .values("learner__username").annotate(top=Max("submitted_at"))
        .values_list("learner__username", "top")
    )
    stored = set(
        Attempt.objects.filter(
            course=course, learner__in=users.values(),
            client_id__in=[row.client_id for row in rows if row.username in users],
        ).values_list("client_id", flat=True)
    )
    validator = get_user_model().username_validator
    for row in rows:
        user = users.get(row.username)
        if user is None:
            if not create_learners:
                problems.add(f"line {row.line}: no user {row.username!r} (allow creating "
                             "learners to add them)")
                continue
            try:
                validator(row.username)
            except ValidationError:
                problems.add(f"line {row.line}: {row.username!r} cannot be a username "
                             "(letters, digits and @.+-_ only)")
                continue
            twin = get_user_model().objects.filter(username__iexact=row.username).first()
            if twin is not None:
                problems.add(f"line {row.line}: {row.username!r} would be a new account next "
                             f"to {twin.get_username()!r}; use that name")
            continue
        if user.is_staff or user.is_superuser or not user.is_active:
            kind = "an inactive" if not user.is_active else "a staff"
            problems.add(f"line {row.line}: {row.username!r} is {kind} account, not a learner")
            continue
        newest = latest.get(row.username)
        if row.client_id not in stored and newest is not None and row.submitted_at <= newest:
            problems.add(f"line {row.line}: {row.submitted_at.isoformat()} is not after "
                         f"{row.username}'s latest stored attempt here ({newest.isoformat()}); "
                         "a log can only add newer history")


def import_attempt_log(
    course: Course, rows: list[LogRow], *, create_learners: bool = False,
    progress: Callable[[int, int], Any] | None = None,
) -> LogSummary:
    """Stores checked rows in one transaction (see the module's docstring)."""
    by_learner: dict[str, list[LogRow]] = defaultdict(list)
    for row in rows:
        by_learner[row.username].append(row)
    imported = already = created = done = 0
    newest: list[Attempt] = []
    try:
        with transaction.atomic():
            for username, learner_rows in by_learner.items():
                learner, new = _learner(username, create_learners)
                created += new
                enrol(learner, course)
                # Live answers of this learner wait for the import (record_attempt takes the
                # same lock), so the order check below stays true until the commit.
                Enrollment.objects.select_for_update().get(learner=learner, course=course)
                _still_newer(course, learner, learner_rows)
                last = None
                for row in sorted(learner_rows,
                                  key=lambda r: (r.submitted_at.astimezone(UTC), r.line)):
                    outcome = record_attempt(
                        learner=learner, exercise=row.exercise, given=row.given,
                        client_id=row.client_id, started_at=row.started_at,
                        submitted_at=row.submitted_at, hint_used=row.hint_used,
                        follow_up=False,
                    )
                    imported += outcome.created
                    already += not outcome.created
                    last = outcome.attempt if outcome.created else last
                    done += 1
                    if progress is not None and done % 500 == 0:
                        progress(done, len(rows))
                if last is not None:
                    newest.append(last)
            # Once per learner, not per row: the model state catches up over the new attempts.
            transaction.on_commit(lambda: _follow_up_all(newest))
    except (ServiceError, IntegrityError) as error:
        # Something changed between the check and the write (an exercise retired, an account
        # created, an answer given meanwhile): nothing was written.
        raise AttemptLogError([f"The log was not imported (nothing was written): "
                               f"{error}"]) from error
    return LogSummary(len(by_learner), imported, already, created)


def _follow_up_all(attempts: list[Attempt]) -> None:
    for attempt in attempts:
        follow_up_attempt(attempt)


def _still_newer(course: Course, learner: User, rows: list[LogRow]) -> None:
    """The date-order check again, inside the import's transaction (after the enrolment
    lock), against anything stored since the file was checked."""
    stored = set(Attempt.objects.filter(course=course, learner=learner,
                                        client_id__in=[row.client_id for row in rows])
                 .values_list("client_id", flat=True))
    latest = Attempt.objects.filter(course=course, learner=learner).exclude(
        client_id__in=stored).aggregate(top=Max("submitted_at"))["top"]
    for row in rows:
        if row.client_id not in stored and latest is not None and row.submitted_at <= latest:
            raise AttemptLogError([f"line {row.line}: {row.username} answered at "
                                   f"{latest.isoformat()}, after this row was checked; "
                                   "a log can only add newer history"])


def _learner(username: str, create: bool) -> tuple[User, bool]:
    users = get_user_model().objects
    existing = users.filter(username=username).first()
    if existing is not None:
        return existing, False
    if not create:
        raise AttemptLogError([f"no user {username!r}"])
    user = users.create(username=username)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user, True
