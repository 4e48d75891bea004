"""learnpath: the Django project and the pure engine (skill graphs, mastery, sequence model).

The Celery app is imported here so that ``@shared_task`` binds to it; torch is never imported at
start-up (the sequence model loads lazily where it is used).
"""
from __future__ import annotations

from learnpath.celery import app as celery_app

__all__ = ["celery_app"]
