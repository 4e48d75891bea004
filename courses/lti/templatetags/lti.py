"""``{% lti_roster_link cohort %}``: on the class page, a link to the LMS roster page when the
class stands for an LMS course (nothing otherwise)."""
from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from courses.lti.models import LinkedClass
from courses.models import Cohort

register = template.Library()


@register.simple_tag
def lti_roster_link(cohort: Cohort) -> str:
    if not LinkedClass.objects.filter(cohort=cohort).exists():
        return ""
    return format_html('<a href="{}">LMS roster (sync from the LMS)</a>',
                       reverse("lti_roster", args=[cohort.pk]))
