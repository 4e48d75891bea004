"""Who may see what. Views call these first; each returns the object or raises 403/404."""
from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from courses.models import Cohort, Course, Enrollment

TEACHERS_GROUP = "teachers"


def is_teacher(user: User | AnonymousUser) -> bool:
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    return user.groups.filter(name=TEACHERS_GROUP).exists() or user.cohorts_taught.exists()


def teachers_group() -> Group:
    group, _ = Group.objects.get_or_create(name=TEACHERS_GROUP)
    return group


def is_enrolled(user: User, course: Course) -> bool:
    return Enrollment.objects.filter(learner=user, course=course).exists()


def enrolled_course(user: User, slug: str) -> Course:
    """The course, read together with whether the user is enrolled in it (one query)."""
    course = get_object_or_404(
        Course.objects.annotate(enrolled=Exists(
            Enrollment.objects.filter(course=OuterRef("pk"), learner=user)
        )),
        slug=slug,
    )
    if not getattr(course, "enrolled", False):
        raise PermissionDenied("You are not enrolled in this course.")
    return course


def cohorts_taught(user: User) -> QuerySet[Cohort]:
    """The classes a user may follow: their own; every class for a superuser."""
    cohorts = Cohort.objects.select_related("course")
    return cohorts if user.is_superuser else cohorts.filter(teacher=user)


def taught_cohort(user: User, cohort_id: int) -> Cohort:
    cohort = get_object_or_404(Cohort.objects.select_related("course", "teacher"), pk=cohort_id)
    if cohort.teacher_id != user.pk and not user.is_superuser:
        raise PermissionDenied("This is not one of your classes.")
    return cohort


def learner_in_cohort(cohort: Cohort, learner_id: int) -> User:
    learner = cohort.learners.filter(pk=learner_id).first()
    if learner is None:
        raise PermissionDenied("This learner is not in this class.")
    return learner
