"""The development app's one page: a bare Django JSON view, the yardstick of ``bench_pages``.

It runs through the whole middleware stack like any page but touches neither the session nor
the database, so a page's time divided by this one's is what the page itself costs."""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def bare_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
