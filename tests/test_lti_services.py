"""LTI Advantage services against the simulated platform: deep linking (the signed response and
the link it places), Names and Role Provisioning (the roster), and Assignment and Grade Services
(mastery as a score, through the outbox, surviving a platform that is down)."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from lti_tool.models import LtiUser

from courses import jobs
from courses.lti import grades, keys
from courses.lti.models import LinkedClass, LinkLearner, LinkTarget
from courses.lti.roster import sync_roster
from courses.models import Cohort, Course
from courses.outbox import service as outbox
from courses.outbox.models import OutboxRow
from tests.factories import answer
from tests.lti_platform.flow import (  # noqa: F401  (fixtures)
    launch,
    platform_fixture,
    registration_fixture,
)
from tests.lti_platform.platform import CLIENT_ID, INSTRUCTOR, LEARNER, SimulatedPlatform

pytestmark = pytest.mark.django_db


def _tool_key(kid: str) -> Any:
    jwk = next(key for key in keys.jwks()["keys"] if key["kid"] == kid)
    return jwt.PyJWK(jwk).key


def _verified_by_the_tool(token: str, audience: str) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.decode(token, _tool_key(kid), algorithms=["RS256"], audience=audience)


def _teacher(platform: SimulatedPlatform) -> Any:
    return lambda nonce: platform.claims(sub="lms-teacher-1", roles=(INSTRUCTOR,), nonce=nonce)


# --- deep linking -----------------------------------------------------------------------

def test_a_teacher_places_a_skill_and_the_lms_gets_a_signed_link_to_it(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    client = Client()
    started = launch(client, platform, platform.deep_linking_claims)
    assert started.status_code == 302 and "/lti/deep-link/" in started["Location"]
    picker = client.get(started["Location"])
    assert picker.status_code == 200
    assert 'value="skill:mini:quarters"' in picker.content.decode()
    bad = client.post(started["Location"], {"target": "skill:mini:nope"})
    assert bad.status_code == 400 and "Pick a course or a skill" in bad.content.decode()

    sent = client.post(started["Location"], {"target": "skill:mini:quarters"})
    assert sent.status_code == 200
    page = sent.content.decode()
    assert f'action="{platform.url}/deep-link-return"' in page
    token = unescape(re.search(r'name="JWT" value="([^"]+)"', page).group(1))
    response = _verified_by_the_tool(token, audience=platform.issuer)
    assert response["iss"] == CLIENT_ID
    assert response["https://purl.imsglobal.org/spec/lti/claim/message_type"] == (
        "LtiDeepLinkingResponse")
    assert response["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    [item] = response["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"] == "http://testserver/lti/launch/"
    assert item["custom"] == {"learnpath_course": "mini", "learnpath_skill": "quarters"}
    assert item["lineItem"]["scoreMaximum"] == 100
    # One response per selection: the token is spent.
    assert client.post(started["Location"], {"target": "course:mini"}).status_code == 403

    # The placed link, launched by a learner, opens an exercise of that skill.
    opened = launch(Client(), platform, lambda nonce: platform.claims(
        nonce=nonce, custom=item["custom"], link_id="placed-link"))
    assert opened["Location"] in {"/courses/mini/exercises/quarters-numeric/",
                                  "/courses/mini/exercises/quarters-text/"}
    assert LinkTarget.objects.get(resource_link__id_on_platform="placed-link").skill.key == (
        "quarters")


def test_a_learner_cannot_place_links_nor_use_someone_elses_selection(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    def learner_deep_link(nonce: str) -> dict[str, Any]:
        body = platform.deep_linking_claims(nonce=nonce, sub="lms-user-1")
        return {**body, "https://purl.imsglobal.org/spec/lti/claim/roles": [LEARNER]}

    refused = launch(Client(), platform, learner_deep_link)
    assert refused.status_code == 403 and "Only an instructor" in refused.content.decode()
    teacher = Client()
    started = launch(teacher, platform, platform.deep_linking_claims)
    other = Client()
    launch(other, platform)  # a learner, signed in, with the teacher's picker URL
    assert other.get(started["Location"]).status_code == 403


# --- names and roles --------------------------------------------------------------------

def _member(sub: str, role: str = LEARNER, status: str = "Active", **extra: Any) -> dict[str, Any]:
    return {"user_id": sub, "roles": [role], "status": status, "name": sub.title(), **extra}


def test_the_roster_sync_adds_new_learners_and_reports_those_gone(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    launch(Client(), platform)  # lms-user-1, then the teacher
    launch(Client(), platform, _teacher(platform))
    link = LinkedClass.objects.get()
    platform.members = [
        _member("lms-teacher-1", INSTRUCTOR),
        _member("lms-user-2", given_name="Noor", family_name="New", email="noor@school.invalid"),
        {"user_id": "lms-user-3", "roles": ["Learner"]},  # status and name are optional
        _member("lms-user-4", status="Inactive"),
    ]
    report = sync_roster(link)
    assert platform.recorded.roster_fetches == 1
    assert sorted(report.added) == ["Noor New", _username("lms-user-3", platform)]
    assert report.gone == ["Lena Lerner"]  # lms-user-1 left the LMS course: kept, reported
    cohort = Cohort.objects.get(pk=link.cohort_id)
    subs = set(LtiUser.objects.filter(auth_user__in=cohort.learners.all())
               .values_list("sub", flat=True))
    assert subs == {"lms-user-1", "lms-user-2", "lms-user-3"}
    noor = LtiUser.objects.get(sub="lms-user-2").auth_user
    assert (noor.email, noor.has_usable_password()) == ("noor@school.invalid", False)
    link.refresh_from_db()
    assert link.roster_report["gone"] == ["Lena Lerner"] and link.roster_synced_at
    # Synced again, nobody is new.
    assert sync_roster(link).added == []


def _username(sub: str, platform: SimulatedPlatform) -> str:
    return LtiUser.objects.get(registration__issuer=platform.issuer, sub=sub).auth_user.username


def test_the_roster_page_is_the_teachers_and_queues_the_sync(
    platform: SimulatedPlatform, registration: Any, course: Course,
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any,
) -> None:
    teacher = Client()
    launch(teacher, platform, _teacher(platform))
    cohort = Cohort.objects.get()
    url = f"/lti/classes/{cohort.pk}/roster/"
    assert "LMS roster" in teacher.get(f"/teach/classes/{cohort.pk}/").content.decode()
    assert teacher.get(url).status_code == 200
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(jobs, "send_now", lambda name, *args, **kw: sent.append((name, *args)))
    with django_capture_on_commit_callbacks(execute=True):
        assert teacher.post(url).status_code == 302
    assert sent == [(jobs.LTI_SYNC_ROSTER, LinkedClass.objects.get().pk)]
    learner = Client()
    launch(learner, platform)
    assert learner.get(url).status_code == 403


def test_a_roster_the_lms_does_not_answer_is_reported_not_raised(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    launch(Client(), platform, _teacher(platform))
    link = LinkedClass.objects.get()
    link.context.memberships_url = f"{platform.url}/no-such-roster"
    link.context.save()
    report = sync_roster(link)
    assert "could not be read" in report.error and report.added == []


# --- assignment and grade services --------------------------------------------------------

def _learner_with_a_link(platform: SimulatedPlatform) -> Any:
    launch(Client(), platform)
    return LtiUser.objects.get(sub="lms-user-1").auth_user


def test_a_grade_reaches_the_gradebook_after_an_attempt(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    learner = _learner_with_a_link(platform)
    answer(learner, course, "halves-choice", True)
    row = OutboxRow.objects.get(channel=grades.CHANNEL)
    assert outbox.deliver(grades.CHANNEL) == 1
    link = LinkLearner.objects.get(learner=learner)
    [score] = platform.recorded.scores
    assert score["userId"] == "lms-user-1"
    assert score["scoreGiven"] == grades.points(link.score) and score["scoreMaximum"] == 100
    assert score["gradingProgress"] == "FullyGraded"
    assert platform.recorded.score_auth == ["Bearer token-1"]
    # The tool asked for its token with a client assertion signed by its current key.
    [token_request] = platform.recorded.token_requests
    assertion = _verified_by_the_tool(token_request["client_assertion"],
                                      audience=f"{platform.url}/token")
    assert assertion["iss"] == assertion["sub"] == CLIENT_ID
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in token_request["scope"]
    # The line item was made for the link, and is kept: the next score reuses it.
    [item] = platform.recorded.lineitems
    assert item["resourceLinkId"] == "link-1" and item["scoreMaximum"] == 100
    assert LinkTarget.objects.get().lineitem_url == item["id"]
    row.refresh_from_db()
    assert row.status == OutboxRow.Status.SENT
    answer(learner, course, "quarters-text", True)
    outbox.deliver(grades.CHANNEL)
    assert len(platform.recorded.scores) == 2 and len(platform.recorded.lineitems) == 1
    assert platform.recorded.scores[1]["scoreGiven"] > platform.recorded.scores[0]["scoreGiven"]


def test_the_score_is_the_mean_mastery_of_the_links_skills(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    learner = _learner_with_a_link(platform)
    launch(Client(), platform, lambda nonce: platform.claims(
        nonce=nonce, link_id="skill-link",
        custom={"learnpath_course": "mini", "learnpath_skill": "adding"}))
    answer(learner, course, "halves-choice", True)
    by_skill = grades.mastery_by_skill(learner.pk, course.pk)
    course_link = LinkLearner.objects.get(target__skill__isnull=True)
    assert course_link.score == pytest.approx(sum(by_skill.values()) / 3)
    # The attempt left "adding" as it was: its link's score was not queued.
    assert not LinkLearner.objects.get(target__skill__key="adding").revision
    assert OutboxRow.objects.filter(channel=grades.CHANNEL).count() == 1


def test_a_platform_that_is_down_loses_no_score_and_gets_the_latest_once(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    learner = _learner_with_a_link(platform)
    with platform.down():
        answer(learner, course, "halves-choice", True)
        assert outbox.deliver(grades.CHANNEL) == 0
        answer(learner, course, "quarters-text", True)
        answer(learner, course, "quarters-numeric", True)
        later = timezone.now() + timedelta(hours=2)
        outbox.deliver(grades.CHANNEL, now=later)
        assert platform.recorded.scores == []
        # The two scores the third replaced are settled unsent; the third waits.
        [waiting] = OutboxRow.objects.filter(status=OutboxRow.Status.PENDING)
        assert waiting.payload["revision"] == LinkLearner.objects.get().revision == 3
        assert "503" in waiting.last_error
    outbox.deliver(grades.CHANNEL, now=later + timedelta(hours=2))
    [score] = platform.recorded.scores  # once, and the latest
    assert score["scoreGiven"] == grades.points(LinkLearner.objects.get().score)
    assert not OutboxRow.objects.filter(status=OutboxRow.Status.PENDING).exists()
    assert outbox.deliver(grades.CHANNEL, now=later + timedelta(hours=4)) == 0
    assert len(platform.recorded.scores) == 1


def test_a_score_the_platform_refuses_is_kept_as_failed(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    learner = _learner_with_a_link(platform)
    platform.scores_status = 400
    answer(learner, course, "halves-choice", True)
    outbox.deliver(grades.CHANNEL)
    row = OutboxRow.objects.get(channel=grades.CHANNEL)
    assert row.status == OutboxRow.Status.FAILED and "refused" in row.last_error


def test_a_learner_without_lms_links_costs_the_attempt_no_outbox_row(
    course: Course, alice: Any
) -> None:
    from courses.actions.enrolment import enrol

    enrol(alice, course)
    answer(alice, course, "halves-choice", True)
    assert not OutboxRow.objects.filter(channel=grades.CHANNEL).exists()
    assert get_user_model().objects.filter(lti_links__isnull=False).count() == 0
