"""Images for a course's texts added from code (the demo's; the admin uploads through the model
form): checked exactly as an upload is."""
from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction

from courses.models import ContentImage, Course


def add_course_image(course: Course, name: str, alt_text: str, content: bytes,
                     filename: str) -> ContentImage:
    """Stores the image; :class:`django.core.exceptions.ValidationError` when it is refused
    (not an image, too big, too many pixels, no alt text, a name the course already uses)."""
    image = ContentImage(course=course, name=name, alt_text=alt_text,
                         file=ContentFile(content, name=filename))
    image.full_clean()
    with transaction.atomic():
        image.save()
    return image
