"""Small helpers shared by the views: turning service errors into responses."""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from courses.services.errors import ServiceError


def error_page(request: HttpRequest, error: ServiceError, **context: Any) -> HttpResponse:
    return render(
        request,
        "error.html",
        {"message": error.message, "status": error.status, **context},
        status=error.status,
    )
