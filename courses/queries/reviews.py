"""Review schedules as read: when each of a learner's skills falls due for review (the rule that
says which are due is :mod:`learnpath.review`'s)."""
from __future__ import annotations

from datetime import datetime

from courses.models import Course, ReviewCard


def review_schedule(learner_id: int, course: Course) -> dict[str, datetime]:
    """Skill key -> when its card falls due, for the learner's cards in the course (one
    query)."""
    return dict(ReviewCard.objects.filter(learner_id=learner_id, course=course)
                .values_list("skill__key", "due"))
