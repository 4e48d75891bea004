"""Small helpers shared by the views: turning service errors into responses."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from courses.errors import ServiceError


class AuthenticatedHttpRequest(HttpRequest):
    """The request a ``@login_required`` view receives: its user is signed in, never anonymous.

    Only an annotation (django-stubs' recommended pattern); no instance of it is ever made."""

    user: User


def error_page(request: HttpRequest, error: ServiceError, **context: Any) -> HttpResponse:
    return render(
        request,
        "error.html",
        {"message": error.message, "status": error.status, **context},
        status=error.status,
    )
