"""LMS people as learnpath people: an LMS user (issuer + ``sub``) is one learnpath account, made
on first sight without a usable password; an instructor of an LMS context teaches the class that
stands for it, a learner is in that class and enrolled in its course.

Only the roles of the launch's own context count (``membership`` roles): Canvas also sends
institution roles, and a teacher of another course who learns in this one is a learner here.
The roles come from a verified id_token, so they cannot be edited on the way.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.text import slugify
from lti_tool.models import LtiContext, LtiUser

from courses import access
from courses.actions.enrolment import add_to_cohort, enrol
from courses.lti.models import LinkedClass, LinkLearner
from courses.models import Cohort, Course

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
TEACHING_ROLES = frozenset(
    f"{MEMBERSHIP}#{name}" for name in ("Instructor", "Administrator", "ContentDeveloper")
)
LEARNING_ROLES = frozenset({f"{MEMBERSHIP}#Learner"})


@dataclass(frozen=True)
class Roles:
    teaches: bool
    learns: bool


def read_roles(claimed: Iterable[str]) -> Roles:
    """Context roles, full or short (``Instructor``), with their sub-roles
    (``membership/Instructor#TeachingAssistant`` teaches)."""
    full = {role if "/" in role else f"{MEMBERSHIP}#{role}" for role in claimed}
    teaches = bool(full & TEACHING_ROLES) or any(
        role.startswith(f"{MEMBERSHIP}/{name.rpartition('#')[2]}#")
        for role in full for name in TEACHING_ROLES
    )
    learns = bool(full & LEARNING_ROLES) or any(
        role.startswith(f"{MEMBERSHIP}/Learner#") for role in full
    )
    return Roles(teaches=teaches, learns=learns and not teaches)


def account_for(lti_user: LtiUser, claims: Mapping[str, str | None]) -> User:
    """The learnpath account of an LMS user: the one linked to it (by an earlier launch, a
    roster sync, or an administrator), else a new one without a usable password. Names and
    e-mail follow the LMS's when it gives them, on accounts learnpath made."""
    with transaction.atomic():
        # of=self: PostgreSQL locks no row of a nullable join (the account may not exist yet).
        locked = (LtiUser.objects.select_for_update(of=("self",)).select_related("auth_user")
                  .get(pk=lti_user.pk))
        user = locked.auth_user
        if user is None:
            # No password given: create_user stores an unusable one.
            user = get_user_model().objects.create_user(username=_username(locked, claims))
            locked.auth_user = user
            locked.save(update_fields=["auth_user", "datetime_modified"])
        if not user.has_usable_password():
            _copy_names(user, claims)
        return user


def _username(lti_user: LtiUser, claims: Mapping[str, str | None]) -> str:
    """Readable where the LMS gives a name (the class page lists usernames), unique by a digest
    of the platform and the LMS user."""
    digest = hashlib.sha256(f"{lti_user.registration_id}:{lti_user.sub}".encode()).hexdigest()
    named = " ".join(filter(None, [claims.get("given_name"), claims.get("family_name")]))
    base = slugify(named or claims.get("name") or "")[:40] or f"lms{lti_user.registration_id}"
    username = f"{base}-{digest[:8]}"
    if get_user_model().objects.filter(username=username).exists():
        return f"lms{lti_user.registration_id}-{digest[:32]}"
    return username


def _copy_names(user: User, claims: Mapping[str, str | None]) -> None:
    fields = {"first_name": claims.get("given_name"), "last_name": claims.get("family_name"),
              "email": claims.get("email")}
    if not fields["first_name"] and not fields["last_name"] and claims.get("name"):
        fields["first_name"] = claims["name"]
    changed = [name for name, value in fields.items()
               if value and value[:150] != getattr(user, name)]
    for name in changed:
        setattr(user, name, (fields[name] or "")[:150])
    if changed:
        user.save(update_fields=changed)


def linked_class(context: LtiContext, course: Course) -> LinkedClass:
    found, _ = LinkedClass.objects.get_or_create(context=context, course=course)
    return found


@transaction.atomic
def add_teacher(link: LinkedClass, teacher: User) -> Cohort | None:
    """An instructor launched: the class is made with them as its teacher when it has none (and
    takes in the learners who launched before). Returns the class when they teach it; a second
    instructor finds it taught by the first (a class has one teacher)."""
    teacher.groups.add(access.teachers_group())
    locked = (LinkedClass.objects.select_for_update(of=("self",)).select_related("cohort")
              .get(pk=link.pk))
    if locked.cohort is None:
        locked.cohort = Cohort.objects.create(
            name=_free_name(teacher, _class_name(locked)), course=locked.course, teacher=teacher
        )
        locked.save(update_fields=["cohort"])
        for learner in _learners_so_far(locked):
            add_to_cohort(locked.cohort, learner)
    return locked.cohort if locked.cohort.teacher_id == teacher.pk else None


def _class_name(link: LinkedClass) -> str:
    context = link.context
    return (context.title or context.label or f"LMS class {context.id_on_platform}")[:150]


def _free_name(teacher: User, name: str) -> str:
    taken = set(Cohort.objects.filter(teacher=teacher, name__startswith=name)
                .values_list("name", flat=True))
    if name not in taken:
        return name
    return next(f"{name} ({n})" for n in range(2, len(taken) + 3) if f"{name} ({n})" not in taken)


def _learners_so_far(link: LinkedClass) -> list[User]:
    ids = LinkLearner.objects.filter(target__linked_class=link).values("learner_id")
    return list(get_user_model().objects.filter(pk__in=ids))


@transaction.atomic
def add_learner(link: LinkedClass, learner: User) -> None:
    """A learner launched (or came with the roster): enrolled in the course, and in the class
    once it has one."""
    enrol(learner, link.course)
    cohort = LinkedClass.objects.filter(pk=link.pk).values_list("cohort", flat=True).first()
    if cohort is not None:
        add_to_cohort(Cohort.objects.select_related("course").get(pk=cohort), learner)
