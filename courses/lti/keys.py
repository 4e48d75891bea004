"""The tool's signing keys: one current key (the newest active one, which django-lti signs
with), and the keys it replaced, still published in the JWKS until their stated time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from lti_tool.models import Key

from courses.lti.models import KeyRetirement


@dataclass(frozen=True)
class Rotation:
    current: Key
    retiring: list[tuple[str, datetime]]  # (kid, published until) of the keys it replaced
    dropped: int  # keys whose time had come, taken out of the JWKS now


def ensure_current_key() -> Key:
    """The current key; the first one is made on first use (a fresh install has none). Two
    first launches at once may make two: both are published, and the newer one signs."""
    current = Key.objects.active().order_by("-datetime_created").first()
    return current if current is not None else _new_key()


def _new_key() -> Key:
    key: Key = Key.objects.generate()
    return key


def published_keys() -> list[Key]:
    """Active keys, less the retired ones whose time has come."""
    gone = Q(retirement__published_until__lte=timezone.now())
    return list(Key.objects.active().exclude(gone).order_by("-datetime_created"))


def jwks() -> dict[str, Any]:
    ensure_current_key()
    return {"keys": [key.as_jwk() for key in published_keys()]}


@transaction.atomic
def rotate_keys(keep_old_for: timedelta) -> Rotation:
    """A new key becomes current; every key it replaces stays published for ``keep_old_for``
    (a key already retiring keeps its own, earlier time); keys past their time are
    deactivated."""
    now = timezone.now()
    dropped = Key.objects.active().filter(retirement__published_until__lte=now).update(
        is_active=False
    )
    replaced = list(Key.objects.active().filter(retirement__isnull=True))
    until = now + keep_old_for
    KeyRetirement.objects.bulk_create(
        [KeyRetirement(key=key, published_until=until) for key in replaced]
    )
    current = _new_key()
    retiring = [
        (str(r.key), r.published_until)
        for r in KeyRetirement.objects.filter(key__is_active=True).select_related("key")
    ]
    return Rotation(current=current, retiring=retiring, dropped=dropped)
