"""Authoring in the Django admin, one module per area: :mod:`.courses` (course list, JSON
import/export, attempt-log import, retraining), :mod:`.content` (skills and exercises),
:mod:`.images` (images for course texts), :mod:`.people` (classes, enrolments, pins),
:mod:`.records` (attempts and sessions, read-only), :mod:`.model_versions` (models, training
runs, the model dashboard) and :mod:`.users` (people: deleting one removes all their data).
Importing this package registers them all."""
from __future__ import annotations

from courses.admin import content, courses, images, model_versions, people, records, users

__all__ = ["content", "courses", "images", "model_versions", "people", "records", "users"]
