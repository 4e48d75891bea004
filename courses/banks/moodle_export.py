"""A course's exercises as a Moodle XML question bank (what Moodle's question bank imports):
one category per skill (the exercise's first skill) below the course's, every skill key as a
tag, the exercise key as Moodle's idnumber — so importing the file back here, into this course
or a copy, maps each question onto the same skills and the same exercise.

The texts go as Moodle's Markdown; a course image a text shows (``![alt](image:NAME)``) goes
inside that text's element as Moodle embeds files (``<file name="NAME.png" path="/"
encoding="base64">``), referred to as ``@@PLUGINFILE@@/NAME.png`` and with the image's stored
alt text where the text gives none. Kinds Moodle XML has no question type for (programs) are
left out, like retired exercises."""
from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from courses.banks.moodle_text import escape_text
from courses.banks.questions import DIFFICULTY_TAG

QUESTION_TYPES = {"choice": "multichoice", "numeric": "numerical", "text": "shortanswer"}
_IMAGE = re.compile(r"!\[((?:[^\]\\\n]|\\.)*)\]\(image:([a-z0-9][a-z0-9_-]*)\)")


@dataclass(frozen=True)
class ExportImage:
    filename: str  # NAME.png
    alt: str
    data: bytes


def image_names(document: Mapping[str, Any]) -> set[str]:
    """The course images the exercises' texts show."""
    texts = [text for exercise in document["exercises"] for text in (
        exercise.get("prompt", ""), exercise.get("hint", ""), exercise.get("solution", ""),
        *(choice["text"] for choice in exercise.get("choices", [])))]
    return {match.group(2) for text in texts for match in _IMAGE.finditer(text or "")}


def _text(parent: ET.Element, tag: str, value: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    ET.SubElement(element, "text").text = value
    return element


def _rich(parent: ET.Element, tag: str, value: str, images: Mapping[str, ExportImage],
          **attributes: str) -> ET.Element:
    """A Markdown text, with the course images it shows embedded beside it."""
    shown: dict[str, ExportImage] = {}

    def embed(match: re.Match[str]) -> str:
        image = images.get(match.group(2))
        if image is None:
            return match.group()
        shown[image.filename] = image
        alt = match.group(1) or escape_text(image.alt)
        return f"![{alt}](@@PLUGINFILE@@/{image.filename})"

    element = _text(parent, tag, _IMAGE.sub(embed, value), format="markdown", **attributes)
    for filename, image in shown.items():
        ET.SubElement(element, "file", name=filename, path="/", encoding="base64").text = (
            base64.b64encode(image.data).decode("ascii"))
    return element


def _fraction(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def moodle_xml_of(document: Mapping[str, Any],
                  images: Mapping[str, ExportImage] | None = None) -> bytes:
    """The course document (:func:`courses.queries.course_export.export_course`) as Moodle
    XML, with ``images`` (course image name -> its file) embedded where the texts show them;
    retired exercises and kinds Moodle has no type for are left out."""
    quiz = ET.Element("quiz")
    names = {skill["key"]: skill["name"] for skill in document["skills"]}
    title = document["course"]["title"].replace("/", "-")
    current = None
    kept = (e for e in document["exercises"]
            if e.get("status") != "retired" and e["kind"] in QUESTION_TYPES)
    for exercise in sorted(kept,
                           key=lambda e: (names.get(e["skills"][0], ""), e["key"])):
        category = f"$course$/top/{title}/{names.get(exercise['skills'][0], '').replace('/', '-')}"
        if category != current:
            element = ET.SubElement(quiz, "question", type="category")
            _text(element, "category", category)
            current = category
        quiz.append(_question(exercise, images or {}))
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="utf-8")


def _question(exercise: Mapping[str, Any], images: Mapping[str, ExportImage]) -> ET.Element:
    kind = QUESTION_TYPES[exercise["kind"]]
    question = ET.Element("question", type=kind)
    _text(question, "name", exercise["key"])
    _rich(question, "questiontext", exercise["prompt"], images)
    _rich(question, "generalfeedback", exercise.get("solution", ""), images)
    ET.SubElement(question, "defaultgrade").text = "1"
    ET.SubElement(question, "idnumber").text = exercise["key"]
    if kind == "multichoice":
        choices = exercise["choices"]
        right = sum(1 for c in choices if c["correct"])
        ET.SubElement(question, "single").text = "true" if right == 1 else "false"
        ET.SubElement(question, "shuffleanswers").text = "true"
        for choice in choices:
            credit = 100 / right if choice["correct"] else (0 if right == 1 else -100)
            _rich(question, "answer", choice["text"], images, fraction=_fraction(credit))
    elif kind == "numerical":
        answer = _text(question, "answer", repr(float(exercise["answer"])), fraction="100")
        ET.SubElement(answer, "tolerance").text = repr(float(exercise.get("tolerance", 0)))
    else:
        ET.SubElement(question, "usecase").text = "0"
        for accepted in exercise["accepted"]:
            _text(question, "answer", accepted, fraction="100")
    if exercise.get("hint"):
        _rich(question, "hint", exercise["hint"], images)
    tags = ET.SubElement(question, "tags")
    for key in exercise["skills"]:
        _text(tags, "tag", key)
    _text(tags, "tag", f"{DIFFICULTY_TAG}{exercise.get('difficulty', 2)}")
    return question
