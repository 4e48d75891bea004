"""The engine's sentences (:class:`learnpath.phrases.Phrase`) in the reader's language.

The template is looked up in the translations (it is its own message id) and its values are
filled in localised: decimals with the language's separator, dates in its format, lists of
names joined by its word for "and". Names themselves are course content and stay as authored.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.utils import formats
from django.utils.translation import gettext, pgettext

from learnpath.phrases import Phrase, Value, listed


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
    if isinstance(value, float):
        return formats.number_format(value, 2)
    if isinstance(value, datetime | date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)
