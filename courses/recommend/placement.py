"""The placement check on the site: the course's check (:class:`learnpath.placement.Placement`,
kept per process until the content changes) and where a learner's check stands.

The check asks active exercises with skills, except programs (they are judged later by a
worker, and the check needs its answer at once). Its state is the stored answers
(:class:`courses.models.PlacementAnswer`): the next question is worked out from them on each
request, so a reload, another tab or another process resumes exactly where the learner is.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Subquery

from courses.models import Attempt, Course, PlacementAnswer, PlacementCheck
from courses.queries.content import course_content
from courses.queries.per_content import PerContent
from courses.recommend.course_view import course_view
from learnpath.placement import CheckedAnswer, Placement


def _load(course: Course) -> Placement:
    view, content = course_view(course), course_content(course)
    askable = [e for e in view.exercises
               if e.key in content.by_key and not content.by_key[e.key].is_code]
    return Placement(view.graph, askable, view.params)


_placements: PerContent[Placement] = PerContent(_load)


def placement_for(course: Course) -> Placement:
    return _placements.of(course)


@dataclass(frozen=True)
class PlacementStatus:
    """Where a learner's check stands: the check under way (with the next exercise's key, or
    ``None`` when it is over, and how many are answered), the latest finished or skipped check,
    and whether the check is offered: to a learner who never took nor skipped one and has not
    practised here yet (anyone can still ask for it)."""

    active: PlacementCheck | None
    next_key: str | None
    answered: int
    latest: PlacementCheck | None
    offered: bool


def answers_of(check: PlacementCheck) -> list[CheckedAnswer]:
    return [CheckedAnswer(key, correct) for key, correct in
            check.answers.order_by("answered_at", "id").values_list("exercise__key", "correct")]


def placement_status(learner: User, course: Course) -> PlacementStatus:
    checks = list(PlacementCheck.objects.filter(learner=learner, course=course)
                  .order_by("-started_at", "-id")[:2])
    active = next((c for c in checks if c.status == PlacementCheck.Status.ACTIVE), None)
    latest = next((c for c in checks if c.status != PlacementCheck.Status.ACTIVE), None)
    offered = not checks and not Attempt.objects.filter(learner=learner, course=course).exists()
    if active is None:
        return PlacementStatus(None, None, 0, latest, offered)
    answers = answers_of(active)
    return PlacementStatus(active, placement_for(course).next_exercise(answers), len(answers),
                           latest, offered)


@dataclass(frozen=True)
class PlacementOffer:
    """What the course page says about the check, read in one query (two while a check is
    under way): whether one is under way and how far, whether it is offered (as in
    :class:`PlacementStatus`), and the latest finished or skipped check's status."""

    active: bool
    answered: int
    offered: bool
    latest_status: str | None


def placement_offer(learner: User, course: Course) -> PlacementOffer:
    checks = (PlacementCheck.objects.filter(learner=learner, course=OuterRef("pk"))
              .order_by("-started_at", "-id"))
    row = (Course.objects.filter(pk=course.pk).annotate(
        practised=Exists(Attempt.objects.filter(learner=learner, course=OuterRef("pk"))),
        any_check=Exists(checks),
        active_id=Subquery(checks.filter(status=PlacementCheck.Status.ACTIVE).values("pk")[:1]),
        latest_status=Subquery(checks.exclude(status=PlacementCheck.Status.ACTIVE)
                               .values("status")[:1]),
    ).values("practised", "any_check", "active_id", "latest_status").get())
    active_id = row["active_id"]
    answered = (PlacementAnswer.objects.filter(placement_id=active_id).count()
                if active_id is not None else 0)
    return PlacementOffer(active_id is not None, answered,
                          not row["any_check"] and not row["practised"], row["latest_status"])
