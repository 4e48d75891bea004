"""LTI 1.3 launches from a simulated platform (tests/lti_platform): good launches map the LMS
user to an account, a class and a landing page; every bad one gets a 4xx page and changes no
account."""
from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from lti_tool.models import LtiDeployment, LtiUser

from courses import access
from courses.lti.models import LinkedClass, LinkLearner
from courses.models import Cohort, Course, Enrollment
from tests.lti_platform.flow import (  # noqa: F401  (fixtures)
    launch,
    platform_fixture,
    registration_fixture,
    start_login,
)
from tests.lti_platform.platform import INSTRUCTOR, LTI, PlatformKey, SimulatedPlatform

pytestmark = pytest.mark.django_db
User = get_user_model()


def _lms_user(platform: SimulatedPlatform, sub: str) -> Any:
    return LtiUser.objects.get(registration__issuer=platform.issuer, sub=sub).auth_user


def _teacher_claims(platform: SimulatedPlatform, **extra: Any) -> Any:
    return lambda nonce: platform.claims(sub="lms-teacher-1", roles=(INSTRUCTOR,), nonce=nonce,
                                         given_name="Tara", family_name="Teach", **extra)


def test_a_learner_lands_signed_in_on_the_course_in_an_account_without_a_password(
    client: Client, platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    response = launch(client, platform)
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{course.slug}/practice/"
    learner = _lms_user(platform, "lms-user-1")
    assert not learner.has_usable_password()
    assert (learner.first_name, learner.last_name, learner.email) == (
        "Lena", "Lerner", "lms-user-1@school.invalid")
    assert learner.username.startswith("lena-lerner-")  # the class page lists usernames
    assert not learner.is_staff and not access.is_teacher(learner)
    assert Enrollment.objects.filter(learner=learner, course=course).exists()
    assert LinkLearner.objects.filter(learner=learner,
                                      target__resource_link__id_on_platform="link-1").exists()
    practice = client.get(response["Location"])  # signed in: the practice page sends on
    assert practice.status_code == 302 and "/exercises/" in practice["Location"]
    assert client.get(practice["Location"]).status_code == 200


def test_an_instructor_teaches_the_class_made_for_the_lms_course_with_its_learners(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    assert launch(Client(), platform).status_code == 302  # a learner comes first
    response = launch(Client(), platform, _teacher_claims(platform))
    teacher = _lms_user(platform, "lms-teacher-1")
    cohort = Cohort.objects.get(teacher=teacher)
    assert response["Location"] == f"/teach/classes/{cohort.pk}/"
    assert (cohort.name, cohort.course) == ("Maths 7B", course)
    assert list(cohort.learners.all()) == [_lms_user(platform, "lms-user-1")]
    assert LinkedClass.objects.get(cohort=cohort).context.id_on_platform == "course-101"
    assert access.is_teacher(teacher) and not teacher.is_staff
    # A learner arriving after the teacher joins the class at once.
    launch(Client(), platform, lambda nonce: platform.claims(sub="lms-user-2", nonce=nonce))
    assert cohort.learners.count() == 2


def test_a_second_instructor_is_told_who_teaches_the_class(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    launch(Client(), platform, _teacher_claims(platform))
    client = Client()
    response = launch(client, platform, lambda nonce: platform.claims(
        sub="lms-teacher-2", roles=(INSTRUCTOR,), nonce=nonce))
    assert response["Location"] == f"/courses/{course.slug}/"
    page = client.get(response["Location"])
    assert "taught in learnpath by" in page.content.decode()
    assert Cohort.objects.count() == 1


def test_a_returning_user_lands_in_the_same_account(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    launch(Client(), platform)
    first = _lms_user(platform, "lms-user-1")
    users = User.objects.count()
    response = launch(Client(), platform, lambda nonce: platform.claims(
        nonce=nonce, given_name="Lena-Marie"))
    assert response.status_code == 302
    assert User.objects.count() == users
    assert _lms_user(platform, "lms-user-1") == first
    first.refresh_from_db()
    assert first.first_name == "Lena-Marie"


def _refused(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert words in response.content.decode()
    assert "X-Frame-Options" not in response  # the LMS's frame shows the message


def test_a_token_signed_by_another_key_is_refused(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    impostor = PlatformKey()
    response = launch(Client(), platform, sign=lambda body: platform.sign(
        body, key=impostor, kid=platform.key.kid))
    _refused(response, 403, "could not be verified")
    assert not LtiUser.objects.exists() and User.objects.count() == 0


def test_a_learner_who_edits_their_roles_into_an_instructors_is_refused(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    client = Client()
    assert launch(client, platform).status_code == 302
    learner = _lms_user(platform, "lms-user-1")

    def edited(body: dict[str, Any]) -> str:
        header, _, signature = platform.sign(body).split(".")
        import base64
        import json

        body[LTI + "roles"] = [INSTRUCTOR]
        forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    _refused(launch(client, platform, sign=edited), 403, "Signature verification failed")
    assert not access.is_teacher(learner) and not Cohort.objects.exists()


@pytest.mark.parametrize(("change", "words"), [
    ({"aud": "someone-else"}, "Registration not found"),
    ({"exp": int(time.time()) - 60, "iat": int(time.time()) - 400}, "expired"),
    ({"exp": None}, "exp"),
    ({LTI + "deployment_id": None}, "deployment_id"),
])
def test_a_token_with_a_bad_claim_is_refused(
    platform: SimulatedPlatform, registration: Any, course: Course, change: dict[str, Any],
    words: str,
) -> None:
    def claims(nonce: str) -> dict[str, Any]:
        body = {**platform.claims(nonce=nonce), **change}
        return {name: value for name, value in body.items() if value is not None}

    _refused(launch(Client(), platform, claims), 403, words)
    assert not LtiUser.objects.exists()


def test_a_replayed_launch_is_refused(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    client = Client()
    state, nonce = start_login(client, platform)
    form = {"id_token": platform.sign(platform.claims(nonce=nonce)), "state": state}
    assert client.post("/lti/launch/", form).status_code == 302
    _refused(client.post("/lti/launch/", form), 403, "Invalid Nonce")
    # Nor does a fresh token with a nonce already used pass.
    again = {**form, "id_token": platform.sign(platform.claims(nonce=nonce, sub="x"))}
    _refused(client.post("/lti/launch/", again), 403, "Invalid Nonce")
    assert LtiUser.objects.count() == 1


def test_an_unknown_deployment_is_refused_and_waits_for_an_administrator(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    response = launch(Client(), platform, lambda nonce: platform.claims(
        nonce=nonce, **{LTI + "deployment_id": "deployment-9"}))
    _refused(response, 403, "deployment-9")
    assert not LtiDeployment.objects.get(deployment_id="deployment-9").is_active
    assert not LtiUser.objects.exists()


def test_a_link_without_a_course_or_to_no_course_gets_a_4xx_page(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    _refused(launch(Client(), platform, lambda nonce: platform.claims(nonce=nonce, custom={})),
             400, "does not say which learnpath course")
    _refused(launch(Client(), platform, lambda nonce: platform.claims(
        nonce=nonce, custom={"learnpath_course": "nope"})), 404, "no learnpath course")
    _refused(launch(Client(), platform, lambda nonce: platform.claims(
        nonce=nonce, custom={"learnpath_course": "mini", "learnpath_skill": "nope"})),
        404, "no skill")


def test_a_role_that_neither_teaches_nor_learns_is_refused(
    platform: SimulatedPlatform, registration: Any, course: Course
) -> None:
    observer = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
    institution_teacher = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"
    response = launch(Client(), platform, lambda nonce: platform.claims(
        nonce=nonce, roles=(observer, institution_teacher)))
    _refused(response, 403, "gives no access")


def test_malformed_requests_get_4xx_pages(
    platform: SimulatedPlatform, registration: Any
) -> None:
    client = Client()
    _refused(client.post("/lti/launch/", {}), 403, "Missing state")
    state, _ = start_login(client, platform)
    _refused(client.post("/lti/launch/", {"state": state, "id_token": "not.a.jwt"}), 403,
             "be decoded")
    assert client.get("/lti/launch/").status_code == 405
    _refused(client.get("/lti/login/", {"iss": platform.issuer, "login_hint": "x"}), 400,
             "target_link_uri")
    _refused(client.get("/lti/login/", {"iss": "https://unknown.invalid", "login_hint": "x",
                                        "target_link_uri": "x"}), 400, "not registered")


@pytest.mark.parametrize("change", [
    {LTI + "context": "course-101"},
    {LTI + "resource_link": "link-1"},
    {LTI + "roles": "Learner"},
    {LTI + "custom": ["learnpath_course", "mini"]},
    {LTI + "custom": {"learnpath_course": {"slug": "mini"}}},
    {"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {"scope": "all"}},
    {"email": 42},
    {"given_name": "L" * 600},
    {LTI + "context": {"id": "c" * 300}},
    {"aud": {"client": "learnpath"}},
])
def test_a_signed_launch_with_malformed_claims_gets_a_4xx_page_and_stores_nobody(
    platform: SimulatedPlatform, registration: Any, course: Course, change: dict[str, Any]
) -> None:
    response = launch(Client(), platform, lambda nonce: {**platform.claims(nonce=nonce),
                                                         **change})
    assert 400 <= response.status_code < 500, response.content[:300]
    assert not LtiUser.objects.exists() and User.objects.count() == 0
