"""Sentences the engine writes for people, kept translatable without the engine knowing Django.

A :class:`Phrase` is a sentence template (English, with ``%(name)s`` fields) and its values.
Each template is written once, in the module that says it, inside :func:`gettext_noop` so that
Django's ``makemessages`` (which looks for that name) collects it for translation; the site
shows the phrase in the reader's language (``courses.phrases.shown``), and ``str(phrase)`` is
the English sentence. Values are plain: text (skill names, as authored), whole numbers,
decimals (:class:`~decimal.Decimal`, with the digits the writer chose), dates, moments to be
shown a given way (:class:`When`), tuples of names (shown as a list: "A, B and C") and other
phrases (a reason inside a sentence).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, TypeAlias

Shown = Literal["weekday", "day_month", "day_month_year", "time"]


@dataclass(frozen=True)
class When:
    """A moment shown as its weekday ("Friday"), day and month ("14 March"), day, month and
    year, or time of day ("17:00"), in the reader's language."""

    moment: datetime
    shown: Shown

    def english(self) -> str:
        text = self.moment.strftime(_ENGLISH_WHEN[self.shown])
        return text if self.shown == "time" else text.lstrip("0")


_ENGLISH_WHEN = {"weekday": "%A", "day_month": "%d %B", "day_month_year": "%d %B %Y",
                 "time": "%H:%M"}
Value: TypeAlias = "str | int | Decimal | date | When | tuple[str, ...] | Phrase"


def gettext_noop(text: str) -> str:
    """Marks a template for translation; returns it unchanged (the engine never translates)."""
    return text


@dataclass(frozen=True)
class Phrase:
    template: str
    values: tuple[tuple[str, Value], ...] = ()

    @classmethod
    def of(cls, template: str, **values: Value) -> Phrase:
        return cls(template, tuple(sorted(values.items())))

    def __str__(self) -> str:
        return self.template % {name: english(value) for name, value in self.values}

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data (a stored path keeps its reasons so)."""
        return {"template": self.template,
                "values": {name: _value_data(value) for name, value in self.values}}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Phrase:
        """The phrase :meth:`to_data` stored; ``ValueError`` for anything else."""
        template, values = data.get("template"), data.get("values")
        if not isinstance(template, str) or not isinstance(values, dict):
            raise ValueError(f"not a stored phrase: {data!r}")
        return cls(template, tuple(sorted((str(name), _value_from_data(value))
                                          for name, value in values.items())))


def sentences(phrases: Iterable[Phrase]) -> str:
    """Several phrases as English text, one after the other."""
    return " ".join(str(phrase) for phrase in phrases)


def english(value: Value) -> str:
    if isinstance(value, tuple):
        return listed(value, "and")
    if isinstance(value, When):
        return value.english()
    if isinstance(value, datetime | date):
        return f"{value.day} {value:%b %Y}"
    return str(value)  # text, a number, a phrase


def listed(names: tuple[str, ...], conjunction: str) -> str:
    """"A", "A and B", "A, B and C"."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def _value_data(value: Value) -> Any:
    if isinstance(value, tuple):
        return {"names": list(value)}
    if isinstance(value, Phrase):
        return {"phrase": value.to_data()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, When):
        return {"when": value.moment.isoformat(), "shown": value.shown}
    if isinstance(value, datetime):
        return {"moment": value.isoformat()}
    if isinstance(value, date):
        return {"day": value.isoformat()}
    return value


def _value_from_data(data: Any) -> Value:
    if isinstance(data, dict):
        if "names" in data:
            return tuple(str(name) for name in data["names"])
        if "phrase" in data:
            return Phrase.from_data(data["phrase"])
        if "decimal" in data:
            return Decimal(data["decimal"])
        if "when" in data and data.get("shown") in _ENGLISH_WHEN:
            return When(datetime.fromisoformat(data["when"]), data["shown"])
        if "moment" in data:
            return datetime.fromisoformat(data["moment"])
        if "day" in data:
            return date.fromisoformat(data["day"])
    if isinstance(data, bool) or not isinstance(data, str | int):
        raise ValueError(f"not a stored phrase value: {data!r}")
    return data
