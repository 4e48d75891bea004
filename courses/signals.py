"""Every change to a course's skills, prerequisites, exercises, options or images raises the
course's ``content_version``, in the same transaction, so caches of course content (the path
planner's view of the course, the rendered texts) know when to reload. A deleted image's file
goes once the deletion is committed. Bulk updates that send no signals bump it themselves
(:func:`bump_content_version`)."""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from courses.models import Choice, ContentImage, Course, Exercise, Prerequisite, Skill


def bump_content_version(course_id: int) -> None:
    Course.objects.filter(pk=course_id).update(content_version=F("content_version") + 1)


def _course_id(instance: Any) -> int | None:
    if isinstance(instance, Skill | Exercise | ContentImage):
        return instance.course_id
    if isinstance(instance, Prerequisite):
        skills = Skill.objects.filter(pk=instance.skill_id)
        return skills.values_list("course_id", flat=True).first()
    if isinstance(instance, Choice):
        return (
            Exercise.objects.filter(pk=instance.exercise_id)
            .values_list("course_id", flat=True)
            .first()
        )
    return None


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    course_id = _course_id(instance)
    if course_id is not None:
        bump_content_version(course_id)


def _image_deleted(sender: Any, instance: ContentImage, **kwargs: Any) -> None:
    if instance.file:
        name, storage = instance.file.name, instance.file.storage
        transaction.on_commit(lambda: storage.delete(name))


def _skills_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action in {"post_add", "post_remove", "post_clear"} and isinstance(instance, Exercise):
        bump_content_version(instance.course_id)


def connect() -> None:
    for model in (Skill, Exercise, Prerequisite, Choice, ContentImage):
        post_save.connect(_changed, sender=model, dispatch_uid=f"content-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"content-del-{model.__name__}")
    post_delete.connect(_image_deleted, sender=ContentImage, dispatch_uid="content-image-file")
    m2m_changed.connect(_skills_changed, sender=Exercise.skills.through,
                        dispatch_uid="content-exercise-skills")
