"""Images a course's texts show (``![alt](image:name)``, :mod:`courses.rendering.markdown`);
re-exported by :mod:`courses.models`. The file's type, size and pixels are read from its bytes
when it is uploaded (:func:`courses.rendering.images.inspect_image`); it is served by
:func:`courses.views.media.content_image` with the type found then."""
from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from courses.rendering.images import EXTENSIONS, inspect_image

name_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$", "Use lowercase letters, digits, hyphens and underscores."
)


def stored_name(image: ContentImage, filename: str) -> str:
    """Never the uploader's file name: a fresh name with the extension of the type found."""
    return f"content-images/{image.course_id}/{uuid.uuid4().hex}.{image.extension}"


class ContentImage(models.Model):
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE,
                               related_name="images")
    name = models.CharField(
        max_length=80, validators=[name_validator],
        help_text="Texts show it with ![alt text](image:NAME); empty brackets use the alt text "
                  "below.")
    file = models.FileField(upload_to=stored_name, max_length=200)
    alt_text = models.CharField(
        max_length=300, help_text="What the image shows, for readers who cannot see it.")
    content_type = models.CharField(max_length=20, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="image_name_unique_in_course"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    def clean(self) -> None:
        super().clean()
        problems: dict[str, list[str]] = {}
        if not self.alt_text.strip():
            problems["alt_text"] = ["Describe the image for readers who cannot see it."]
        if self.file and not getattr(self.file, "_committed", True):  # a new upload
            upload: Any = self.file.file
            try:
                facts = inspect_image(upload, self.file.size)
            except ValidationError as error:
                problems["file"] = error.messages
            else:
                self.content_type, self.width, self.height = (facts.content_type, facts.width,
                                                              facts.height)
        if problems:
            raise ValidationError(problems)
