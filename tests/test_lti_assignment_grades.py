"""An assignment's completion as the LMS grade, against the simulated platform: its own
gradebook column (made once, labelled and due as the assignment), the completion share as the
score, "Completed" once done, through the outbox; only when the teacher asks for it."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lti_tool.models import LtiUser

from courses.actions.assignments import AssignmentSpec, create_assignment
from courses.lti import grades
from courses.lti.models import AssignmentScore
from courses.models import Cohort, Course
from courses.outbox import service as outbox
from tests.factories import answer
from tests.lti_platform.flow import (  # noqa: F401  (fixtures)
    launch,
    platform_fixture,
    registration_fixture,
)
from tests.lti_platform.platform import INSTRUCTOR, SimulatedPlatform

pytestmark = pytest.mark.django_db


def _class_with_a_learner(platform: SimulatedPlatform) -> tuple[Cohort, Any]:
    launch(Client(), platform, lambda nonce: platform.claims(
        sub="lms-teacher-1", roles=(INSTRUCTOR,), nonce=nonce))
    launch(Client(), platform)
    learner = LtiUser.objects.get(sub="lms-user-1").auth_user
    return Cohort.objects.get(learners=learner), learner


def _assign(cohort: Cohort, lms_grade: bool) -> Any:
    return create_assignment(cohort.teacher, cohort, AssignmentSpec(
        title="Quarters homework", kind="exercises", lms_grade=lms_grade,
        due_at=timezone.now() + timedelta(days=7),
        exercise_keys=("quarters-numeric", "quarters-text")))


def _assignment_scores(platform: SimulatedPlatform, item_id: str) -> list[dict[str, Any]]:
    return [score for score in platform.recorded.scores if score["lineitem"].startswith(
        item_id.removeprefix(platform.url)) and "/scores" in score["lineitem"]]


def test_completion_reaches_its_own_gradebook_column_and_is_completed_when_done(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    cohort, learner = _class_with_a_learner(platform)
    assignment = _assign(cohort, lms_grade=True)
    answer(learner, course, "quarters-numeric", True)
    outbox.deliver(grades.CHANNEL)
    [item] = [i for i in platform.recorded.lineitems
              if i.get("resourceId") == f"learnpath-assignment-{assignment.pk}"]
    assert item["label"] == "Quarters homework" and item["scoreMaximum"] == 100
    assert item["endDateTime"].startswith(assignment.due_at.strftime("%Y-%m-%dT%H:%M"))
    assignment.refresh_from_db()
    assert assignment.lineitem_url == item["id"]
    [half] = _assignment_scores(platform, item["id"])
    assert (half["userId"], half["scoreGiven"], half["activityProgress"]) == (
        "lms-user-1", 50.0, "InProgress")
    answer(learner, course, "quarters-numeric", True)  # no change of completion: nothing sent
    answer(learner, course, "quarters-text", True)
    outbox.deliver(grades.CHANNEL)
    assert [s["scoreGiven"] for s in _assignment_scores(platform, item["id"])] == [50.0, 100.0]
    assert _assignment_scores(platform, item["id"])[-1]["activityProgress"] == "Completed"
    assert len([i for i in platform.recorded.lineitems if "resourceId" in i
                and i["resourceId"].startswith("learnpath-assignment")]) == 1  # made once
    assert AssignmentScore.objects.get().revision == 2


def test_without_the_option_no_assignment_grade_is_sent(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    cohort, learner = _class_with_a_learner(platform)
    _assign(cohort, lms_grade=False)
    answer(learner, course, "quarters-numeric", True)
    outbox.deliver(grades.CHANNEL)
    assert not AssignmentScore.objects.exists()
    assert not any(str(i.get("resourceId", "")).startswith("learnpath-assignment")
                   for i in platform.recorded.lineitems)


def test_a_platform_that_is_down_gets_the_latest_completion_once_back(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    cohort, learner = _class_with_a_learner(platform)
    assignment = _assign(cohort, lms_grade=True)
    with platform.down():
        answer(learner, course, "quarters-numeric", True)
        answer(learner, course, "quarters-text", True)
        outbox.deliver(grades.CHANNEL)
    outbox.deliver(grades.CHANNEL, now=timezone.now() + timedelta(hours=2))
    assignment.refresh_from_db()
    assert [s["scoreGiven"] for s in _assignment_scores(platform, assignment.lineitem_url)] == [
        100.0]
