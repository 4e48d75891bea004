"""The engine's sentences (:class:`learnpath.phrases.Phrase`) in the reader's language.

The template is looked up in the translations (it is its own message id) and its values are
filled in localised: decimals with the language's separator, dates and moments in its formats
(in the site's time zone), lists of names joined by its word for "and", phrases within
phrases. Names themselves are course content and stay as authored.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext

from learnpath.phrases import Phrase, Value, When, listed

# How a When is written in the reader's language (Django's date format letters and names).
_WHEN_FORMATS = {"weekday": "l", "day_month": "MONTH_DAY_FORMAT",
                 "day_month_year": "DATE_FORMAT", "time": "H:i"}


def shown(phrase: Phrase) -> str:
    return gettext(phrase.template) % {name: _localised(value) for name, value in phrase.values}


def shown_all(phrases: Iterable[Phrase]) -> str:
    """Several phrases, one sentence after the other."""
    return " ".join(shown(phrase) for phrase in phrases)


def short_number(value: float) -> str:
    """A number as few digits as it needs (``:g``: 2, 0.5, 2.25), with the language's decimal
    separator."""
    return f"{value:g}".replace(".", str(formats.get_format("DECIMAL_SEPARATOR")))


def _localised(value: Value) -> str:
    if isinstance(value, tuple):
        return listed(value, pgettext("the last two items of a list", "and"))
    if isinstance(value, Phrase):
        return shown(value)
    if isinstance(value, Decimal):
        return formats.number_format(value)
    if isinstance(value, When):
        return formats.date_format(timezone.localtime(value.moment), _WHEN_FORMATS[value.shown])
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATE_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)
