"""The learning path as shown: planned once per change and kept per learner and course.

:func:`courses.recommend.paths.recommend_path` plans; this module is the only caller that pages
use. A stored path (:class:`courses.models.CachedPath`) carries the *stamp* it was planned for:

- the learner's newest attempt (an answer changes the chart, the model state, the spacing and
  which pins are done);
- the pins that apply to the learner (count, sum of ids and the newest pin time: a pin added,
  renewed or removed, and a class joined or left, each change one of them);
- the assignments that apply to the learner and their extensions (count, sum of ids and the
  newest change of each: an assignment set, edited or deleted, an extension given or taken
  back, a class joined or left);
- the course's active model version (a new model activated, or none any more);
- the course's ``content_version`` (skills, prerequisites, exercises, options, fitted BKT
  parameters: :mod:`courses.signals`) and its ``updated_at`` (path length, difficulty band);
- the newest change of the learner's skill chart (a rebuild after a graph change).

Showing the path is one query (:func:`_lookup`) that reads the current stamp and the stored row
together, and a page reads even that with its course (:func:`read_course`). The stored path is
used only when its stamp is the current one, it is younger than :data:`EXPIRES_AFTER`
(spacing rules and reviews depend on the clock) and the clock has not reached the path's own
``valid_until`` (the planner's word for when its plan changes with time alone: an assignment's
urgency band changing, for one). Otherwise the page plans it inline and stores
it (read-through): a path is never shown for a state it was not planned for, only later. No
code has to remember to invalidate: every cause changes the stamp.

After an answer the path is planned by the worker (:func:`refresh_path`, queued by
:func:`courses.actions.attempts.follow_up_attempt`); the feedback page and its polling
endpoint wait for it for :data:`REFRESH_GRACE` (:func:`path_or_pending`) and plan it themselves
after that. Two refreshes at once are safe: the row is written by one upsert
(``INSERT … ON CONFLICT DO UPDATE``), and a path stored for an older stamp is simply stale.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from courses.models import CachedPath, Course
from courses.recommend.paths import LearningPath, PathItem, recommend_path
from learnpath.phrases import Phrase

EXPIRES_AFTER = timedelta(hours=1)
REFRESH_GRACE = timedelta(seconds=1)
FORMAT = 3  # of the stored path; another number is read as stale

_STAMP_FIELDS = ("last_attempt_id", "pins", "assignments", "model_version_id",
                 "content_version", "settings_at", "chart_at")


@dataclass(frozen=True)
class Stamp:
    """What a path was planned for; equal stamps plan the same path (clock aside)."""

    last_attempt_id: int
    pins: str
    assignments: str
    model_version_id: int | None
    content_version: int
    settings_at: datetime
    chart_at: datetime | None


@dataclass(frozen=True)
class _Lookup:
    current: Stamp
    stored: Stamp | None
    path: LearningPath | None
    computed_at: datetime | None
    answered_at: datetime | None  # of the newest attempt

    def current_path(self, now: datetime) -> LearningPath | None:
        """The stored path if it was planned for the current stamp, less than
        :data:`EXPIRES_AFTER` ago, and ``now`` is before its ``valid_until``; else ``None``."""
        if (self.stored == self.current and self.computed_at is not None
                and now - self.computed_at < EXPIRES_AFTER and self.path is not None
                and (self.path.valid_until is None or now < self.path.valid_until)):
            return self.path
        return None


def learning_path(learner: User, course: Course) -> LearningPath:
    """The learner's current path: the stored one when its stamp holds, else planned now."""
    return stamped_learning_path(learner, course)[0]


def stamped_learning_path(learner: User, course: Course) -> tuple[LearningPath, Stamp | None]:
    """:func:`learning_path`, with the current stamp it was read with (``None`` when the course
    is gone): what else a page shows of the same inputs can be cached under it."""
    found = _current_lookup(learner.pk, course)
    stored = found.current_path(timezone.now()) if found else None
    path = stored if stored is not None else _plan_and_store(learner, course, found)
    return path, found.current if found else None


def current_stamp(learner_id: int, course_id: int) -> Stamp | None:
    """The stamp a path planned now would carry (one query; ``None`` when the course is gone),
    for what else is kept under the same inputs: nothing is planned."""
    found = _lookup(learner_id, course_id)
    return found.current if found else None


def path_or_pending(learner: User, course: Course) -> LearningPath | None:
    """The current path, or ``None`` while the worker is still planning it after a new answer
    (for :data:`REFRESH_GRACE` after the answer); after that the path is planned here."""
    found = _current_lookup(learner.pk, course)
    now = timezone.now()
    stored = found.current_path(now) if found else None
    if stored is not None:
        return stored
    if (found is not None and found.answered_at is not None
            and now - found.answered_at < REFRESH_GRACE
            and (found.stored is None
                 or found.stored.last_attempt_id != found.current.last_attempt_id)):
        return None
    return _plan_and_store(learner, course, found)


def refresh_path(learner_id: int, course_id: int) -> bool:
    """Plans and stores the path unless the stored one is current; ``False`` when there was
    nothing to do (already current, or the learner or course is gone)."""
    learner = User.objects.filter(pk=learner_id).first()
    course = Course.objects.filter(pk=course_id).first()
    if learner is None or course is None:
        return False
    found = _lookup(learner_id, course_id)
    if found is None or found.current_path(timezone.now()) is not None:
        return False
    _plan_and_store(learner, course, found)
    return True


def _plan_and_store(learner: User, course: Course, found: _Lookup | None) -> LearningPath:
    """Plans the path and stores it under the stamp read *before* planning: anything that
    changes meanwhile leaves the row stale, never wrongly current."""
    path = recommend_path(learner, course)
    if found is None:  # the course is gone
        return path
    row = CachedPath(learner_id=learner.pk, course_id=course.pk, path=_encoded(path),
                     computed_at=timezone.now(), **asdict(found.current))
    CachedPath.objects.bulk_create(
        [row], update_conflicts=True, unique_fields=["learner", "course"],
        update_fields=["path", "computed_at", *_STAMP_FIELDS],
    )
    return path


# The current stamp and the stored row in one round trip. Hand-written: the ORM spends about
# 5 ms building this query (eight expressions), ten times what the database needs to run it.
# Every subquery reads by an index: the newest attempt by (course, learner, id), the pins by
# learner and by class, the active model by the partial unique index, the chart by
# (course, learner). Valid on PostgreSQL and SQLite.
_LOOKUP_COLUMNS = (
    "course.content_version", "course.updated_at",
    """(SELECT attempt.id FROM courses_attempt attempt
         WHERE attempt.course_id = course.id AND attempt.learner_id = %(learner)s
         ORDER BY attempt.id DESC LIMIT 1)""",
    """(SELECT attempt.submitted_at FROM courses_attempt attempt
         WHERE attempt.course_id = course.id AND attempt.learner_id = %(learner)s
         ORDER BY attempt.id DESC LIMIT 1)""",
    """(SELECT CAST(COUNT(pin.id) AS TEXT) || ':' || COALESCE(SUM(pin.id), 0) || ':'
               || COALESCE(CAST(MAX(pin.created_at) AS TEXT), '-')
          FROM courses_pathpin pin
          JOIN courses_exercise exercise ON exercise.id = pin.exercise_id
         WHERE exercise.course_id = course.id
           AND (pin.learner_id = %(learner)s
                OR pin.cohort_id IN (SELECT member.cohort_id FROM courses_cohort_learners member
                                      WHERE member.user_id = %(learner)s)))""",
    """(SELECT CAST(COUNT(assignment.id) AS TEXT) || ':' || COALESCE(SUM(assignment.id), 0)
               || ':' || COALESCE(CAST(MAX(assignment.updated_at) AS TEXT), '-')
          FROM courses_assignment assignment
          JOIN courses_cohort_learners member
            ON member.cohort_id = assignment.cohort_id AND member.user_id = %(learner)s
          JOIN courses_cohort cohort ON cohort.id = assignment.cohort_id
         WHERE cohort.course_id = course.id
           AND (NOT EXISTS (SELECT 1 FROM courses_assignment_learners chosen
                             WHERE chosen.assignment_id = assignment.id)
                OR EXISTS (SELECT 1 FROM courses_assignment_learners chosen
                            WHERE chosen.assignment_id = assignment.id
                              AND chosen.user_id = %(learner)s)))
       || '/' ||
       (SELECT CAST(COUNT(extension.id) AS TEXT) || ':'
               || COALESCE(CAST(MAX(extension.updated_at) AS TEXT), '-')
          FROM courses_assignmentextension extension
          JOIN courses_assignment assignment ON assignment.id = extension.assignment_id
          JOIN courses_cohort cohort ON cohort.id = assignment.cohort_id
         WHERE extension.learner_id = %(learner)s AND cohort.course_id = course.id)""",
    """(SELECT version.id FROM courses_modelversion version
         WHERE version.course_id = course.id AND version.status = 'active')""",
    """(SELECT MAX(state.updated_at) FROM courses_skillstate state
         WHERE state.course_id = course.id AND state.learner_id = %(learner)s)""",
    "cached.path", "cached.computed_at", "cached.last_attempt_id", "cached.pins",
    "cached.assignments", "cached.model_version_id", "cached.content_version",
    "cached.settings_at", "cached.chart_at",
)
_LOOKUP_FROM = """
  FROM courses_course course
  LEFT JOIN courses_cachedpath cached
    ON cached.course_id = course.id AND cached.learner_id = %(learner)s
"""
_LOOKUP_SQL = f"SELECT {', '.join(_LOOKUP_COLUMNS)} {_LOOKUP_FROM} WHERE course.id = %(course)s"
# A page's course by its slug, with whether the learner is enrolled and the path lookup: all a
# page that shows the path reads before its own work, in one query.
_ENROLLED = """EXISTS (SELECT 1 FROM courses_enrollment enrollment
                WHERE enrollment.course_id = course.id AND enrollment.learner_id = %(learner)s)"""
_LOOKUP_AS = ", ".join(f"{column} AS lookup_{n}" for n, column in enumerate(_LOOKUP_COLUMNS))
_COURSE_SQL = f"""SELECT course.*, {_ENROLLED} AS enrolled, {_LOOKUP_AS} {_LOOKUP_FROM}
 WHERE course.slug = %(slug)s"""
_READ_WITH_COURSE = "_path_lookup"


def read_course(learner: User, slug: str) -> tuple[Course, bool] | None:
    """The course with this slug and whether the learner is enrolled in it (``None`` when there
    is none), in one query that also reads the learner's path lookup: the next
    :func:`learning_path`, :func:`stamped_learning_path` or :func:`path_or_pending` of this
    learner on this course object uses it and costs no query of its own."""
    course = next(iter(Course.objects.raw(_COURSE_SQL, {"learner": learner.pk, "slug": slug})),
                  None)
    if course is None:
        return None
    row = tuple(course.__dict__.pop(f"lookup_{n}") for n in range(len(_LOOKUP_COLUMNS)))
    course.__dict__[_READ_WITH_COURSE] = (learner.pk, row)  # parsed only if the page uses it
    return course, bool(course.__dict__.pop("enrolled"))


def _current_lookup(learner_id: int, course: Course) -> _Lookup | None:
    """The lookup read with the course object for this learner (once), else read now."""
    read_with = course.__dict__.pop(_READ_WITH_COURSE, None)
    if read_with is not None and read_with[0] == learner_id:
        return _parsed(read_with[1])
    return _lookup(learner_id, course.pk)


def _lookup(learner_id: int, course_id: int) -> _Lookup | None:
    """The current stamp and the stored row, in one query; ``None`` when the course is gone."""
    with connection.cursor() as cursor:
        cursor.execute(_LOOKUP_SQL, {"learner": learner_id, "course": course_id})
        row = cursor.fetchone()
    return None if row is None else _parsed(row)


def _parsed(row: tuple[Any, ...]) -> _Lookup:
    (content_version, settings_at, attempt_id, answered_at, pins, assignments, model_id,
     chart_at, path, computed_at, *stored) = row
    current = Stamp(attempt_id or 0, pins, assignments, model_id, content_version,
                    _moment(settings_at), _at_or_none(chart_at))
    if computed_at is None:
        return _Lookup(current, None, None, None, _at_or_none(answered_at))
    stored_stamp = Stamp(stored[0], stored[1], stored[2], stored[3], stored[4],
                         _moment(stored[5]), _at_or_none(stored[6]))
    return _Lookup(current, stored_stamp, _decoded(path), _moment(computed_at),
                   _at_or_none(answered_at))


def _at_or_none(value: datetime | str | None) -> datetime | None:
    return None if value is None else _moment(value)


def _moment(value: datetime | str) -> datetime:
    """A datetime as the database returned it (SQLite gives text, in UTC)."""
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    if moment is None:
        raise ValueError(f"not a datetime: {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


def _encoded(path: LearningPath) -> dict[str, Any]:
    """The path as JSON data; its note and reasons as phrases, written out only when shown
    (in the reader's language)."""
    valid_until = path.valid_until.isoformat() if path.valid_until else None
    items = [{**{field.name: getattr(item, field.name) for field in fields(PathItem)},
              "why": [phrase.to_data() for phrase in item.why]} for item in path.items]
    return {"format": FORMAT, "items": items, "source": path.source,
            "about": path.about.to_data() if path.about is not None else None,
            "model_version": path.model_version, "valid_until": valid_until}


def _decoded(stored: Any) -> LearningPath | None:
    """The stored path, or ``None`` when there is none or it was stored in another shape (an
    older format, or fields of the path that have changed since): then it is planned again."""
    if isinstance(stored, str | bytes):
        stored = json.loads(stored)
    if not isinstance(stored, dict) or stored.pop("format", None) != FORMAT:
        return None
    item_fields = {field.name for field in fields(PathItem)}
    if set(stored) != {field.name for field in fields(LearningPath)} or not all(
        isinstance(item, dict) and set(item) == item_fields for item in stored["items"]
    ):
        return None
    try:
        items = [PathItem(**{**item, "other_skill_names": tuple(item["other_skill_names"]),
                             "why": tuple(Phrase.from_data(data) for data in item["why"])})
                 for item in stored["items"]]
        valid_until = _at_or_none(stored["valid_until"])
        about = Phrase.from_data(stored["about"]) if stored["about"] is not None else None
        return LearningPath(**{**stored, "items": items, "valid_until": valid_until,
                               "about": about})
    except (TypeError, ValueError, AttributeError):
        return None
