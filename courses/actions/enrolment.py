"""Enrolment in courses and membership of classes."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from courses.models import Cohort, Course, Enrollment


def enrol(learner: User, course: Course) -> Enrollment:
    enrollment, _ = Enrollment.objects.get_or_create(learner=learner, course=course)
    return enrollment


@transaction.atomic
def add_to_cohort(cohort: Cohort, learner: User) -> None:
    """A learner in a class is enrolled in the class's course."""
    enrol(learner, cohort.course)
    cohort.learners.add(learner)
