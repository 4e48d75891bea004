"""The channel registry: each channel (``xapi``, ``lti``…) registers the function that delivers a
batch of its messages, from its app's ``ready()``; the outbox itself knows no channel.

A sender gets plain data (:class:`Message`) and returns an :class:`Outcome` per message id:
:data:`DELIVERED`; :func:`retry` (the other side is down or busy: tried again later, with
backoff); or :func:`rejected` (the other side refused this message for good, e.g. a 4xx: kept as
failed, visible in the admin). A message without an outcome, or a sender that raises, is
retried.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Message:
    """One outbox row as its sender sees it; ``attempts`` counts this try."""

    id: int
    key: str
    destination: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Outcome:
    kind: Literal["delivered", "retry", "rejected"]
    error: str = ""


DELIVERED = Outcome("delivered")


def retry(error: str) -> Outcome:
    return Outcome("retry", error)


def rejected(error: str) -> Outcome:
    return Outcome("rejected", error)


Outcomes = Mapping[int, Outcome]
Sender = Callable[[list[Message]], Outcomes]

REGISTRY: dict[str, Sender] = {}


def sender(channel: str) -> Callable[[Sender], Sender]:
    """Registers the decorated function as the sender of ``channel``; a second, different
    function for the same channel is a configuration error."""

    def register(function: Sender) -> Sender:
        known = REGISTRY.get(channel)
        if known is not None and _name(known) != _name(function):
            raise ImproperlyConfigured(
                f"Outbox channel {channel!r} already has a sender: {_name(known)}"
            )
        REGISTRY[channel] = function
        return function

    return register


def sender_for(channel: str) -> Sender | None:
    return REGISTRY.get(channel)


def _name(function: Sender) -> str:
    return f"{function.__module__}.{getattr(function, '__qualname__', function)!s}"
