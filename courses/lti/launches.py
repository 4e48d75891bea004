"""A verified launch, carried out: the LMS's records synced (django-lti), the person mapped to
an account and a class (:mod:`courses.lti.people`), the resource link's target read, and the
page the person lands on chosen. Everything a launch writes is one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext
from lti_tool.models import LtiLaunch
from lti_tool.utils import sync_data_from_launch

from courses import access
from courses.lti import grades, people
from courses.lti.models import LinkedClass, LinkLearner, LinkTarget
from courses.models import Course, Exercise, Skill

# Custom parameters of a link (set by deep linking, or by hand in the LMS's activity settings).
COURSE_PARAMETER = "learnpath_course"
SKILL_PARAMETER = "learnpath_skill"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


class LaunchRefused(Exception):
    """A verified launch that learnpath cannot serve: the message says why (shown with
    ``status``, a 4xx)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Landing:
    user: User
    url: str
    message: str = ""


def read_target(lti_launch: LtiLaunch) -> tuple[Course, Skill | None]:
    """The course (and skill) a resource link points at, from its custom parameters."""
    slug = lti_launch.get_custom_claim(COURSE_PARAMETER)
    if not slug or not isinstance(slug, str):
        raise LaunchRefused(gettext(
            "This link does not say which learnpath course it opens. The teacher can place it "
            "again with the LMS's content selection (deep linking), or give it the custom "
            "parameter %(parameter)s=<course slug>.") % {"parameter": COURSE_PARAMETER})
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise LaunchRefused(gettext("There is no learnpath course “%(slug)s”.") % {"slug": slug},
                            status=404)
    key = lti_launch.get_custom_claim(SKILL_PARAMETER)
    if not key or not isinstance(key, str):
        return course, None
    skill = Skill.objects.filter(course=course, key=key).first()
    if skill is None:
        raise LaunchRefused(gettext("The course “%(course)s” has no skill “%(key)s”.")
                            % {"course": course, "key": key}, status=404)
    return course, skill


def carry_out_resource_launch(lti_launch: LtiLaunch) -> Landing:
    roles = people.read_roles(lti_launch.roles_claim or [])
    if not (roles.teaches or roles.learns):
        raise LaunchRefused(
            gettext("Your role in this LMS course gives no access to learnpath."), 403)
    course, skill = read_target(lti_launch)
    with transaction.atomic():
        sync_data_from_launch(lti_launch)
        user = people.account_for(lti_launch.user, _identity(lti_launch))
        link = people.linked_class(lti_launch.context, course)
        target = _store_target(lti_launch, link, skill)
        if roles.teaches:
            return _teacher_landing(link, user)
        people.add_learner(link, user)
        if not LinkLearner.objects.filter(target=target, learner=user).exists():
            LinkLearner.objects.create(target=target, learner=user, lti_user=lti_launch.user,
                                       score=grades.start_score(target, user.pk))
    return Landing(user, _learner_url(course, skill))


def carry_out_deep_linking_launch(lti_launch: LtiLaunch) -> User:
    if not people.read_roles(lti_launch.roles_claim or []).teaches:
        raise LaunchRefused(
            gettext("Only an instructor of this LMS course can place learnpath links."), 403)
    with transaction.atomic():
        sync_data_from_launch(lti_launch)
        user = people.account_for(lti_launch.user, _identity(lti_launch))
        user.groups.add(access.teachers_group())
    return user


def _identity(lti_launch: LtiLaunch) -> dict[str, Any]:
    return {name: lti_launch.get_claim(name)
            for name in ("given_name", "family_name", "name", "email")}


def _store_target(lti_launch: LtiLaunch, link: LinkedClass, skill: Skill | None) -> LinkTarget:
    endpoint = lti_launch.get_claim(AGS_CLAIM) or {}
    ags = {"lineitems_url": endpoint.get("lineitems", ""),
           "score_scopes": list(endpoint.get("scope", []))}
    if endpoint.get("lineitem"):  # the platform's own line item for this link (deep linking)
        ags["lineitem_url"] = endpoint["lineitem"]
    target, _ = LinkTarget.objects.update_or_create(
        resource_link=lti_launch.resource_link,
        defaults={"linked_class": link, "skill": skill, **(ags if endpoint else {})},
    )
    return target


def _teacher_landing(link: LinkedClass, teacher: User) -> Landing:
    cohort = people.add_teacher(link, teacher)
    if cohort is not None:
        return Landing(teacher, reverse("teacher_class", args=[cohort.pk]))
    taught_by = link.cohort.teacher if link.cohort else None
    return Landing(
        teacher, reverse("course_detail", args=[link.course.slug]),
        gettext("This LMS course's class is taught in learnpath by %(teacher)s; an administrator "
                "can make you its teacher.") % {"teacher": taught_by},
    )


def _learner_url(course: Course, skill: Skill | None) -> str:
    if skill is not None:
        exercise = (Exercise.objects.filter(skills=skill, status=Exercise.Status.ACTIVE)
                    .order_by("difficulty", "key").first())
        if exercise is not None:
            return reverse("exercise", args=[course.slug, exercise.key])
    return reverse("practice_next", args=[course.slug])
