"""A person's language choice for the site (read by :mod:`courses.languages.chosen`)."""
from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from courses.errors import InvalidInput
from courses.languages.chosen import supported
from courses.languages.models import LanguagePreference


def check_language(code: str) -> str:
    """A supported language code, or "" (the browser's language); anything else is refused."""
    code = code.strip()
    if code and not supported(code):
        raise InvalidInput(_("Choose one of the languages offered."))
    return code


@transaction.atomic
def record_language_preference(user: User, code: str) -> str:
    """Stores the user's choice, or removes it for "" (the browser's language is used)."""
    code = check_language(code)
    if code:
        LanguagePreference.objects.update_or_create(user=user, defaults={"language": code})
    else:
        LanguagePreference.objects.filter(user=user).delete()
    return code
