"""A course as a Moodle XML question bank (:mod:`courses.banks.moodle_export`), with the
images its texts show read from storage."""
from __future__ import annotations

from typing import Any

from courses.banks.moodle_export import ExportImage, image_names, moodle_xml_of
from courses.models import ContentImage, Course
from courses.queries.course_export import export_course


def _images(course: Course, names: set[str]) -> dict[str, ExportImage]:
    found: dict[str, ExportImage] = {}
    for image in ContentImage.objects.filter(course=course, name__in=names):
        try:
            with image.file.open("rb") as stored:
                data = stored.read()
        except (OSError, ValueError):  # the file is gone: the text keeps its reference
            continue
        found[image.name] = ExportImage(f"{image.name}.{image.extension}", image.alt_text, data)
    return found


def course_as_moodle_xml(course: Course) -> bytes:
    document: dict[str, Any] = export_course(course)
    return moodle_xml_of(document, _images(course, image_names(document)))
