"""Question banks: Moodle XML and GIFT files shaped like what Moodle exports and teachers keep
(tests/banks/), broken ones, fuzzed ones; the dry run, the import, importing again, the admin's
upload-preview-confirm, the command, and Moodle XML export read back."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from courses.actions.bank_import import (
    import_bank,
    parse_bank,
    parse_mapping,
    read_bank_plan,
    read_format,
)
from courses.actions.course_import import import_course
from courses.banks.gift import parse_gift
from courses.banks.moodle_export import moodle_xml_of
from courses.banks.moodle_xml import parse_moodle_xml
from courses.banks.questions import exercise_key
from courses.errors import InvalidInput
from courses.models import Course, Exercise
from courses.queries.course_export import export_course
from tests.factories import small_course_document

BANKS = Path(__file__).parent / "banks"
XML = (BANKS / "fractions.xml").read_bytes()
GIFT = (BANKS / "fractions.gift").read_bytes()
IMPORTED = {"Which is one half?", "Equal to one half", "Two halves", "Quarter in words",
            "Three quarters as a decimal"}


def _by_name(bank: Any) -> dict[str, Any]:
    return {question.name: question for question in bank.questions}


# ---------------------------------------------------------------- reading the formats


@pytest.mark.parametrize("raw, reader", [(XML, parse_moodle_xml), (GIFT, parse_gift)],
                         ids=["moodle-xml", "gift"])
def test_both_formats_read_the_same_questions(raw: bytes, reader: Any) -> None:
    bank = reader(raw)
    questions = _by_name(bank)
    assert set(questions) >= IMPORTED
    half = questions["Which is one half?"]
    assert half.kind == "choice" and half.category == "Fractions/Halves"
    assert [(c.text, c.correct) for c in half.choices] == [
        ("1/2", True), ("1/3", False), ("2/3", False)]
    assert half.prompt.startswith("Which of these is **one half**?")
    assert "One of two equal parts" in half.solution
    several = questions["Equal to one half"]
    assert [c.correct for c in several.choices] == [True, True, False]
    assert [c.text for c in questions["Two halves"].choices] == ["True", "False"]
    assert questions["Two halves"].choices[0].correct
    words = questions["Quarter in words"]
    assert words.kind == "text" and words.accepted == ["one quarter", "one fourth"]
    assert words.category == "Fractions/Quarters"
    number = questions["Three quarters as a decimal"]
    assert (number.kind, number.answer, number.tolerance) == ("numeric", 0.75, 0.001)
    skipped = {problem.question: problem for problem in bank.problems if problem.skipped}
    assert {"Explain fractions", "Match the fractions"} <= set(skipped)
    notes = [p for p in bank.problems if not p.skipped]
    assert any(p.question == "Quarter in words" and "partial" in p.message for p in notes)


def test_moodle_xml_keeps_lines_tags_hints_idnumbers_and_images() -> None:
    questions = _by_name(parse_moodle_xml(XML))
    half = questions["Which is one half?"]
    text = XML.decode()
    assert text.splitlines()[half.line - 1].strip() == '<question type="multichoice">'
    assert half.tags == ["halves"] and half.hint == "Two equal parts."
    assert half.source_id == "half-1" and exercise_key(half) == "half-1"
    assert [(image.name, image.filename) for image in half.images] == [("half", "half.png")]
    assert half.images[0].data.startswith(b"\x89PNG")
    assert half.prompt.endswith("![a circle, half shaded](image:half)")
    essay = next(p for p in parse_moodle_xml(XML).problems if p.question == "Explain fractions")
    assert text.splitlines()[essay.line - 1].strip() == '<question type="essay">'
    assert "essay" in essay.message


def test_gift_reports_where_its_problems_are() -> None:
    bank = parse_gift(GIFT)
    lines = GIFT.decode().splitlines()
    unclosed = next(p for p in bank.problems if p.question == "Unclosed")
    assert lines[unclosed.line - 1].startswith("::Unclosed::") and "}" in unclosed.message
    escapes = _by_name(bank)["Escapes"]
    assert escapes.prompt == "Is 1=1 and a {brace} fine?"


@pytest.mark.parametrize("raw, message", [
    (b"<quiz><question type='multichoice'>", "not well-formed"),
    (b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY big "x">]><quiz>&big;</quiz>', "DTD"),
    (b"<questions/>", "starts with <quiz>"),
    (b"<quiz>\n<question>\xff</question></quiz>", "line 2"),
    (b'<?xml version="1.0" encoding="klingon"?><quiz/>', "encoding"),
    (b"<quiz>\n</quiz>", "no questions"),
])
def test_a_broken_moodle_file_is_one_clear_problem(raw: bytes, message: str) -> None:
    bank = parse_moodle_xml(raw)
    assert bank.questions == [] and len(bank.problems) == 1
    assert message in str(bank.problems[0])


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}=~#%:.->\\ \n:abc123T$[]/")), max_size=200))
def test_gift_never_breaks_on_any_text(text: str) -> None:
    bank = parse_gift(text)
    for question in bank.questions:
        assert question.prompt and question.kind in {"choice", "numeric", "text"}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([
    "<quiz>", "</quiz>", "<question type='multichoice'>", "<question type='numerical'>",
    "</question>", "<name><text>n</text></name>", "<questiontext><text>q</text></questiontext>",
    "<answer fraction='100'><text>1</text></answer>", "<answer fraction='x'>", "</answer>",
    "<answer fraction='-50'><text>2</text></answer>", "<single>false</single>",
    "<tolerance>abc</tolerance>", "<file name='a' encoding='base64'>!!</file>", "<![CDATA[<b>",
    "]]>", "&amp;", "&nope;"]), max_size=25))
def test_moodle_xml_never_breaks_on_any_shape(parts: list[str]) -> None:
    bank = parse_moodle_xml("".join(parts))
    assert bank.questions or bank.problems or "".join(parts).count("<question") == 0


# ---------------------------------------------------------------- planning and importing


@pytest.mark.parametrize("raw, bank_format", [(XML, "moodle-xml"), (GIFT, "gift")])
def test_the_dry_run_writes_nothing_and_the_import_makes_each_exercise_once(
        course: Course, raw: bytes, bank_format: str) -> None:
    before = Exercise.objects.count()
    assert read_format("bank.txt", raw) == bank_format
    plan = read_bank_plan(course, parse_bank(raw, bank_format))
    assert plan.sources == {"Fractions/Halves": "halves", "Fractions/Quarters": "quarters",
                            **({"tag:halves": "halves"} if bank_format == "moodle-xml" else {})}
    assert {item.question.name for item in plan.items} >= IMPORTED
    assert Exercise.objects.count() == before  # a dry run
    counts = import_bank(plan)
    assert counts["create"] == len(plan.items)
    made = {e.key: e for e in Exercise.objects.filter(course=course).exclude(
        key__in=[e["key"] for e in small_course_document()["exercises"]])}
    assert len(made) == len(plan.items)
    numeric = next(e for e in made.values() if e.kind == "numeric")
    assert (numeric.numeric_answer, numeric.tolerance) == (0.75, 0.001)
    assert list(numeric.skills.values_list("key", flat=True)) == ["quarters"]
    again = read_bank_plan(course, parse_bank(raw, bank_format))
    assert {item.action for item in again.items} == {"unchanged"}
    import_bank(again)
    assert Exercise.objects.count() == before + len(plan.items)  # no copies


def test_an_edited_question_updates_its_exercise(course: Course) -> None:
    import_bank(read_bank_plan(course, parse_gift(GIFT)))
    edited = GIFT.replace(b"{#0.75:0.001}", b"{#0.75:0.01}")
    plan = read_bank_plan(course, parse_gift(edited))
    updated = [item for item in plan.items if item.action == "update"]
    assert [item.question.name for item in updated] == ["Three quarters as a decimal"]
    import_bank(plan)
    assert Exercise.objects.get(course=course, key=updated[0].key).tolerance == 0.01


def test_unmapped_questions_are_left_out_and_a_mapping_or_default_brings_them_in(
        course: Course) -> None:
    bank = parse_gift(b"$CATEGORY: $course$/top/Decimals\n\n::D::0.5 = ?{=1/2 ~1/3}\n")
    plan = read_bank_plan(course, bank)
    assert plan.items == [] and "no skill for Decimals" in plan.skipped[0].message
    mapped = read_bank_plan(course, bank, {"Decimals": "adding"})
    assert mapped.items[0].item["skills"] == ["adding"]
    defaulted = read_bank_plan(course, bank, default_skill="quarters")
    assert defaulted.items[0].item["skills"] == ["quarters"]
    with pytest.raises(InvalidInput, match="does not have"):
        read_bank_plan(course, bank, {"Decimals": "nope"})
    with pytest.raises(InvalidInput):
        parse_mapping('["not", "an object"]')


def test_a_bank_of_2000_questions_imports(course: Course) -> None:
    blocks = [f"::Q{i}::What is {i} + 1?{{#{i + 1}:0}}" if i % 3 else
              f"::Q{i}::Is {i} even?{{{'T' if i % 2 == 0 else 'F'}}}" for i in range(2000)]
    raw = ("$CATEGORY: $course$/top/Adding\n\n" + "\n\n".join(blocks)).encode()
    plan = read_bank_plan(course, parse_gift(raw))
    assert len(plan.items) == 2000 and not plan.problems
    assert import_bank(plan)["create"] == 2000
    assert Exercise.objects.filter(course=course, skills__key="adding").count() == 2002


# ---------------------------------------------------------------- export, command, admin


def test_moodle_xml_export_reads_back_into_the_same_exercises(course: Course) -> None:
    exported = moodle_xml_of(export_course(course))
    copy = import_course(small_course_document(slug="copy")).course
    copy.exercises.all().delete()
    bank = parse_moodle_xml(exported)
    assert not bank.problems
    import_bank(read_bank_plan(copy, bank))
    def shape(c: Course) -> dict[str, Any]:
        return {e["key"]: {k: v for k, v in e.items() if k != "status"}
                for e in export_course(c)["exercises"] if e["status"] == "active"}
    got, want = shape(copy), shape(course)
    assert {k: {f: (v, want[k].get(f)) for f, v in e.items() if v != want[k].get(f)}
            for k, e in got.items()} == {k: {} for k in want}


def test_the_command_is_a_dry_run_until_confirmed(course: Course, tmp_path: Path) -> None:
    path = tmp_path / "bank.gift"
    path.write_bytes(GIFT)
    before = Exercise.objects.count()
    out = io.StringIO()
    call_command("import_bank", "mini", str(path), stdout=out)
    assert "Dry run" in out.getvalue() and "line" in out.getvalue()
    assert Exercise.objects.count() == before
    call_command("import_bank", "mini", str(path), "--confirm", stdout=out, stderr=io.StringIO())
    assert Exercise.objects.count() == before + len(IMPORTED) + 1
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"Fractions/Halves": "nope"}))
    with pytest.raises(CommandError, match="does not have"):
        call_command("import_bank", "mini", str(path), "--mapping", str(mapping),
                     stdout=io.StringIO())
    exported = tmp_path / "out.xml"
    call_command("export_bank", "mini", str(exported), stdout=io.StringIO())
    assert exported.read_bytes().startswith(b"<?xml")


def test_the_admin_previews_then_imports_with_the_chosen_skills(course: Course, root: Any
                                                               ) -> None:
    client = Client()
    client.force_login(root)
    url = f"/admin/courses/course/{course.pk}/import-bank/"
    before = Exercise.objects.count()
    preview = client.post(url, {"file": SimpleUploadedFile("bank.xml", XML)})
    assert preview.status_code == 200 and Exercise.objects.count() == before
    page = preview.content.decode()
    assert "Fractions/Halves" in page and "essay" in page
    token = preview.context["token"]
    labels = [label for label, _ in preview.context["labels"]]
    skills = ["adding" if label == "Fractions/Quarters" else "" for label in labels]
    done = client.post(url, {"token": token, "label": labels, "skill": skills,
                             "action": "confirm"})
    assert done.status_code == 302
    words = Exercise.objects.get(course=course, prompt__contains="1/4 in words",
                                 key__startswith="quarter-in-words")
    assert list(words.skills.values_list("key", flat=True)) == ["adding"]
    replay = client.post(url, {"token": token, "label": labels, "skill": skills,
                               "action": "confirm"})
    assert replay.status_code == 400 and "already imported" in replay.content.decode()
    other = import_course(small_course_document(slug="other")).course
    stolen = client.post(f"/admin/courses/course/{other.pk}/import-bank/",
                         {"token": token, "action": "confirm"})
    assert stolen.status_code == 400
    tampered = client.post(url, {"token": token + "x", "action": "confirm"})
    assert tampered.status_code == 400
    assert client.post(url, {}).status_code == 400  # no file
    export = client.get(f"/admin/courses/course/{course.pk}/export-bank/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/xml")
