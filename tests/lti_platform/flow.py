"""Fixtures (import ``platform_fixture`` and ``registration_fixture``: pytest knows them as
``platform`` and ``registration``) and launches through the Django test client, as a browser
makes them: the OIDC login at the tool (which answers with a redirect to the platform carrying
a state and a nonce, and sets the state cookie), then the platform's signed id_token posted to
the launch URL."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from lti_tool.models import LtiDeployment, LtiRegistration

from tests.lti_platform.platform import CLIENT_ID, DEPLOYMENT_ID, SimulatedPlatform


@pytest.fixture(name="platform")
def platform_fixture() -> Iterator[SimulatedPlatform]:
    with SimulatedPlatform() as simulated:
        yield simulated


@pytest.fixture(name="registration")
def registration_fixture(db: Any, platform: SimulatedPlatform) -> LtiRegistration:
    return register(platform)


def register(platform: SimulatedPlatform) -> LtiRegistration:
    registration = LtiRegistration.objects.create(
        name="Simulated LMS", issuer=platform.issuer, client_id=CLIENT_ID,
        auth_url=f"{platform.url}/auth", token_url=f"{platform.url}/token",
        keyset_url=f"{platform.url}/jwks",
    )
    LtiDeployment.objects.create(registration=registration, deployment_id=DEPLOYMENT_ID,
                                 is_active=True)
    return registration


def start_login(client: Client, platform: SimulatedPlatform, *, secure: bool = False
                ) -> tuple[str, str]:
    """The OIDC login (past the cookie check, as its new-window step): the state and nonce."""
    response = client.post("/lti/login/", {
        "iss": platform.issuer, "login_hint": "hint", "client_id": CLIENT_ID,
        "target_link_uri": "http://testserver/lti/launch/", "lti_deployment_id": DEPLOYMENT_ID,
        "lti1p3_new_window": "1",
    }, secure=secure)
    assert response.status_code == 302, response.content
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["redirect_uri"] == [("https" if secure else "http") + "://testserver/lti/launch/"]
    return query["state"][0], query["nonce"][0]


def launch(client: Client, platform: SimulatedPlatform,
           claims: Callable[[str], dict[str, Any]] | None = None, *,
           sign: Callable[[dict[str, Any]], str] | None = None, secure: bool = False) -> Any:
    """A whole launch; ``claims(nonce)`` gives the id_token's body (a learner's by default),
    ``sign`` how it is signed (the platform's key by default)."""
    state, nonce = start_login(client, platform, secure=secure)
    body = claims(nonce) if claims else platform.claims(nonce=nonce)
    token = (sign or platform.sign)(body)
    return client.post("/lti/launch/", {"id_token": token, "state": state}, secure=secure)
