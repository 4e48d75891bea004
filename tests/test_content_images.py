"""Images for course texts: what an upload may be (its type read from its bytes, within the byte
and pixel limits, with alt text), refused with a message that says why and nothing stored, from
code and from the admin; and how ``/media/`` serves one (the type found at upload, ``nosniff``,
a cache header) and refuses everything else with a 404."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image

from courses.actions.content_images import add_course_image
from courses.models import ContentImage, Course
from tests.content_support import image_bytes, make_image, upload

NOT_AN_IMAGE = "This file is not a PNG, JPEG, GIF or WebP image (whatever its name says)."
SVG_WITH_SCRIPT = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
                   b"<script>alert(document.cookie)</script><circle r=\"4\"/></svg>")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_bomb(side: int) -> bytes:
    """A valid black-and-white PNG of ``side`` × ``side`` pixels that compresses to a few
    kilobytes: a decompression bomb."""
    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))


def noise_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("L", (side, side), bytes((n * 7919) % 251 for n in range(side * side))
                    ).save(buffer, format="PNG")
    return buffer.getvalue()


def stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def refusal(course: Course, content: bytes, filename: str = "picture.png",
            alt_text: str = "A red dot") -> dict[str, list[str]]:
    """The messages a refused image gets from :func:`add_course_image`; asserts nothing stayed."""
    before = stored_files()
    with pytest.raises(ValidationError) as refused:
        add_course_image(course, "dot", alt_text, content, filename)
    assert not ContentImage.objects.exists()
    assert stored_files() == before
    return refused.value.message_dict


# ---------------------------------------------------------------- refused uploads


@pytest.mark.parametrize(("content", "filename"), [
    (b"Just some notes, not a picture.\n", "notes-renamed.png"),
    (b"<!doctype html><html><body><script>alert(1)</script></body></html>", "page.png"),
    (b"<html><img src=x onerror=alert(1)></html>", "page.jpg"),
    (SVG_WITH_SCRIPT, "drawing.svg"),
    (SVG_WITH_SCRIPT, "drawing.png"),
    (b"GIF89a<script>alert(1)</script>", "polyglot.gif"),
    (image_bytes()[:40], "cut-short.png"),
    (b"", "empty.png"),
], ids=["text", "html", "html-as-jpg", "svg", "svg-as-png", "gif-header", "truncated", "empty"])
def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(
    course: Course, content: bytes, filename: str
) -> None:
    assert refusal(course, content, filename) == {"file": [NOT_AN_IMAGE]}


def test_an_image_over_the_byte_limit_is_refused(course: Course, settings: Any) -> None:
    content = noise_png(64)
    settings.LEARNPATH_IMAGE_MAX_BYTES = len(content) - 1
    assert refusal(course, content) == {"file": [
        f"The image is {len(content):,} bytes; images are at most {len(content) - 1:,} bytes."]}


def test_an_image_over_the_pixel_limit_is_refused_without_decoding_it(course: Course) -> None:
    content = png_bomb(3000)
    assert len(content) < 5_000 and settings.LEARNPATH_IMAGE_MAX_PIXELS == 4_000_000
    assert refusal(course, content) == {"file": [
        "The image is 3000 × 3000 pixels; images have at most 4,000,000 pixels."]}


def test_a_decompression_bomb_is_refused_as_too_many_pixels(course: Course) -> None:
    content = png_bomb(16_000)  # 256 million pixels in about 30 KB: Pillow stops reading it
    assert len(content) < 50_000
    assert refusal(course, content) == {"file": [
        "The image has far more than 4,000,000 pixels, the most an image may have."]}


@pytest.mark.parametrize("alt_text", ["", "   \n"])
def test_an_image_without_alt_text_is_refused(course: Course, alt_text: str) -> None:
    messages = refusal(course, image_bytes(), alt_text=alt_text)
    assert "Describe the image for readers who cannot see it." in messages["alt_text"]


def test_every_problem_of_an_upload_is_reported_at_once(course: Course) -> None:
    messages = refusal(course, b"not an image", alt_text=" ")
    assert messages["file"] == [NOT_AN_IMAGE]
    assert messages["alt_text"] == ["Describe the image for readers who cannot see it."]


def test_the_type_and_the_stored_name_come_from_the_content(course: Course) -> None:
    image = add_course_image(course, "dot", "A red dot", image_bytes(image_format="JPEG"),
                             "looks-like.png")
    assert (image.content_type, image.width, image.height) == ("image/jpeg", 4, 3)
    assert image.file.name.startswith(f"content-images/{course.pk}/")
    assert image.file.name.endswith(".jpg") and "looks-like" not in image.file.name


def _admin_upload(client: Client, course: Course, content: bytes, filename: str,
                  alt_text: str = "A red dot") -> Any:
    return client.post(reverse("admin:courses_contentimage_add"), {
        "course": course.pk, "name": "dot", "alt_text": alt_text,
        "file": upload(content, filename)})


def test_the_admin_refuses_a_bad_upload_with_its_reason_and_stores_nothing(
    client: Client, course: Course, root: Any
) -> None:
    client.force_login(root)
    before = stored_files()
    response = _admin_upload(client, course, SVG_WITH_SCRIPT, "drawing.svg", alt_text="")
    assert response.status_code == 200
    page = response.content.decode()
    assert "whatever its name says" in page and "Describe the image for readers" in page
    assert not ContentImage.objects.exists() and stored_files() == before

    response = _admin_upload(client, course, image_bytes(), "dot.png")
    assert response.status_code == 302
    image = ContentImage.objects.get()
    assert image.content_type == "image/png" and stored_files() - before == {
        Path(default_storage.path(image.file.name))}


# ---------------------------------------------------------------- serving


def _media(client: Client, name: str, **extra: Any) -> Any:
    return client.get(f"/media/{name}", **extra)


def test_an_image_is_served_with_its_type_from_the_content_nosniff_and_a_cache_header(
    client: Client, course: Course, alice: Any
) -> None:
    jpeg = image_bytes(image_format="JPEG")
    image = make_image(course, content=jpeg)  # uploaded as picture.png
    client.force_login(alice)
    response = _media(client, image.file.name)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == jpeg
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=86400"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"] == 'inline; filename="dot.jpg"'
    assert client.head(f"/media/{image.file.name}").status_code == 200
    assert client.post(f"/media/{image.file.name}").status_code == 405


@pytest.mark.parametrize("name", [
    "content-images/1/no-such-image.png",
    "../tests/settings.py",
    "content-images/../../tests/settings.py",
    "%2e%2e/%2e%2e/tests/settings.py",
    "..%2f..%2ftests%2fsettings.py",
    "..\\..\\tests\\settings.py",
    "/etc/passwd",
    "content-images/1/a%00.png",
    "x" * 300,
])
def test_a_missing_or_climbing_path_is_a_404(client: Client, course: Course, alice: Any,
                                             name: str) -> None:
    make_image(course)
    client.force_login(alice)
    assert _media(client, name).status_code == 404


def test_an_image_whose_file_is_gone_is_a_404(client: Client, course: Course,
                                               alice: Any) -> None:
    image = make_image(course)
    default_storage.delete(image.file.name)
    client.force_login(alice)
    assert _media(client, image.file.name).status_code == 404


def test_images_are_for_signed_in_readers(client: Client, course: Course) -> None:
    image = make_image(course)
    response = _media(client, image.file.name)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
