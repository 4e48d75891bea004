"""xAPI 1.0.3 statements, built from plain values (no database here).

- The actor is an account: ``homePage`` is ``SITE_URL``, ``name`` the learner's stored
  pseudonym (:class:`courses.xapi.models.Pseudonym`); never an e-mail address.
- Activity ids live under ``SITE_URL``: the course ``/courses/<slug>/`` and the exercise
  ``/courses/<slug>/exercises/<key>/`` (both pages of the site), the skill
  ``/courses/<slug>/skills/<key>/`` (an identifier only).
- A statement's id is a UUID 5 of its outbox key (``answered:<attempt id>`` …) in the namespace
  of the learner's pseudonym: fixed when the row is written and the same on a replay, yet never
  the same for two sites, or for a database started afresh, whose attempts are numbered alike
  (an LRS would take the second statement for a repeat of the first and drop it).
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

VERBS = {
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "mastered": "http://adlnet.gov/expapi/verbs/mastered",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
OBJECTIVE = "http://adlnet.gov/expapi/activities/objective"
COURSE = "http://adlnet.gov/expapi/activities/course"
# Exercise kinds as xAPI interaction types; a choice response lists option ids joined by "[,]".
INTERACTION_TYPES = {"choice": "choice", "numeric": "numeric", "text": "fill-in"}
PLATFORM = "learnpath"
DESCRIPTION_LENGTH = 1000


@dataclass(frozen=True)
class Site:
    url: str  # SITE_URL, without a trailing slash
    language: str  # an RFC 5646 tag for the names: the site's LANGUAGE_CODE

    def actor(self, pseudonym: str) -> dict[str, Any]:
        return {"objectType": "Agent", "account": {"homePage": self.url, "name": pseudonym}}

    def text(self, value: str) -> dict[str, str]:
        return {self.language: value}

    def course(self, slug: str, title: str) -> dict[str, Any]:
        return _activity(f"{self.url}/courses/{slug}/", COURSE, self.text(title))

    def skill(self, slug: str, key: str, name: str) -> dict[str, Any]:
        return _activity(f"{self.url}/courses/{slug}/skills/{key}/", OBJECTIVE, self.text(name))


@dataclass(frozen=True)
class Answer:
    """An attempt as the statement tells it."""

    attempt_id: int
    course_slug: str
    course_title: str
    exercise_key: str
    exercise_kind: str
    prompt: str
    options: Sequence[tuple[int, str]]  # (id, text) of a choice exercise's options
    skills: Sequence[tuple[str, str]]  # (key, name) of the exercise's skills
    response: str | list[int]
    correct: bool
    hint_used: bool
    submitted_at: datetime
    duration_seconds: float | None  # None: not known (no start time was recorded)


def statement_id(pseudonym: str, key: str) -> str:
    return str(uuid.uuid5(uuid.UUID(pseudonym), key))


def answered(site: Site, pseudonym: str, answer: Answer) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "type": INTERACTION,
        "name": site.text(answer.exercise_key),
        "description": site.text(answer.prompt[:DESCRIPTION_LENGTH]),
        "interactionType": INTERACTION_TYPES[answer.exercise_kind],
    }
    if answer.exercise_kind == "choice":
        definition["choices"] = [{"id": str(option_id), "description": site.text(text)}
                                 for option_id, text in answer.options]
    result: dict[str, Any] = {
        "success": answer.correct,
        "response": _response(answer.response),
        "extensions": {f"{site.url}/xapi/extensions/hint-used": answer.hint_used},
    }
    if answer.duration_seconds:
        result["duration"] = iso_duration(answer.duration_seconds)
    slug = answer.course_slug
    return {
        "id": statement_id(pseudonym, f"answered:{answer.attempt_id}"),
        "actor": site.actor(pseudonym),
        "verb": _verb("answered"),
        "object": {
            "objectType": "Activity",
            "id": f"{site.url}/courses/{slug}/exercises/{answer.exercise_key}/",
            "definition": definition,
        },
        "result": result,
        "context": _context(site, parent=[site.skill(slug, key, name)
                                          for key, name in answer.skills],
                            grouping=[site.course(slug, answer.course_title)]),
        "timestamp": iso_timestamp(answer.submitted_at),
    }


def mastered(site: Site, pseudonym: str, answer: Answer, skill_key: str, skill_name: str,
             p_mastery: float) -> dict[str, Any]:
    """The answer brought ``skill_key`` to *mastered*; the score is P(mastery) after it."""
    slug = answer.course_slug
    return {
        "id": statement_id(pseudonym, f"mastered:{answer.attempt_id}:{skill_key}"),
        "actor": site.actor(pseudonym),
        "verb": _verb("mastered"),
        "object": site.skill(slug, skill_key, skill_name),
        "result": {"success": True, "completion": True,
                   "score": {"scaled": round(min(max(p_mastery, 0.0), 1.0), 4)}},
        "context": {**_context(site, parent=[site.course(slug, answer.course_title)]),
                    "statement": _answered_ref(pseudonym, answer)},
        "timestamp": iso_timestamp(answer.submitted_at),
    }


def completed(site: Site, pseudonym: str, answer: Answer, learner_id: int, course_id: int
              ) -> dict[str, Any]:
    """Every skill of the course is mastered, with this answer: once per learner and course."""
    return {
        "id": statement_id(pseudonym, completed_key(learner_id, course_id)),
        "actor": site.actor(pseudonym),
        "verb": _verb("completed"),
        "object": site.course(answer.course_slug, answer.course_title),
        "result": {"success": True, "completion": True},
        "context": {**_context(site), "statement": _answered_ref(pseudonym, answer)},
        "timestamp": iso_timestamp(answer.submitted_at),
    }


def completed_key(learner_id: int, course_id: int) -> str:
    return f"completed:{learner_id}:{course_id}"


def iso_timestamp(moment: datetime) -> str:
    """UTC, to the millisecond, with a ``Z``: ``2026-12-02T07:45:46.123Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration to the hundredth of a second (xAPI's precision): ``PT1M5.25S``."""
    hundredths = round(seconds * 100)
    hours, rest = divmod(hundredths, 360_000)
    minutes, rest = divmod(rest, 6_000)
    whole, fraction = divmod(rest, 100)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if whole or fraction or text == "PT":
        text += f"{whole}.{fraction:02d}".rstrip("0").rstrip(".") + "S"
    return text


def _activity(activity_id: str, activity_type: str, name: dict[str, str]) -> dict[str, Any]:
    return {"objectType": "Activity", "id": activity_id,
            "definition": {"type": activity_type, "name": name}}


def _verb(name: str) -> dict[str, Any]:
    return {"id": VERBS[name], "display": {"en-US": name}}


def _context(site: Site, *, parent: list[dict[str, Any]] | None = None,
             grouping: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    activities = {name: value for name, value in (("parent", parent), ("grouping", grouping))
                  if value}
    context: dict[str, Any] = {"platform": PLATFORM, "language": site.language}
    if activities:
        context["contextActivities"] = activities
    return context


def _answered_ref(pseudonym: str, answer: Answer) -> dict[str, str]:
    return {"objectType": "StatementRef",
            "id": statement_id(pseudonym, f"answered:{answer.attempt_id}")}


def _response(given: str | list[int]) -> str:
    if isinstance(given, list):
        return "[,]".join(str(option_id) for option_id in given)
    return given
