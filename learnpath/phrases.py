"""Sentences the engine writes for people, kept translatable without the engine knowing Django.

A :class:`Phrase` is a sentence template (English, with ``%(name)s`` fields) and its values.
Each template is written once, here in the engine, inside :func:`gettext_noop` so that Django's
``makemessages`` (which looks for that name) collects it for translation; the site shows the
phrase in the reader's language (``courses.phrases.shown``), and ``str(phrase)`` is the English
sentence. Values are plain: text (skill names, as authored), whole numbers, decimals (shown with
two places), dates, and tuples of names (shown as a list: "A, B and C").
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

Value = str | int | float | date | tuple[str, ...]


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
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return f"{value.day} {value:%b %Y}"
    return str(value)


def listed(names: tuple[str, ...], conjunction: str) -> str:
    """"A", "A and B", "A, B and C"."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def _value_data(value: Value) -> Any:
    if isinstance(value, tuple):
        return {"names": list(value)}
    if isinstance(value, datetime):
        return {"moment": value.isoformat()}
    if isinstance(value, date):
        return {"day": value.isoformat()}
    return value


def _value_from_data(data: Any) -> Value:
    if isinstance(data, dict):
        if "names" in data:
            return tuple(str(name) for name in data["names"])
        if "moment" in data:
            return datetime.fromisoformat(data["moment"])
        if "day" in data:
            return date.fromisoformat(data["day"])
    if isinstance(data, bool) or not isinstance(data, str | int | float):
        raise ValueError(f"not a stored phrase value: {data!r}")
    return data
