"""Shared fixtures: a small course and named people.

alice learns in the course and is in tess's class; bob learns in the course but is in no class
of tess; tess teaches alice's class; ted teaches another class; root is a superuser.
"""
from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from hypothesis import settings as hypothesis_settings

from courses import access
from courses.actions.course_import import import_course
from courses.actions.enrolment import add_to_cohort, enrol
from courses.models import Cohort, Course
from tests.factories import small_course_document

PASSWORD = "correct horse battery"

# No example database (.hypothesis/): the suite writes nothing outside temporary folders.
hypothesis_settings.register_profile("learnpath", database=None)
hypothesis_settings.load_profile("learnpath")


@pytest.fixture
def course(db: Any) -> Course:
    return import_course(small_course_document()).course


def _user(username: str, **flags: Any) -> Any:
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **flags)


@pytest.fixture
def alice(db: Any) -> Any:
    return _user("alice")


@pytest.fixture
def bob(db: Any) -> Any:
    return _user("bob")


@pytest.fixture
def tess(db: Any) -> Any:
    user = _user("tess")
    user.groups.add(access.teachers_group())
    return user


@pytest.fixture
def ted(db: Any) -> Any:
    user = _user("ted")
    user.groups.add(access.teachers_group())
    return user


@pytest.fixture
def root(db: Any) -> Any:
    return get_user_model().objects.create_superuser(
        username="root", password=PASSWORD, email="root@example.invalid"
    )


@pytest.fixture
def cohort(course: Course, tess: Any, alice: Any) -> Cohort:
    cohort = Cohort.objects.create(name="Class 1", course=course, teacher=tess)
    add_to_cohort(cohort, alice)
    return cohort


@pytest.fixture
def other_cohort(course: Course, ted: Any, bob: Any) -> Cohort:
    cohort = Cohort.objects.create(name="Class 2", course=course, teacher=ted)
    add_to_cohort(cohort, bob)
    return cohort


@pytest.fixture
def enrolled_alice(course: Course, alice: Any) -> Any:
    enrol(alice, course)
    return alice


@pytest.fixture
def enrolled_bob(course: Course, bob: Any) -> Any:
    enrol(bob, course)
    return bob


@pytest.fixture
def populated(course: Course) -> Course:
    """The small course with 12 simulated learners: enough data to train a model."""
    from courses.actions.simulation import simulate_learners

    simulate_learners(course, [f"p{n:02d}" for n in range(12)], seed=11,
                      sessions=(2, 3), attempts_per_session=(9, 11))
    return course
