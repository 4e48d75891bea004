"""Deep linking: a teacher in the LMS places a learnpath course, or one of its skills, as a
link. The request's settings wait in the teacher's session (under a one-time token) while they
choose; the answer is a JWT signed with the tool's current key, posted back to the LMS.

Each link carries its target as custom parameters (:mod:`courses.lti.launches` reads them) and
a line item, so the LMS makes the gradebook column its scores go to.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext
from lti_tool.models import LtiLaunch, LtiRegistration
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from courses.lti.keys import ensure_current_key
from courses.lti.launches import COURSE_PARAMETER, SKILL_PARAMETER
from courses.models import Course, Skill

SESSION_KEY = "lti_deep_links"
SETTINGS_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
SCORE_MAXIMUM = 100
KEPT_REQUESTS = 5  # selections open at once in one session (several LMS tabs)


class BadChoice(Exception):
    pass


@dataclass(frozen=True)
class Choice:
    value: str  # "course:<slug>" or "skill:<slug>:<key>"
    label: str
    is_skill: bool


@dataclass(frozen=True)
class SignedResponse:
    return_url: str
    jwt: str


def remember(session: SessionBase, token: str, lti_launch: LtiLaunch) -> None:
    waiting = dict(list(session.get(SESSION_KEY, {}).items())[-(KEPT_REQUESTS - 1):])
    waiting[token] = {
        "registration": lti_launch.registration.pk,
        "deployment_id": lti_launch.get_claim(DEPLOYMENT_CLAIM),
        "settings": lti_launch.get_claim(SETTINGS_CLAIM),
        "user": session.get("_auth_user_id"),
    }
    session[SESSION_KEY] = waiting


def recalled(session: SessionBase, token: str, user: User) -> dict[str, Any] | None:
    found = session.get(SESSION_KEY, {}).get(token)
    if not isinstance(found, dict) or str(found.get("user")) != str(user.pk):
        return None
    return found


def forget(session: SessionBase, token: str) -> None:
    waiting = dict(session.get(SESSION_KEY, {}))
    waiting.pop(token, None)
    session[SESSION_KEY] = waiting


def choices() -> list[Choice]:
    found: list[Choice] = []
    for course in Course.objects.prefetch_related("skills").order_by("title"):
        found.append(Choice(f"course:{course.slug}", f"{course.title} (whole course)", False))
        found.extend(Choice(f"skill:{course.slug}:{skill.key}", skill.name, True)
                     for skill in course.skills.all())
    return found


def _target(value: str) -> tuple[Course, Skill | None]:
    kind, _, rest = value.partition(":")
    slug, _, key = rest.partition(":")
    course = Course.objects.filter(slug=slug).first() if kind in {"course", "skill"} else None
    if course is None:
        raise BadChoice(gettext("Pick a course or a skill from the list."))
    if kind == "course":
        return course, None
    skill = Skill.objects.filter(course=course, key=key).first()
    if skill is None:
        raise BadChoice(gettext("Pick a course or a skill from the list."))
    return course, skill


def response_for(request_data: dict[str, Any], value: str, launch_url: str) -> SignedResponse:
    course, skill = _target(value)
    title = f"{skill.name} ({course.title})" if skill else course.title
    custom = {COURSE_PARAMETER: course.slug, **({SKILL_PARAMETER: skill.key} if skill else {})}
    resource = (DeepLinkResource().set_url(launch_url).set_title(title)
                .set_custom_params(custom)
                .set_lineitem(LineItem().set_score_maximum(SCORE_MAXIMUM).set_label(title)
                              .set_resource_id(value)))
    registration = LtiRegistration.objects.get(pk=request_data["registration"])
    ensure_current_key()
    settings = request_data["settings"]
    link = DeepLink(registration.to_registration(), request_data["deployment_id"], settings)
    return SignedResponse(return_url=settings["deep_link_return_url"],
                          jwt=link.get_response_jwt([resource]))
