"""What every page's top bar needs: whether to link to *My classes* (asked only when shown)."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from courses.access import teaches_a_class


def top_bar(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {"teaches_a_class": SimpleLazyObject(
        lambda: user is not None and user.is_authenticated and teaches_a_class(user)
    )}
