"""Attempts as export rows, a page at a time: ordered by id, so a page boundary never moves
while new attempts arrive (``after`` is the last id seen), filterable by submission time."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from courses.models import Attempt, Course
from courses.queries.history import exercise_skill_keys

MAX_PAGE = 1000


def attempt_page(course: Course, attempts: QuerySet[Attempt], *, after: int, limit: int,
                 since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """One page of ``attempts`` in ``course`` (already limited to what the caller may
    see)."""
    if since is not None:
        attempts = attempts.filter(submitted_at__gte=since)
    if until is not None:
        attempts = attempts.filter(submitted_at__lt=until)
    columns = ("id", "learner__username", "exercise_id", "exercise__key", "correct", "answer",
               "started_at", "submitted_at", "hint_used", "session__number")
    rows = list(attempts.filter(id__gt=after).order_by("id").values_list(*columns)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    skills = exercise_skill_keys(course) if rows else {}
    items = [
        {"id": r[0], "learner": r[1], "exercise": r[3], "skills": skills.get(r[2], []),
         "correct": r[4], "answer": r[5], "started_at": r[6], "submitted_at": r[7],
         "hint_used": r[8], "session": r[9]}
        for r in rows
    ]
    return {"items": items, "next_after": rows[-1][0] if more else None}
