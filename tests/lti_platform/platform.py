"""A simulated LTI 1.3 platform, served from a local HTTP server thread: its own RSA key and
JWKS, signed id_tokens, an OIDC authorisation endpoint (for the browser), an OAuth2 token
endpoint, AGS line items and scores, and an NRPS roster. Everything the tool sends is recorded
for the tests to check, and the score endpoint can be taken down and brought back."""
from __future__ import annotations

import functools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from jwcrypto.jwk import JWK

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
SCORE_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
CLIENT_ID = "learnpath-client"
DEPLOYMENT_ID = "deployment-1"


class PlatformKey:
    def __init__(self) -> None:
        self.jwk = JWK.generate(kty="RSA", size=2048, kid=uuid.uuid4().hex)
        self.kid = self.jwk.get("kid")
        self.private_pem = self.jwk.export_to_pem(private_key=True, password=None)

    def public(self) -> dict[str, Any]:
        return {**json.loads(self.jwk.export_public()), "alg": "RS256", "use": "sig"}


@functools.cache
def _first_key() -> PlatformKey:
    """Every simulated platform starts with the same key (an RSA key takes a while to make);
    :meth:`SimulatedPlatform.rotate_key` makes a new one."""
    return PlatformKey()


@dataclass
class Recorded:
    token_requests: list[dict[str, str]] = field(default_factory=list)
    lineitems: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    score_auth: list[str] = field(default_factory=list)
    keyset_fetches: int = 0
    roster_fetches: int = 0


class SimulatedPlatform:
    """``with SimulatedPlatform() as platform:`` serves it on 127.0.0.1 (a free port)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.key = _first_key()
        self.published = [self.key]
        self.recorded = Recorded()
        self.scores_status = 200  # what the score endpoint answers (503: the platform is down)
        self.members: list[dict[str, Any]] = []
        self.context_id = "course-101"
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self.issuer = self.url
        self.launch_claims: dict[str, dict[str, Any]] = {}  # login_hint -> claims (browser)
        self.tool_url = ""  # where the LMS page's iframe starts a launch (browser)

    def __enter__(self) -> SimulatedPlatform:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what the platform signs -------------------------------------------------------
    def claims(self, sub: str = "lms-user-1", roles: tuple[str, ...] = (LEARNER,),
               custom: dict[str, str] | None = None, link_id: str = "link-1",
               ags: bool = True, nonce: str = "", **extra: Any) -> dict[str, Any]:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer, "aud": CLIENT_ID, "sub": sub, "nonce": nonce,
            "iat": now, "exp": now + 300,
            "given_name": "Lena", "family_name": "Lerner", "email": f"{sub}@school.invalid",
            LTI + "deployment_id": DEPLOYMENT_ID,
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "target_link_uri": "http://testserver/lti/launch/",
            LTI + "roles": list(roles),
            LTI + "context": {"id": self.context_id, "title": "Maths 7B", "label": "M7B",
                              "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "resource_link": {"id": link_id, "title": "Fractions practice"},
            LTI + "custom": custom if custom is not None else {"learnpath_course": "mini"},
            LTI + "launch_presentation": {"document_target": "iframe",
                                          "return_url": f"{self.url}/course/return"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/memberships",
                "service_versions": ["2.0"]},
        }
        if ags:
            body["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
                "scope": SCORE_SCOPES, "lineitems": f"{self.url}/lineitems"}
        body.update(extra)
        return body

    def deep_linking_claims(self, nonce: str = "", sub: str = "lms-teacher-1") -> dict[str, Any]:
        body = self.claims(sub=sub, roles=(INSTRUCTOR,), nonce=nonce)
        for name in ("resource_link", "custom"):
            body.pop(LTI + name)
        body[LTI + "message_type"] = "LtiDeepLinkingRequest"
        body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
            "deep_link_return_url": f"{self.url}/deep-link-return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "data": "opaque-platform-data",
        }
        return body

    def sign(self, body: dict[str, Any], key: PlatformKey | None = None,
             kid: str | None = None) -> str:
        key = key or self.key
        return jwt.encode(body, key.private_pem, algorithm="RS256",
                          headers={"kid": kid or key.kid})

    def rotate_key(self) -> PlatformKey:
        self.key = PlatformKey()
        self.published = [self.key]
        return self.key

    @contextmanager
    def down(self) -> Iterator[None]:
        self.scores_status = 503
        try:
            yield
        finally:
            self.scores_status = 200


def _handler_for(platform: SimulatedPlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/jwks":
                platform.recorded.keyset_fetches += 1
                self._send(200, {"keys": [key.public() for key in platform.published]})
            elif path == "/lineitems":
                self._send(200, platform.recorded.lineitems,
                           "application/vnd.ims.lis.v2.lineitemcontainer+json")
            elif path == "/memberships":
                platform.recorded.roster_fetches += 1
                self._send(200, {"id": f"{platform.url}/memberships",
                                 "context": {"id": platform.context_id},
                                 "members": platform.members},
                           "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
            elif path == "/course":
                self._send(200, _course_page(platform, parse_qs(urlsplit(self.path).query)),
                           "text/html")
            elif path == "/auth":
                self._send(200, _auto_post(platform, parse_qs(urlsplit(self.path).query)),
                           "text/html")
            else:
                self._send(404, {"error": "no such endpoint"})

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            body = self._body()
            if path == "/token":
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                platform.recorded.token_requests.append(form)
                count = len(platform.recorded.token_requests)
                self._send(200, {"access_token": f"token-{count}", "token_type": "bearer",
                                 "expires_in": 3600, "scope": form.get("scope", "")})
            elif path == "/lineitems":
                item = json.loads(body)
                item["id"] = f"{platform.url}/lineitems/{len(platform.recorded.lineitems) + 1}"
                platform.recorded.lineitems.append(item)
                self._send(201, item, "application/vnd.ims.lis.v2.lineitem+json")
            elif path.startswith("/lineitems/") and path.endswith("/scores"):
                if platform.scores_status != 200:
                    self._send(platform.scores_status, {"error": "unavailable"})
                    return
                platform.recorded.scores.append({**json.loads(body), "lineitem": path})
                platform.recorded.score_auth.append(self.headers.get("Authorization", ""))
                self._send(200, {})
            else:
                self._send(404, {"error": "no such endpoint"})

    return Handler


def _auto_post(platform: SimulatedPlatform, query: dict[str, list[str]]) -> str:
    """The OIDC authorisation response a browser gets: a form that posts the signed id_token
    and the state back to the tool's redirect URI."""
    hint = query.get("login_hint", [""])[0]
    body = {**platform.launch_claims[hint], "nonce": query.get("nonce", [""])[0]}
    token = platform.sign(body)
    return (
        f'<!doctype html><form id="f" method="post" action="{escape(query["redirect_uri"][0])}">'
        f'<input type="hidden" name="id_token" value="{escape(token)}">'
        f'<input type="hidden" name="state" value="{escape(query["state"][0])}"></form>'
        '<script>document.getElementById("f").submit()</script>'
    )


def _course_page(platform: SimulatedPlatform, query: dict[str, list[str]]) -> str:
    """The LMS's course page with the tool in an iframe: like Moodle, it starts the launch by
    posting the login initiation into the frame."""
    fields = {"iss": platform.issuer, "login_hint": query.get("as", [""])[0],
              "target_link_uri": f"{platform.tool_url}/lti/launch/", "client_id": CLIENT_ID,
              "lti_deployment_id": DEPLOYMENT_ID}
    inputs = "".join(f'<input type="hidden" name="{name}" value="{escape(value)}">'
                     for name, value in fields.items())
    return (
        "<!doctype html><title>Maths 7B · LMS</title><h1>Maths 7B</h1>"
        f'<form id="start" method="post" target="tool" '
        f'action="{escape(platform.tool_url)}/lti/login/">{inputs}</form>'
        '<iframe name="tool" id="tool" title="learnpath" style="width:100%;height:600px">'
        "</iframe><script>document.getElementById('start').submit()</script>"
    )
