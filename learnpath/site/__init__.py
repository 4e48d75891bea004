"""The Django project: settings, URLs, the WSGI/ASGI entry points and the Celery application.

The Celery app is created when this package is imported (Django imports it for the settings), so
that tasks sent by name from ``courses`` go to the configured broker.
"""
from __future__ import annotations

from learnpath.site.celery import app as celery_app

__all__ = ["celery_app"]
