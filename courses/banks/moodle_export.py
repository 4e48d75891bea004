"""A course's exercises as a Moodle XML question bank (what Moodle's question bank imports):
one category per skill (the exercise's first skill) below the course's, every skill key as a
tag, the exercise key as Moodle's idnumber — so importing the file back here, into this course
or a copy, maps each question onto the same skills and the same exercise."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from courses.banks.questions import DIFFICULTY_TAG


def _text(parent: ET.Element, tag: str, value: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    ET.SubElement(element, "text").text = value
    return element


def _fraction(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def moodle_xml_of(document: Mapping[str, Any]) -> bytes:
    """The course document (:func:`courses.queries.course_export.export_course`) as Moodle
    XML; retired exercises are left out."""
    quiz = ET.Element("quiz")
    names = {skill["key"]: skill["name"] for skill in document["skills"]}
    title = document["course"]["title"].replace("/", "-")
    current = None
    for exercise in sorted((e for e in document["exercises"] if e.get("status") != "retired"),
                           key=lambda e: (names.get(e["skills"][0], ""), e["key"])):
        category = f"$course$/top/{title}/{names.get(exercise['skills'][0], '').replace('/', '-')}"
        if category != current:
            element = ET.SubElement(quiz, "question", type="category")
            _text(element, "category", category)
            current = category
        quiz.append(_question(exercise))
    ET.indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="utf-8")


def _question(exercise: Mapping[str, Any]) -> ET.Element:
    kind = {"choice": "multichoice", "numeric": "numerical", "text": "shortanswer"}[
        exercise["kind"]]
    question = ET.Element("question", type=kind)
    _text(question, "name", exercise["key"])
    _text(question, "questiontext", exercise["prompt"], format="markdown")
    _text(question, "generalfeedback", exercise.get("solution", ""), format="markdown")
    ET.SubElement(question, "defaultgrade").text = "1"
    ET.SubElement(question, "idnumber").text = exercise["key"]
    if kind == "multichoice":
        choices = exercise["choices"]
        right = sum(1 for c in choices if c["correct"])
        ET.SubElement(question, "single").text = "true" if right == 1 else "false"
        ET.SubElement(question, "shuffleanswers").text = "true"
        for choice in choices:
            credit = 100 / right if choice["correct"] else (0 if right == 1 else -100)
            _text(question, "answer", choice["text"], fraction=_fraction(credit),
                  format="markdown")
    elif kind == "numerical":
        answer = _text(question, "answer", repr(float(exercise["answer"])), fraction="100")
        ET.SubElement(answer, "tolerance").text = repr(float(exercise.get("tolerance", 0)))
    else:
        ET.SubElement(question, "usecase").text = "0"
        for accepted in exercise["accepted"]:
            _text(question, "answer", accepted, fraction="100")
    if exercise.get("hint"):
        _text(question, "hint", exercise["hint"], format="markdown")
    tags = ET.SubElement(question, "tags")
    for key in exercise["skills"]:
        _text(tags, "tag", key)
    _text(tags, "tag", f"{DIFFICULTY_TAG}{exercise.get('difficulty', 2)}")
    return question
