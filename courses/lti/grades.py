"""Scores for the LMS gradebook (LTI Assignment and Grade Services): a learner's score on a link
is their mean P(mastered) over the link's skills (its one skill, or all of its course's), as
points out of :data:`SCORE_MAXIMUM`.

An attempt that changes a score queues it through the outbox, in the attempt's own transaction
(:func:`queue_scores`): one row per new score, keyed by link, learner and the score's revision,
so a score queued after an earlier one was sent still goes out. The sender (:func:`send_scores`)
skips a score a newer one has replaced, so while a platform is down only the latest reaches it,
once it is back. The line item is the one the platform made for the link (deep linking), else
one found or created by the link's id, kept on the link.

An assignment with the option ``lms_grade`` in a class linked to an LMS is graded too: its
score is the learner's completion (the share of :mod:`courses.queries.assignments`), sent the
same way (:class:`~courses.lti.models.AssignmentScore` keeps the last one queued) to a
gradebook column made for the assignment in the class's line items (labelled with its title,
due at its due date), "Completed" once done.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from django.utils.dateparse import parse_datetime
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from courses.lti.keys import ensure_current_key
from courses.lti.models import AssignmentScore, LinkLearner, LinkTarget
from courses.lti.protocol import PlatformSession
from courses.models import Assignment, Attempt, Skill, SkillState
from courses.outbox import senders
from courses.outbox.service import enqueue
from courses.queries.assignments import DONE, assignments_for, progress_of
from learnpath import mastery

CHANNEL = "lti_ags"
SCORE_MAXIMUM = 100.0
DECIMALS = 1  # of a point: a smaller change is no new score
RETRIED_CLIENT_ERRORS = {401, 408, 409, 423, 425, 429}


def connect() -> None:
    """Registers the sender (the app's ``ready()``)."""
    senders.sender(CHANNEL)(send_scores)


def points(score: float) -> float:
    return round(score * SCORE_MAXIMUM, DECIMALS)


def queue_scores(attempt: Attempt) -> int:
    """Called in the attempt's transaction, after its chart update: queues each of the
    learner's changed scores on the links of the attempt's course; returns how many."""
    links = list(LinkLearner.objects.filter(
        learner_id=attempt.learner_id, target__linked_class__course_id=attempt.course_id
    ).select_related("target"))
    if not links:
        return 0
    queued = _queue_assignment_scores(attempt, links[0].lti_user_id)
    by_skill = mastery_by_skill(attempt.learner_id, attempt.course_id)
    for link in links:
        score = score_of(link.target, by_skill)
        if link.score is not None and points(link.score) == points(score):
            continue
        link.score, link.revision = score, link.revision + 1
        link.save(update_fields=["score", "revision"])
        enqueue(CHANNEL, f"{link.target_id}:{link.learner_id}:{link.revision}",
                {"link_learner": link.pk, "revision": link.revision, "score": score,
                 "at": attempt.submitted_at.isoformat()},
                destination=link.target.lineitem_url or link.target.lineitems_url)
        queued += 1
    return queued


def _queue_assignment_scores(attempt: Attempt, lti_user_id: int) -> int:
    """The learner's changed completions of LMS-graded assignments in linked classes."""
    course = attempt.course
    graded = [assignment for assignment in assignments_for(attempt.learner, course)
              if assignment.lms_grade]
    if not graded:
        return 0
    graded = list(Assignment.objects.filter(pk__in=[a.pk for a in graded],
                                            cohort__lti_class__isnull=False))
    stored = {score.assignment_id: score for score in AssignmentScore.objects.filter(
        learner_id=attempt.learner_id, assignment__in=graded)}
    queued = 0
    for assignment, progress in progress_of(attempt.learner, course, graded,
                                            attempt.submitted_at):
        score = stored.get(assignment.pk) or AssignmentScore(
            assignment=assignment, learner_id=attempt.learner_id, lti_user_id=lti_user_id,
            score=0.0)
        if score.pk is not None and points(score.score) == points(progress.share):
            continue
        score.score, score.revision = progress.share, score.revision + 1
        score.save()
        enqueue(CHANNEL, f"assignment:{assignment.pk}:{attempt.learner_id}:{score.revision}",
                {"assignment_score": score.pk, "revision": score.revision,
                 "score": progress.share, "done": progress.status == DONE,
                 "at": attempt.submitted_at.isoformat()})
        queued += 1
    return queued


def score_of(target: LinkTarget, by_skill: dict[int, float]) -> float:
    skills = [target.skill_id] if target.skill_id else list(by_skill)
    return sum(by_skill.get(skill, 0.0) for skill in skills) / max(len(skills), 1)


def start_score(target: LinkTarget, learner_id: int) -> float:
    """The score a learner starts a link with (not sent: only a change is)."""
    return score_of(target, mastery_by_skill(learner_id, target.linked_class.course_id))


def mastery_by_skill(learner_id: int, course_id: int) -> dict[int, float]:
    """P(mastered) per skill of the course: the learner's chart, the prior where it has none."""
    priors = {
        skill_id: mastery.BKTParams(**params).p_init if params else mastery.DEFAULT_PARAMS.p_init
        for skill_id, params in Skill.objects.filter(course_id=course_id)
        .values_list("id", "bkt_params")
    }
    states = dict(SkillState.objects.filter(learner_id=learner_id, course_id=course_id)
                  .values_list("skill_id", "p_mastery"))
    return {skill_id: states.get(skill_id, prior) for skill_id, prior in priors.items()}


def send_scores(messages: list[senders.Message]) -> dict[int, senders.Outcome]:
    """The outbox's sender for :data:`CHANNEL`."""
    connectors: dict[int, ServiceConnector] = {}  # per registration: one access token a batch
    return {message.id: _send_one(message.payload, connectors) for message in messages}


def _send_one(payload: dict[str, Any], connectors: dict[int, ServiceConnector]
              ) -> senders.Outcome:
    if "assignment_score" in payload:
        return _send_assignment_score(payload, connectors)
    link = (LinkLearner.objects.filter(pk=int(payload.get("link_learner") or 0))
            .select_related("lti_user", "target__resource_link",
                            "target__linked_class__context__deployment__registration").first())
    if link is None:
        return senders.rejected("The link or the learner is gone.")
    if payload.get("revision", 0) < link.revision:
        return senders.DELIVERED  # a newer score replaced this one: that one goes
    target = link.target
    if not target.can_send_scores:
        return senders.rejected("The platform offers no score service for this link.")
    service = _service(target, connectors)
    return _put(service, lambda: (_grade(link.lti_user.sub, payload),
                                  _line_item(service, target)))


def _send_assignment_score(payload: dict[str, Any], connectors: dict[int, ServiceConnector]
                           ) -> senders.Outcome:
    score = (AssignmentScore.objects.filter(pk=int(payload.get("assignment_score") or 0))
             .select_related("lti_user", "assignment").first())
    if score is None:
        return senders.rejected("The assignment or the learner is gone.")
    if payload.get("revision", 0) < score.revision:
        return senders.DELIVERED  # a newer score replaced this one: that one goes
    target = next((target for target in LinkTarget.objects.filter(
        linked_class__cohort_id=score.assignment.cohort_id).exclude(lineitems_url="")
        .select_related("linked_class__context__deployment__registration")
        .order_by("pk") if target.can_send_scores), None)
    if target is None:
        return senders.rejected("The class's LMS offers no line items service to grade in.")
    service = _service(target, connectors)
    return _put(service, lambda: (_grade(score.lti_user.sub, payload),
                                  _assignment_line_item(service, score.assignment)))


def _service(target: LinkTarget, connectors: dict[int, ServiceConnector]
             ) -> AssignmentsGradesService:
    registration = target.linked_class.context.deployment.registration
    if registration.pk not in connectors:
        ensure_current_key()
        connectors[registration.pk] = ServiceConnector(registration.to_registration(),
                                                       PlatformSession())
    return AssignmentsGradesService(connectors[registration.pk], {
        "scope": target.score_scopes, "lineitems": target.lineitems_url,
        "lineitem": target.lineitem_url,
    })


def _put(service: AssignmentsGradesService, grade_and_item: Callable[[], tuple[Grade, str]]
         ) -> senders.Outcome:
    """Puts the grade on the line item (both made by ``grade_and_item``, which may ask the
    platform for the line item): delivered, retried or rejected as the platform answers."""
    try:
        grade, item = grade_and_item()
        service.put_grade(grade, LineItem({"id": item}))
    except LtiServiceException as error:
        status = error.response.status_code
        if 400 <= status < 500 and status not in RETRIED_CLIENT_ERRORS:
            return senders.rejected(f"The platform refused the score: {error}")
        return senders.retry(str(error))
    except (LtiException, requests.RequestException) as error:
        return senders.retry(f"{type(error).__name__}: {error}")
    return senders.DELIVERED


def _line_item(service: AssignmentsGradesService, target: LinkTarget) -> str:
    if target.lineitem_url:
        return target.lineitem_url
    link = target.resource_link
    found = service.find_or_create_lineitem(
        LineItem().set_label((link.title or str(target.linked_class.course))[:255])
        .set_score_maximum(SCORE_MAXIMUM).set_resource_link_id(link.id_on_platform)
        .set_resource_id(f"learnpath-link-{target.pk}"),
        find_by="resource_link_id",
    )
    url = found.get_id()
    if not url:
        raise LtiException("The platform's line item has no id")
    LinkTarget.objects.filter(pk=target.pk).update(lineitem_url=url)
    return url


def _assignment_line_item(service: AssignmentsGradesService, assignment: Assignment) -> str:
    if assignment.lineitem_url:
        return assignment.lineitem_url
    found = service.find_or_create_lineitem(
        LineItem().set_label(assignment.title[:255]).set_score_maximum(SCORE_MAXIMUM)
        .set_resource_id(f"learnpath-assignment-{assignment.pk}").set_tag("learnpath-assignment")
        .set_end_date_time(assignment.due_at.isoformat(timespec="seconds")),
        find_by="resource_id",
    )
    url = found.get_id()
    if not url:
        raise LtiException("The platform's line item has no id")
    Assignment.objects.filter(pk=assignment.pk).update(lineitem_url=url)
    return url


def _grade(sub: str, payload: dict[str, Any]) -> Grade:
    at = parse_datetime(str(payload.get("at", "")))
    progress = "Completed" if payload.get("done") else "InProgress"
    grade = (Grade().set_score_given(points(float(payload["score"])))
             .set_score_maximum(SCORE_MAXIMUM).set_user_id(sub)
             .set_activity_progress(progress).set_grading_progress("FullyGraded"))
    if at is not None:
        grade.set_timestamp(at.isoformat(timespec="milliseconds"))
    return grade

