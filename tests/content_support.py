"""Images for the rendering tests and the access matrix: real files made with Pillow."""
from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from courses.models import ContentImage, Course


def image_bytes(size: tuple[int, int] = (4, 3), image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


def upload(content: bytes, filename: str = "picture.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(filename, content, content_type="application/octet-stream")


def make_image(course: Course, name: str = "dot", alt_text: str = "A red dot",
               content: bytes | None = None) -> ContentImage:
    """A stored image, checked as the admin checks an upload."""
    image = ContentImage(course=course, name=name, alt_text=alt_text,
                         file=upload(content if content is not None else image_bytes()))
    image.full_clean()
    image.save()
    return image
