"""A course's texts rendered once per process and content version.

Each text is rendered the first time a page shows it and kept with the course's content
identity (:class:`courses.queries.per_content.PerContent`); uploading, changing or deleting an
image raises the content version like any other content change, so a text never shows a stale
image. The course's images are read (one query) only when a text refers to one.
"""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.utils.safestring import SafeString, mark_safe

from courses.models import ContentImage, Course
from courses.queries.per_content import PerContent
from courses.rendering.markdown import ImageRef, refers_to_images, to_html
from courses.rendering.sanitise import clean

_ON_COURSE = "_rendered_texts"


class CourseTexts:
    def __init__(self, course_id: int) -> None:
        self._course_id = course_id
        self._html: dict[tuple[str, bool], SafeString] = {}
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


_texts: PerContent[CourseTexts] = PerContent(CourseTexts.load)


def render_text(course: Course, text: str, *, inline: bool = False) -> SafeString:
    """``text`` of ``course`` as sanitised HTML. The course's rendered texts are looked up once
    per course object, so a page showing many texts pays at most one identity query."""
    texts = getattr(course, _ON_COURSE, None)
    if texts is None:
        texts = _texts.of(course)
        setattr(course, _ON_COURSE, texts)
    return texts.html(text, inline=inline)
