"""Who may see what. Views call these first; each returns the object or raises 403/404."""
from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from courses.models import Cohort, Course, Enrollment
from courses.queries.per_content import read_now
from courses.recommend.cache import read_course

TEACHERS_GROUP = "teachers"
TEACHES_A_CLASS = "teaches_a_class"


def is_teacher(user: User | AnonymousUser) -> bool:
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    return user.groups.filter(name=TEACHERS_GROUP).exists() or teaches_a_class(user)


def teaches_a_class(user: User) -> bool:
    """Whether the user teaches a class (the top bar's *My classes*). The signed-in user is read
    with the answer (:class:`courses.accounts.UserBackend`); any other user costs a query."""
    known = getattr(user, TEACHES_A_CLASS, None)
    return bool(known) if known is not None else user.cohorts_taught.exists()


def teaches_a_class_expression() -> Exists:
    """The annotation :func:`teaches_a_class` reads, for a query of users."""
    return Exists(Cohort.objects.filter(teacher=OuterRef("pk")))


def teachers_group() -> Group:
    group, _ = Group.objects.get_or_create(name=TEACHERS_GROUP)
    return group


def is_enrolled(user: User, course: Course) -> bool:
    return Enrollment.objects.filter(learner=user, course=course).exists()


def course_with_enrolment(user: User, slug: str) -> tuple[Course, bool]:
    """The course (404 when there is none) and whether the user is enrolled in it, in the one
    query that also reads the user's path lookup (:func:`courses.recommend.cache.read_course`).
    The course is marked as read now (:func:`courses.queries.per_content.read_now`): its cached
    content costs the page no further query either."""
    found = read_course(user, slug)
    if found is None:
        raise Http404(gettext("There is no such course."))
    course, enrolled = found
    return read_now(course), enrolled


def enrolled_course(user: User, slug: str) -> Course:
    """The course (as :func:`course_with_enrolment` reads it); 403 unless the user is enrolled."""
    course, enrolled = course_with_enrolment(user, slug)
    if not enrolled:
        raise PermissionDenied(gettext("You are not enrolled in this course."))
    return course


def cohorts_taught(user: User) -> QuerySet[Cohort]:
    """The classes a user may follow: their own; every class for a superuser."""
    cohorts = Cohort.objects.select_related("course")
    return cohorts if user.is_superuser else cohorts.filter(teacher=user)


def taught_cohort(user: User, cohort_id: int) -> Cohort:
    cohort = get_object_or_404(Cohort.objects.select_related("course", "teacher"), pk=cohort_id)
    if cohort.teacher_id != user.pk and not user.is_superuser:
        raise PermissionDenied(gettext("This is not one of your classes."))
    return cohort


def learner_in_cohort(cohort: Cohort, learner_id: int) -> User:
    learner = cohort.learners.filter(pk=learner_id).first()
    if learner is None:
        raise PermissionDenied(gettext("This learner is not in this class."))
    return learner


def course_or_404(slug: str) -> Course:
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404(gettext("There is no such course."))
    return course


def teaches_course(user: User, course: Course) -> bool:
    """Whether the user may see a course's answers: an admin, or the teacher of a class on it."""
    return user.is_superuser or Cohort.objects.filter(teacher=user, course=course).exists()


def course_readable(user: User, slug: str) -> tuple[Course, bool]:
    """The course and whether the user sees its answers: learners enrolled in it, the teachers
    of its classes and admins may read its exercises; anyone else gets a 403."""
    course = course_or_404(slug)
    if teaches_course(user, course):
        return course, True
    if not is_enrolled(user, course):
        raise PermissionDenied(gettext("You are not enrolled in this course."))
    return course, False


def check_admin(user: User) -> None:
    """Site-wide operations (importing a course, retraining): superusers only."""
    if not user.is_superuser:
        raise PermissionDenied(gettext("Only an administrator may do this."))
