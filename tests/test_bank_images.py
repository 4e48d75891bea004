"""Question banks with pictures (tests/banks/pictures.xml, shaped like Moodle's export: files
embedded beside each text, referred to as @@PLUGINFILE@@): the images come along as course
images and the imported exercise shows them; refused ones are reported with the question and
its line, the rest imports; importing again stores nothing twice; and a course's images go
back out in its Moodle XML export and read back into a copy."""
from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from courses.actions import bank_import as bank_import_module
from courses.actions.bank_images import IN_COURSE, STORE
from courses.actions.bank_import import import_bank, parse_bank, read_bank_plan
from courses.actions.course_import import import_course
from courses.banks.moodle_xml import parse_moodle_xml
from courses.models import ContentImage, Course, Exercise
from courses.queries.bank_export import course_as_moodle_xml
from courses.queries.course_export import export_course
from courses.rendering.texts import render_text
from tests.content_support import image_bytes, make_image
from tests.factories import small_course_document

PICTURES = (Path(__file__).parent / "banks" / "pictures.xml").read_bytes()
IMPORTED = {"Shaded part", "Same pie again", "Picture from elsewhere", "Written in Markdown"}


def stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def _plan(course: Course, raw: bytes = PICTURES) -> Any:
    return read_bank_plan(course, parse_bank(raw, "moodle-xml"), default_skill="halves")


def _line_of(question: str) -> int:
    """The line of the question's <question> element in pictures.xml."""
    lines = PICTURES.decode().splitlines()
    at = next(i for i, line in enumerate(lines) if f"<text>{question}</text>" in line)
    return next(i for i in range(at, 0, -1) if "<question " in lines[i]) + 1


def test_each_text_shows_its_embedded_images_as_course_images() -> None:
    bank = parse_moodle_xml(PICTURES)
    questions = {question.name: question for question in bank.questions}
    shaded = questions["Shaded part"]
    assert shaded.prompt == ("What part of the circle is **shaded**?\n"
                             "![a circle, one half shaded red](image:pie-chart-1)\n\n"
                             "Write it as 1\\*x\\* = ?")
    assert shaded.solution.endswith("![a number line from 0 to 1, marked at 1/2](image:line)")
    assert shaded.choices[0].text == "$\\frac{1}{2}$ ![a tick](image:tick)"
    assert [image.filename for image in shaded.images] == ["Pie chart (1).png", "line.png",
                                                           "tick.gif"]
    same = questions["Same pie again"]  # another file name, the same picture: one image
    assert same.images == [shaded.images[0]] and "(image:pie-chart-1)" in same.prompt
    markdown = questions["Written in Markdown"]
    assert markdown.prompt == ("Which fraction does ![the number line, marked at one half]"
                               "(image:line) mark?")
    refused = {problem.question: problem for problem in bank.skipped}
    assert "no alt text" in refused["No alt text"].message
    assert "not embedded" in refused["Missing file"].message
    for name, problem in refused.items():
        assert problem.line == _line_of(name)
    elsewhere = [p for p in bank.problems if p.question == "Picture from elsewhere"]
    assert not elsewhere[0].skipped and "https://example.com/square.png" in elsewhere[0].message


def test_the_dry_run_lists_the_images_and_refuses_what_is_not_one(course: Course) -> None:
    files = stored_files()
    plan = _plan(course)
    assert {item.question.name for item in plan.items} == IMPORTED
    assert [(image.filename, image.name, image.action, image.width, image.height)
            for image in plan.images] == [
        ("Pie chart (1).png", "pie-chart-1", STORE, 4, 4), ("line.png", "line", STORE, 8, 2),
        ("tick.gif", "tick", STORE, 3, 3)]
    assert plan.images[0].questions == ("Shaded part", "Same pie again")
    drawing = next(p for p in plan.skipped if p.question == "Not a picture")
    assert "'drawing.png' cannot be stored" in drawing.message
    assert "not a PNG, JPEG, GIF or WebP" in drawing.message
    assert drawing.line == _line_of("Not a picture")
    assert ContentImage.objects.count() == 0 and stored_files() == files


def test_the_import_stores_each_image_once_and_the_exercise_shows_it(course: Course) -> None:
    counts = import_bank(_plan(course))
    assert counts["create"] == len(IMPORTED)
    images = {image.name: image for image in ContentImage.objects.filter(course=course)}
    assert set(images) == {"pie-chart-1", "line", "tick"}
    assert images["pie-chart-1"].alt_text == "a circle, one half shaded red"
    assert images["tick"].content_type == "image/gif"
    shaded = Exercise.objects.get(course=course, key="shaded-part")
    html = render_text(Course.objects.get(pk=course.pk), shaded.prompt)
    assert (f'<img class="content-image" src="{images["pie-chart-1"].file.url}" '
            'alt="a circle, one half shaded red" width="4" height="4"') in html
    assert "<strong>shaded</strong>" in html and "1*x* = ?" in html
    option = shaded.choices.get(is_correct=True)
    assert "a tick" in render_text(course, option.text, inline=True)
    files = stored_files()
    again = _plan(course)
    assert {item.action for item in again.items} == {"unchanged"}
    assert {image.action for image in again.images} == {IN_COURSE}
    import_bank(again)
    assert ContentImage.objects.filter(course=course).count() == 3
    assert stored_files() == files


def test_a_course_image_of_the_same_name_keeps_its_name_and_same_content_is_reused(
        course: Course) -> None:
    make_image(course, name="line", content=image_bytes((5, 5)))  # another picture
    pie = parse_moodle_xml(PICTURES).questions[0].images[0]
    make_image(course, name="my-pie", content=pie.data)  # this picture, by another name
    plan = _plan(course)
    names = {image.filename: (image.name, image.action) for image in plan.images}
    assert names["Pie chart (1).png"] == ("my-pie", IN_COURSE)
    line_name, action = names["line.png"]
    assert line_name.startswith("line-") and action == STORE
    import_bank(plan)
    shaded = Exercise.objects.get(course=course, key="shaded-part")
    assert "(image:my-pie)" in shaded.prompt and f"(image:{line_name})" in shaded.solution
    assert {item.action for item in _plan(course).items} == {"unchanged"}


def test_a_failed_import_leaves_no_image_files(course: Course, monkeypatch: Any) -> None:
    files = stored_files()

    def broken(*args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(bank_import_module, "_write_exercises", broken)
    with pytest.raises(RuntimeError):
        import_bank(_plan(course))
    assert ContentImage.objects.count() == 0 and stored_files() == files


def test_the_export_carries_the_images_and_reads_back_into_a_copy(course: Course) -> None:
    import_bank(_plan(course))
    make_image(course, name="dot", alt_text="A red dot")
    Exercise.objects.filter(course=course, key="elsewhere").update(
        prompt="Name this shape: ![](image:dot)")
    exported = course_as_moodle_xml(course)
    text = exported.decode()
    assert '<file name="pie-chart-1.png" path="/" encoding="base64">' in text
    assert "![a circle, one half shaded red](@@PLUGINFILE@@/pie-chart-1.png)" in text
    assert "![A red dot](@@PLUGINFILE@@/dot.png)" in text  # the stored alt where none is given
    copy = import_course(small_course_document(slug="copy")).course
    copy.exercises.all().delete()
    plan = read_bank_plan(copy, parse_moodle_xml(exported))
    assert not plan.problems
    import_bank(plan)

    def shape(c: Course) -> dict[str, Any]:
        return {e["key"]: {k: v for k, v in e.items() if k != "status"}
                for e in export_course(c)["exercises"] if e["status"] == "active"}

    original, copied = shape(course), shape(copy)
    original["elsewhere"]["prompt"] = "Name this shape: ![A red dot](image:dot)"
    assert copied == original

    def pictures(c: Course) -> dict[str, tuple[str, bytes]]:
        return {i.name: (i.content_type, i.file.read())
                for i in ContentImage.objects.filter(course=c)}

    assert pictures(copy) == pictures(course)  # alt texts: the first text showing each
    back = read_bank_plan(course, parse_moodle_xml(exported))  # into the course it came from
    assert {image.action for image in back.images} == {IN_COURSE}
    assert {item.key for item in back.items if item.action != "unchanged"} == {"elsewhere"}


def test_the_admin_preview_lists_the_images_and_the_confirm_stores_them(
        course: Course, root: Any) -> None:
    client = Client()
    client.force_login(root)
    url = f"/admin/courses/course/{course.pk}/import-bank/"
    preview = client.post(url, {"file": SimpleUploadedFile("pictures.xml", PICTURES),
                                "default_skill": "halves"})
    page = preview.content.decode()
    assert preview.status_code == 200 and ContentImage.objects.count() == 0
    assert "Pie chart (1).png" in page and "pie-chart-1" in page and "3</b> image(s)" in page
    assert "Not a picture" in page and "not a PNG" in page
    done = client.post(url, {"token": preview.context["token"], "default_skill": "halves",
                             "action": "confirm"})
    assert done.status_code == 302
    assert ContentImage.objects.filter(course=course).count() == 3


def test_the_command_prints_the_images_it_would_store(course: Course, tmp_path: Path) -> None:
    path = tmp_path / "pictures.xml"
    path.write_bytes(PICTURES)
    out = io.StringIO()
    call_command("import_bank", "mini", str(path), "--default-skill", "halves", stdout=out)
    assert "image Pie chart (1).png -> image:pie-chart-1: store (4 × 4)" in out.getvalue()
    assert ContentImage.objects.count() == 0
    call_command("import_bank", "mini", str(path), "--default-skill", "halves", "--confirm",
                 stdout=out, stderr=io.StringIO())
    assert "3 image(s) stored" in out.getvalue()
    exported = tmp_path / "out.xml"
    call_command("export_bank", "mini", str(exported), stdout=io.StringIO())
    tick = base64.b64encode(ContentImage.objects.get(name="tick").file.read()).decode()
    assert f'<file name="tick.gif" path="/" encoding="base64">{tick}</file>' in (
        exported.read_text())


@pytest.mark.parametrize("limit, value, message", [
    ("LEARNPATH_IMAGE_MAX_BYTES", 60, "bytes"),
    ("LEARNPATH_IMAGE_MAX_PIXELS", 10, "pixels"),
])
def test_an_image_over_the_limits_keeps_its_question_out(course: Course, settings: Any,
                                                         limit: str, value: int,
                                                         message: str) -> None:
    setattr(settings, limit, value)
    plan = _plan(course)
    refused = {problem.question: problem.message for problem in plan.skipped}
    assert "Same pie again" in refused and message in refused["Shaded part"]
    assert "Written in Markdown" in refused  # the number line is 16 pixels, 8 × 2
    assert plan.images == [] and {item.question.name for item in plan.items} == {
        "Picture from elsewhere"}
