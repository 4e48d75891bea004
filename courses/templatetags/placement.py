"""``{% placement_offer course %}``: the course page's offer of the placement check (to a new
learner: take it or skip it) or the way to ask for it again."""
from __future__ import annotations

from typing import Any

from django import template

from courses.models import Course
from courses.recommend.placement import placement_offer as offer_of

register = template.Library()


@register.inclusion_tag("courses/_placement_offer.html", takes_context=True)
def placement_offer(context: template.Context, course: Course) -> dict[str, Any]:
    return {"course": course, "status": offer_of(context["request"].user, course),
            "csrf_token": context.get("csrf_token")}
