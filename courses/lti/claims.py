"""The shape of a verified launch's claims, checked before anything is stored: a signature says
who sent a token, not that its claims are well formed, and django-lti reads them as it finds
them (a context that is not an object, or a title longer than its column, would be a 500)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

# claim -> the longest value its column takes (django-lti's and learnpath's models)
TEXTS = {"sub": 255, "name": 500, "given_name": 500, "family_name": 500, "email": 254,
         "picture": 200}
OBJECTS: dict[str, dict[str, int]] = {
    LTI + "context": {"id": 255, "label": 255, "title": 500},
    LTI + "resource_link": {"id": 255, "title": 500, "description": 10_000},
    LTI + "tool_platform": {"guid": 255, "name": 500, "url": 200, "contact_email": 254,
                            "product_family_code": 500, "version": 500, "description": 10_000},
    LTI + "launch_presentation": {"return_url": 2000, "document_target": 50},
    AGS: {"lineitems": 1000, "lineitem": 1000},
    NRPS: {"context_memberships_url": 200},
    LTI + "platformnotificationservice": {"platform_notification_service_url": 200},
    DEEP_LINKING: {"deep_link_return_url": 2000},
}


class MalformedClaims(Exception):
    pass


def check_launch_claims(data: Mapping[str, Any]) -> None:
    """Raises :class:`MalformedClaims` naming the first claim that is not as the spec has it."""
    for name, longest in TEXTS.items():
        _text(data.get(name), name, longest)
    for name, fields in OBJECTS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise MalformedClaims(f"The claim {name} is not an object.")
        for field, longest in fields.items():
            _text(value.get(field), f"{name} {field}", longest)
    _strings(data.get(LTI + "roles"), "roles")
    _strings((data.get(AGS) or {}).get("scope"), "the score service's scope")
    custom = data.get(LTI + "custom")
    if custom is not None and not isinstance(custom, dict):
        raise MalformedClaims("The custom parameters are not an object.")


def _text(value: object, name: str, longest: int) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise MalformedClaims(f"The claim {name} is not a string.")
    if len(value) > longest:
        raise MalformedClaims(f"The claim {name} is longer than {longest} characters.")


def _strings(value: object, name: str) -> None:
    if value is not None and not (isinstance(value, list)
                                  and all(isinstance(item, str) for item in value)):
        raise MalformedClaims(f"The claim {name} is not a list of strings.")
