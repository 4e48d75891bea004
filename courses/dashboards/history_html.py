"""The learner dashboard's history as HTML: the summary's answers and minutes of the period, and
the sections *Mastery over time*, *Practice per day* and *Recent answers*. They are rendered
once per change of the history and kept in the cache (Redis in production, shared by every
process) under the dashboard's history key (:func:`courses.dashboards.learner.history_key`),
which names everything they are read from: an entry is never stale, and nothing deletes one.
Each language has its own entries (the sections' words and dates are written in it).

After each answer, once the path is planned, a worker renders them for the dashboard as it first
opens, in the language it was last opened in (:func:`render_ahead`,
:func:`courses.jobs.render_history_ahead`), so a learner who then
opens it reads none of the history; a page that does not find them renders them and keeps them.
Only the dashboards opened in the last :data:`KEEP_SECONDS` are rendered ahead: a learner who
never opens theirs costs the worker two queries and a cache read per answer.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from courses.dashboards.learner import LearnerDashboard, LearnerHistory, history_key, read_history
from courses.models import Course
from courses.queries.per_content import read_now
from courses.recommend.cache import current_stamp

KEEP_SECONDS = 24 * 3600  # the key names the day: an entry is of no use after it
_PREFIX = "learner-history:"


@dataclass(frozen=True)
class HistoryHtml:
    period: SafeString
    sections: SafeString


def history_html(learner: User, course: Course, dashboard: LearnerDashboard) -> HistoryHtml:
    """The dashboard's history as HTML: kept, or rendered now (reading the history) and kept,
    and then rendered ahead after the learner's answers for a while."""
    language = translation.get_language()
    key = _kept(language, dashboard.history_key)
    cached = cache.get(key) if dashboard.history_key else None
    if cached is not None:
        period, sections = cached
    else:
        period, sections = _rendered(dashboard.history)
        if dashboard.history_key:
            cache.set_many({key: (period, sections), _opened(learner, course): language},
                           KEEP_SECONDS)
    # Safe: rendered by our templates, which escape what they show.
    return HistoryHtml(mark_safe(period), mark_safe(sections))  # noqa: S308


def render_ahead(learner_id: int, course_id: int) -> bool:
    """Renders and keeps the history of the dashboard as it first opens (no skills chosen,
    today), if it was opened lately and is not kept already; ``False`` when there was nothing
    to do."""
    learner = get_user_model().objects.filter(pk=learner_id).first()
    course = Course.objects.filter(pk=course_id).first()
    if learner is None or course is None:
        return False
    language = cache.get(_opened(learner, course))
    if not isinstance(language, str):
        return False
    read_now(course)  # read just now, and this task changes no content
    today = timezone.localdate()
    key = history_key(learner, course, current_stamp(learner.pk, course.pk), today, ())
    if not key or cache.get(_kept(language, key)) is not None:
        return False
    with translation.override(language):
        rendered = _rendered(read_history(learner, course, (), today))
    cache.set(_kept(language, key), rendered, KEEP_SECONDS)
    return True


def _kept(language: str | None, history_key: str) -> str:
    return f"{_PREFIX}{language or '-'}:{history_key}"


def _opened(learner: User, course: Course) -> str:
    """Set (to the page's language) while the learner's dashboard in the course was rendered in
    the last day (the times the learner and the course were created tell them apart from
    deleted ones with their ids)."""
    who = (learner.pk, learner.date_joined.isoformat(), course.pk, course.created_at.isoformat())
    return "learner-history-opened:" + hashlib.sha256(repr(who).encode()).hexdigest()


def _rendered(history: LearnerHistory) -> tuple[str, str]:
    context = {"history": history}
    return (str(render_to_string("dashboards/_history_period.html", context)),
            str(render_to_string("dashboards/_history.html", context)))
