"""Reading settings from the environment, strictly: a value that cannot mean what its setting
needs stops start-up with a message naming the variable, so a typo (``SECURE_COOKIES=ture``)
never turns a protection off silently."""
from __future__ import annotations

import math
import os
from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def envbool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean: use one of "
        f"{', '.join(sorted(TRUE_WORDS))} or {', '.join(sorted(FALSE_WORDS))}."
    )


def _number(name: str, convert: Callable[[str], float], what: str) -> float | None:
    value = _raw(name)
    if value is None:
        return None
    try:
        return convert(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not {what}.") from None


def envint(name: str, default: int, minimum: int | None = None) -> int:
    number = _number(name, int, "a whole number")
    if number is None:
        return default
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={_raw(name)!r} must be at least {minimum}.")
    return int(number)


def envfloat(name: str, default: float) -> float:
    number = _number(name, float, "a number")
    if number is None:
        return default
    if not math.isfinite(number):
        raise ImproperlyConfigured(f"{name}={_raw(name)!r} must be a finite number.")
    return number


def envlist(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()] or default


def envurl(name: str, default: str) -> str:
    """An ``http(s)://host[/path]`` address without a trailing slash (``default`` when unset,
    which may be empty: "none")."""
    value = _raw(name)
    if value is None:
        return default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not an http:// or https:// address (without ?query or #part)."
        )
    return value.rstrip("/")
