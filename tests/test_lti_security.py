"""The tool's keys (JWKS, rotation with old keys published until their time), the platform's
key set (cached, fetched again after the platform rotates), and the LMS's iframe: framing for
the registered platform only, cross-site cookies only for LTI sessions over HTTPS, CSRF kept."""
from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from lti_tool.models import Key, LtiRegistration

from courses.lti import keys
from courses.lti.models import FrameOrigins
from courses.models import Course, Exercise
from tests.lti_platform.flow import (  # noqa: F401  (fixtures)
    launch,
    platform_fixture,
    registration_fixture,
)
from tests.lti_platform.platform import CLIENT_ID, DEPLOYMENT_ID, SimulatedPlatform

pytestmark = pytest.mark.django_db


def _kids() -> list[str]:
    return [key["kid"] for key in Client().get("/lti/jwks.json").json()["keys"]]


def test_the_jwks_publishes_the_current_key(db: Any) -> None:
    response = Client().get("/lti/jwks.json")
    assert response.status_code == 200 and "max-age=300" in response["Cache-Control"]
    [key] = response.json()["keys"]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
    assert "d" not in key  # public only
    assert key["kid"] == str(keys.ensure_current_key())


def test_a_rotation_signs_with_the_new_key_and_keeps_the_old_one_published_until_its_time(
    registration: LtiRegistration, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = str(keys.ensure_current_key())
    out = io.StringIO()
    call_command("rotate_lti_keys", "--keep-old-hours", "1", stdout=out)
    new = str(keys.ensure_current_key())
    assert new != old and f"Current key: {new}" in out.getvalue() and old in out.getvalue()
    assert _kids() == [new, old]
    assert registration.to_registration().get_kid() == new  # what signs from now on
    later = timezone.now() + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(keys.timezone, "now", lambda: later)
    assert _kids() == [new]  # its time came: out of the JWKS, whether or not the command ran
    rotation = keys.rotate_keys(timedelta(hours=1))
    assert rotation.dropped == 1 and not Key.objects.get(pk=_key_pk(old)).is_active
    assert [kid for kid, _ in rotation.retiring] == [new]


def _key_pk(kid: str) -> int:
    return next(key.pk for key in Key.objects.all() if str(key) == kid)


def test_the_platforms_key_set_is_cached_and_fetched_again_when_it_rotates(
    platform: SimulatedPlatform, registration: LtiRegistration, course: Course
) -> None:
    assert launch(Client(), platform).status_code == 302
    assert launch(Client(), platform).status_code == 302
    assert platform.recorded.keyset_fetches == 1
    platform.rotate_key()
    assert launch(Client(), platform).status_code == 302
    assert platform.recorded.keyset_fetches == 2


def _frame_ancestors(response: Any) -> str:
    policy = response.get("Content-Security-Policy", "")
    return next((part.strip() for part in policy.split(";") if "frame-ancestors" in part), "")


def test_the_lms_may_frame_its_launch_and_the_pages_after_it_but_nothing_else(
    platform: SimulatedPlatform, registration: LtiRegistration, course: Course, alice: Any
) -> None:
    FrameOrigins.objects.create(registration=registration,
                                origins="https://school.example.org\nnot an origin")
    client = Client()
    response = launch(client, platform)
    ancestors = _frame_ancestors(response)
    assert ancestors == f"frame-ancestors 'self' {platform.url} https://school.example.org"
    assert "X-Frame-Options" not in response
    page = client.get(f"/courses/{course.slug}/")
    assert _frame_ancestors(page) == ancestors and "X-Frame-Options" not in page
    assert client.get("/admin/login/")["X-Frame-Options"] == "DENY"
    # A session that did not come from the LMS keeps DENY everywhere.
    own = Client()
    own.force_login(alice)
    page = own.get(f"/courses/{course.slug}/")
    assert page["X-Frame-Options"] == "DENY" and not _frame_ancestors(page)
    # The login's cookie check (shown in the frame) is framed for the platform only.
    check = Client().get("/lti/login/", {"iss": platform.issuer, "login_hint": "x",
                                         "client_id": CLIENT_ID, "target_link_uri": "x"})
    assert check.status_code == 200 and "lti1p3_new_window" in check.content.decode()
    assert _frame_ancestors(check) == ancestors


def test_over_https_only_an_lti_sessions_cookies_are_cross_site(
    platform: SimulatedPlatform, registration: LtiRegistration, course: Course, alice: Any
) -> None:
    client = Client()
    login = client.post("/lti/login/", {
        "iss": platform.issuer, "login_hint": "x", "client_id": CLIENT_ID,
        "target_link_uri": "x", "lti_deployment_id": DEPLOYMENT_ID, "lti1p3_new_window": "1",
    }, secure=True)
    state_cookie = next(c for name, c in login.cookies.items() if name.startswith("lti1p3-state"))
    assert state_cookie["samesite"] == "None" and state_cookie["secure"]
    response = launch(client, platform, secure=True)
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert (session["samesite"], session["secure"]) == ("None", True)
    csrf = response.cookies["csrftoken"]  # rotated at sign-in; the iframe's forms need it
    assert (csrf["samesite"], csrf["secure"]) == ("None", True)
    practice = client.get(response["Location"], secure=True)
    assert "/exercises/" in practice["Location"]  # signed in, not sent to the sign-in page
    # An ordinary sign-in keeps Django's Lax.
    own = Client()
    signed_in = own.post("/accounts/login/", {"username": "alice",
                                              "password": "correct horse battery"}, secure=True)
    assert signed_in.status_code == 302 and signed_in.cookies["sessionid"]["samesite"] == "Lax"


def test_csrf_protection_stays_on_everywhere_but_the_launch_endpoints(
    platform: SimulatedPlatform, registration: LtiRegistration, course: Course
) -> None:
    client = Client(enforce_csrf_checks=True)
    assert launch(client, platform).status_code == 302  # the platform posts: exempt
    exercise = Exercise.objects.get(course=course, key="quarters-text")
    url = f"/courses/{course.slug}/exercises/{exercise.key}/"
    assert client.post(url, {"answer": "one quarter"}).status_code == 403
    roster = client.post("/lti/deep-link/anything/", {"target": "course:mini"})
    assert roster.status_code == 403 and "CSRF" in roster.content.decode()
