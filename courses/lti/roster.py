"""The class roster from the LMS (Names and Role Provisioning Services): each active learner on
it becomes (or stays) an account in the class; members of the class no longer on the roster are
reported, never removed (their work stays where it is)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import requests
from django.db import transaction
from django.utils import timezone
from lti_tool.models import LtiUser
from pylti1p3.exception import LtiException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from courses.lti import people
from courses.lti.keys import ensure_current_key
from courses.lti.models import LinkedClass
from courses.lti.protocol import PlatformSession


class RosterUnavailable(Exception):
    pass


@dataclass
class RosterReport:
    members: int = 0
    added: list[str] = field(default_factory=list)  # learners new to the class
    gone: list[str] = field(default_factory=list)  # in the class, not on the roster
    error: str = ""


def fetch_members(link: LinkedClass) -> list[dict[str, Any]]:
    context = link.context
    if not context.memberships_url:
        raise RosterUnavailable("The LMS did not offer this course's roster (Names and Role "
                                "Provisioning) in its launches.")
    ensure_current_key()
    connector = ServiceConnector(context.deployment.registration.to_registration(),
                                 PlatformSession())
    service = NamesRolesProvisioningService(
        connector, {"context_memberships_url": context.memberships_url}
    )
    try:
        members = service.get_members()
    except (LtiException, requests.RequestException) as error:
        raise RosterUnavailable(f"The LMS's roster could not be read: {error}") from error
    # The spec makes status and roles optional (django-lti reads both); no id, no member.
    return [{**member, "status": member.get("status", "Active"),
             "roles": member.get("roles") or []}
            for member in members if isinstance(member, dict) and member.get("user_id")]


def sync_roster(link: LinkedClass) -> RosterReport:
    """Reads the roster and applies it; the report is kept on the class (an unreadable roster's
    error too, for the teacher's page)."""
    try:
        members = fetch_members(link)
    except RosterUnavailable as error:
        report = RosterReport(error=str(error))
    else:
        report = apply_roster(link, members)
    LinkedClass.objects.filter(pk=link.pk).update(roster_synced_at=timezone.now(),
                                                  roster_report=asdict(report))
    return report


@transaction.atomic
def apply_roster(link: LinkedClass, members: list[dict[str, Any]]) -> RosterReport:
    link.context.update_memberships(members)
    registration = link.context.deployment.registration
    report = RosterReport(members=len(members))
    cohort = link.cohort
    in_class = set(cohort.learners.values_list("pk", flat=True)) if cohort else set()
    on_roster: set[int] = set()
    for member in members:
        if member["status"] != "Active" or not people.read_roles(member["roles"]).learns:
            continue
        lti_user = LtiUser.objects.get(registration=registration, sub=member["user_id"])
        user = people.account_for(lti_user, member)
        on_roster.add(user.pk)
        if user.pk not in in_class:
            people.add_learner(link, user)
            report.added.append(_name(user))
    if cohort is not None:
        gone = cohort.learners.exclude(pk__in=on_roster).order_by("username")
        report.gone = [_name(user) for user in gone]
    return report


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()
