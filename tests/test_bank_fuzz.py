"""Question banks fuzzed: Moodle XML and GIFT files cut short, mutated, in other encodings,
with huge numbers, entity tricks, deep nesting and long category paths. The readers never
raise: they give questions or problems that say where they are; the dry run never raises
either; and the admin's upload and the command answer a file nothing can be read from with a
clear error (a 400, a CommandError), never a 500 or a traceback, and write nothing."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.actions.bank_import import read_bank_plan
from courses.banks.gift import parse_gift
from courses.banks.moodle_xml import parse_moodle_xml
from courses.banks.questions import ParsedBank
from courses.models import ContentImage, Course, Exercise

BANKS = Path(__file__).parent / "banks"
XML_SEEDS = [(BANKS / name).read_bytes() for name in ("fractions.xml", "pictures.xml")]
GIFT_SEED = (BANKS / "fractions.gift").read_bytes()

LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;'
          b'&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><quiz>&c;</quiz>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b"<quiz><question type='shortanswer'><name><text>&x;</text></name></question></quiz>")
PARAMETER = (b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">'
             b"%p;]><quiz/>")
XML_SNIPPETS = [
    LAUGHS, XXE, PARAMETER, b"&c;", b"&#0;", b"&#xD800;", b"&#x10FFFF;", b"<![CDATA[", b"]]>",
    b"<?pi <question type='truefalse'> ?>", b"<!-- <question> -->", b'<question type="numerical">',
    b"</question>", b'fraction="1e999"', b'fraction="nan"', b"<tolerance>1e309</tolerance>",
    b"<text>" + b"9" * 400 + b"</text>", b"<b>" * 300, b"<quiz>" * 200,
    b"<text>$course$/top/" + b"a/" * 3000 + b"</text>", b'<file name="x.png" encoding="base64">',
    b"iVBORw0KGgo=", b'<img src="@@PLUGINFILE@@/%ZZ%00.png" alt="">', b"@@PLUGINFILE@@/",
    b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3", b"\r\n", b'encoding="utf-16"',
    b'<?xml version="1.0" encoding="latin-1"?>', b"\\(" * 50, b"<a href='" * 50,
]
GIFT_SNIPPETS = [
    b"{", b"}", b"{#", b"{#1e308..1.7e308}", b"{#-1e308:1e308}", b"{#" + b"9" * 400 + b"}",
    b"~%1000%", b"=%-50%", b"->", b"::", b"::\\:", b"####", b"$CATEGORY: $course$/top/"
    + b"a/" * 3000, b"[html]<b>" * 100, b"[markdown]", b"\\", b"\x00", b"\xff", b"\n\n",
    b"{T}", b"{=a =b}", b"//", b"{" * 5000, b"<img src='x.png' alt=''>", b"\\(" * 50,
]


@st.composite
def mutated(draw: Any, seeds: list[bytes], snippets: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "delete", "insert", "flip", "repeat"]))
        if action == "cut":
            del data[at:]
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 200))]
        elif action == "insert":
            data[at:at] = draw(st.sampled_from(snippets))
        elif action == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 400))] * draw(st.integers(1, 5))
    return bytes(data)


def _encoded(raw: bytes, how: str) -> bytes:
    """The same file as another tool might save it."""
    if how == "utf-16":
        return raw.decode("utf-8", "replace").encode("utf-16")
    if how == "latin-1 declared":
        return raw.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').decode(
            "utf-8", "replace").encode("latin-1", "replace")
    if how == "cp1252 undeclared":
        return raw.decode("utf-8", "replace").encode("cp1252", "replace")
    return raw


def _check_reported(bank: ParsedBank, raw: bytes) -> None:
    lines = raw.count(b"\n") + raw.count(b"\r") + 1  # XML counts a lone CR as a line break
    assert bank.questions or bank.problems
    for problem in bank.problems:
        assert 1 <= problem.line <= lines and problem.message and str(problem)
    for question in bank.questions:
        assert 1 <= question.line <= lines and question.name and question.prompt
        assert question.kind in {"choice", "numeric", "text"}


ONE_COURSE = [HealthCheck.function_scoped_fixture]  # examples share it: nothing is written
ENCODINGS = st.sampled_from(["as is", "as is", "utf-16", "latin-1 declared",
                             "cp1252 undeclared"])


@settings(max_examples=200, deadline=None)
@given(mutated(XML_SEEDS, XML_SNIPPETS), ENCODINGS)
def test_any_moodle_xml_gives_questions_or_located_problems(raw: bytes, how: str) -> None:
    raw = _encoded(raw, how)
    _check_reported(parse_moodle_xml(raw), raw)


@settings(max_examples=200, deadline=None)
@given(mutated([GIFT_SEED], GIFT_SNIPPETS), ENCODINGS)
def test_any_gift_gives_questions_or_located_problems(raw: bytes, how: str) -> None:
    raw = _encoded(raw, how)
    _check_reported(parse_gift(raw), raw)


@settings(max_examples=60, deadline=None, suppress_health_check=ONE_COURSE)
@given(st.one_of(mutated(XML_SEEDS, XML_SNIPPETS).map(parse_moodle_xml),
                 mutated([GIFT_SEED], GIFT_SNIPPETS).map(parse_gift)))
def test_the_dry_run_of_any_bank_writes_nothing_and_never_raises(course: Course,
                                                                 bank: ParsedBank) -> None:
    before = (Exercise.objects.count(), ContentImage.objects.count())
    plan = read_bank_plan(course, bank, default_skill="adding")
    assert all(problem.line >= 1 for problem in plan.problems)
    assert len({item.key for item in plan.items}) == len(plan.items)
    assert (Exercise.objects.count(), ContentImage.objects.count()) == before


@pytest.mark.parametrize("raw, message", [
    (LAUGHS, "DTD or entities"),
    (XXE, "DTD or entities"),
    (PARAMETER, "DTD or entities"),
    (b"<quiz>" + b"<a>" * 100_000, "not well-formed"),
    (b"<quiz><question type='numerical'><name><text>n</text></name><questiontext><text>q"
     b"</text></questiontext><answer fraction='1e999'><text>1</text></answer></question></quiz>",
     "fraction (credit) is not a number"),
    (b"<quiz><question type='numerical'><name><text>n</text></name><questiontext><text>q"
     b"</text></questiontext><answer fraction='100'><text>" + b"9" * 400
     + b"</text></answer></question></quiz>", "no full-credit numeric answer"),
    ("<quiz><question type='shortanswer'><name><text>é</text></name></question></quiz>".encode(
        "latin-1"), "not UTF-8 text"),
    (b"<quiz><question type='shortanswer'><name><text>n</text></name><questiontext><text>"
     + b"x" * 200_001 + b"</text></questiontext></question></quiz>", "at most 200,000"),
    (b'<?xml version="1.0" encoding="base64"?><quiz/>', "does not read"),
    (b'<?xml version="1.0" encoding="unicode_escape"?><quiz>\\ud800</quiz>', "does not read"),
])
def test_hostile_moodle_files_are_reported(raw: bytes, message: str) -> None:
    bank = parse_moodle_xml(raw)
    assert not bank.questions and message in str(bank.problems)


def test_other_encodings_and_deep_categories_are_read() -> None:
    text = ("<?xml version='1.0' encoding='{}'?><quiz><question type='category'><category><text>"
            "$course$/top/" + "Ä/" * 3000 + "Z</text></category></question><question "
            "type='truefalse'><name><text>Größe</text></name><questiontext><text>Wahr?</text>"
            "</questiontext><answer fraction='100'><text>true</text></answer><answer "
            "fraction='0'><text>false</text></answer></question></quiz>")
    for encoding in ("ISO-8859-1", "windows-1252", "UTF-16", "UTF-8"):
        [question] = parse_moodle_xml(text.format(encoding).encode(encoding)).questions
        assert question.name == "Größe" and question.category.endswith("Ä/Ä/Z")


@pytest.mark.parametrize("raw, check", [
    (b"::R::Between?{#1e308..1.7e308}", lambda q: q.answer == 1.35e308),
    (b"::B::" + b"{" * 5000, None),
    (b"::U::Caf\xe9?{T}", None),
    (b"", None),
])
def test_hostile_gift_files_are_read_or_reported(raw: bytes, check: Any) -> None:
    bank = parse_gift(raw)
    _check_reported(bank, raw)
    if check is not None:
        assert check(bank.questions[0])


# ---------------------------------------------------------------- the doors


def _uploads() -> set[Path]:
    return set((Path(django_settings.DATA_DIR) / "bank-uploads").glob("*.bank"))


UNREADABLE = [LAUGHS, XXE, b"<quiz><question type='multichoice'>", b"\xff\xfe\x00<",
              b"<quiz></quiz>", b"", b"::Unclosed::What? {=1", b"<questions/>"]


@pytest.mark.parametrize("raw", UNREADABLE)
def test_the_admin_refuses_an_unreadable_file_with_a_400_and_keeps_nothing(
        course: Course, root: Any, raw: bytes) -> None:
    client = Client()
    client.force_login(root)
    before, uploads = (Exercise.objects.count(), ContentImage.objects.count()), _uploads()
    response = client.post(f"/admin/courses/course/{course.pk}/import-bank/",
                           {"file": SimpleUploadedFile("bank.xml", raw)})
    assert response.status_code == 400
    assert ("No question could be read" if raw else "The submitted file is empty.") in (
        response.content.decode())
    assert (Exercise.objects.count(), ContentImage.objects.count()) == before
    assert _uploads() == uploads


@pytest.mark.parametrize("raw", UNREADABLE)
def test_the_command_refuses_an_unreadable_file_and_writes_nothing(
        course: Course, tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "bank.txt"
    path.write_bytes(raw)
    before = (Exercise.objects.count(), ContentImage.objects.count())
    for confirm in ([], ["--confirm"]):
        with pytest.raises(CommandError, match="No question could be read"):
            call_command("import_bank", "mini", str(path), *confirm, stdout=io.StringIO())
    assert (Exercise.objects.count(), ContentImage.objects.count()) == before


@settings(max_examples=25, deadline=None, suppress_health_check=ONE_COURSE)
@given(st.one_of(mutated(XML_SEEDS, XML_SNIPPETS), mutated([GIFT_SEED], GIFT_SNIPPETS)))
def test_the_admin_and_the_command_never_fail_on_any_file(course: Course, root: Any,
                                                          tmp_path_factory: Any,
                                                          raw: bytes) -> None:
    client = Client()
    client.force_login(root)
    before = (Exercise.objects.count(), ContentImage.objects.count())
    response = client.post(f"/admin/courses/course/{course.pk}/import-bank/",
                           {"file": SimpleUploadedFile("bank", raw), "default_skill": "adding"})
    assert response.status_code in {200, 400}
    path = tmp_path_factory.mktemp("bank") / "bank"
    path.write_bytes(raw)
    try:
        call_command("import_bank", "mini", str(path), "--default-skill", "adding",
                     stdout=io.StringIO())
    except CommandError as error:
        assert "No question could be read" in str(error)
    assert (Exercise.objects.count(), ContentImage.objects.count()) == before
