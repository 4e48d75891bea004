"""What an uploaded image really is, read from its bytes with Pillow, never from its name: one
of the raster formats browsers show (PNG, JPEG, GIF, WebP), within the size and pixel limits
of the settings. SVG is refused: it is a document that can carry scripts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

# Pillow's format name → (Content-Type, file extension).
FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
EXTENSIONS = dict(FORMATS.values())


@dataclass(frozen=True, slots=True)
class ImageFacts:
    content_type: str
    extension: str
    width: int
    height: int


def inspect_image(file: IO[bytes], size: int) -> ImageFacts:
    """The facts of an uploaded image; :class:`ValidationError` naming what is wrong."""
    max_bytes = settings.LEARNPATH_IMAGE_MAX_BYTES
    if size > max_bytes:
        raise ValidationError(
            f"The image is {size:,} bytes; images are at most {max_bytes:,} bytes.",
            code="too_big")
    file.seek(0)
    try:
        with Image.open(file, formats=list(FORMATS)) as image:
            format_name, (width, height) = str(image.format), image.size
            _check_pixels(width, height)
            image.verify()
    except Image.DecompressionBombError as error:  # far over any limit: Pillow stops reading
        raise ValidationError(
            f"The image has far more than {settings.LEARNPATH_IMAGE_MAX_PIXELS:,} pixels, the "
            "most an image may have.", code="too_many_pixels") from error
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError) as error:
        raise ValidationError(
            "This file is not a PNG, JPEG, GIF or WebP image (whatever its name says).",
            code="not_an_image") from error
    finally:
        file.seek(0)
    content_type, extension = FORMATS[format_name]
    return ImageFacts(content_type, extension, width, height)


def _check_pixels(width: int, height: int) -> None:
    max_pixels = settings.LEARNPATH_IMAGE_MAX_PIXELS
    if width * height > max_pixels:
        raise ValidationError(
            f"The image is {width} × {height} pixels; images have at most {max_pixels:,} "
            "pixels.", code="too_many_pixels")
