"""A course's texts rendered once per process and content version.

Each text is rendered the first time a page shows it (as HTML, or as one line of plain text for
an ``<option>``: :mod:`courses.rendering.as_text`) and kept with the course's content identity
(:class:`courses.queries.per_content.PerContent`); uploading, changing or deleting an image
raises the content version like any other content change, so a text never shows a stale image.
The course's images are read (one query) only when a text refers to one.
"""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.utils.safestring import SafeString, mark_safe

from courses.models import ContentImage, Course
from courses.queries.per_content import PerContent
from courses.rendering.as_text import html_as_text
from courses.rendering.markdown import ImageRef, refers_to_images, to_html
from courses.rendering.sanitise import clean

_ON_COURSE = "_rendered_texts"


class CourseTexts:
    def __init__(self, course_id: int) -> None:
        self._course_id = course_id
        self._html: dict[tuple[str, bool], SafeString] = {}
        self._text: dict[str, str] = {}
        self._images: dict[str, ImageRef] | None = None

    @classmethod
    def load(cls, course: Course) -> CourseTexts:
        return cls(course.pk)

    def images(self) -> dict[str, ImageRef]:
        if self._images is None:
            self._images = {
                name: ImageRef(default_storage.url(file), alt, width, height)
                for name, file, alt, width, height in ContentImage.objects.filter(
                    course_id=self._course_id
                ).values_list("name", "file", "alt_text", "width", "height")
            }
        return self._images

    def html(self, text: str, *, inline: bool = False) -> SafeString:
        key = (text, inline)
        rendered = self._html.get(key)
        if rendered is None:
            images = self.images() if refers_to_images(text) else {}
            rendered = mark_safe(clean(to_html(text, images, inline=inline)))  # noqa: S308
            self._html[key] = rendered
        return rendered

    def text(self, text: str) -> str:
        written = self._text.get(text)
        if written is None:
            written = self._text[text] = html_as_text(self.html(text))
        return written


_texts: PerContent[CourseTexts] = PerContent(CourseTexts.load)


def _texts_of(course: Course) -> CourseTexts:
    """The course's rendered texts, looked up once per course object, so a page showing many
    texts pays at most one identity query."""
    texts = getattr(course, _ON_COURSE, None)
    if texts is None:
        texts = _texts.of(course)
        setattr(course, _ON_COURSE, texts)
    return texts


def render_text(course: Course, text: str, *, inline: bool = False) -> SafeString:
    """``text`` of ``course`` as sanitised HTML."""
    return _texts_of(course).html(text, inline=inline)


def plain_text(course: Course, text: str) -> str:
    """``text`` of ``course`` as one line of plain text, maths written out (not yet escaped)."""
    return _texts_of(course).text(text)
