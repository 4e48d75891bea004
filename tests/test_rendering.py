"""Authors' texts rendered: maths placeholders, tables, highlighted code, images, links, mixed
numbers; kept per content version; plain texts of before kept reading as written; the demo's
texts all render."""
from __future__ import annotations

import json
import re
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.actions.enrolment import enrol
from courses.models import Attempt, Choice, Course, Exercise, Skill
from courses.queries.per_content import read_now
from courses.rendering.markdown import ImageRef, to_html
from courses.rendering.plain import as_markdown, reads_the_same, visible_text
from courses.rendering.sanitise import clean
from courses.rendering.texts import render_text
from tests.content_support import make_image
from tests.factories import answer

DEMO = Path(__file__).resolve().parents[1] / "courses" / "demo"
MATHS = re.compile(r'<(span|div) class="math"[^>]*>.*?</\1>', re.DOTALL)
DOT = ImageRef("/media/content-images/1/abc.png", "A red dot", 40, 30)


def html(text: str, **images: ImageRef) -> str:
    return clean(to_html(text, images))


# ---------------------------------------------------------------- maths


def test_inline_and_displayed_maths_become_placeholders_holding_the_tex() -> None:
    page = html("Work out $\\frac{3}{4} + x^2$ now.\n\n$$a < b$$")
    assert '<span class="math" data-display="0">\\frac{3}{4} + x^2</span>' in page
    assert '<div class="math" data-display="1">a &lt; b</div>' in page


def test_dollars_that_are_money_or_escaped_stay_dollars() -> None:
    assert 'class="math"' not in html("It costs $5 and $10, or $ 3 $.")
    assert 'class="math"' not in html("Not maths: \\$x\\$")
    assert visible_text("Not maths: \\$x\\$") == "Not maths: $x$"


def test_tex_cannot_smuggle_markup_into_the_placeholder() -> None:
    page = html("$\\text{<img src=x onerror=alert(1)>}$")
    assert "<img" not in page and "onerror=alert" in page  # shown as text, escaped


# ---------------------------------------------------------------- tables and code


def test_tables_keep_their_alignment_as_classes_and_no_css() -> None:
    page = html("| Number | Percent | Note |\n|:--|--:|:-:|\n| 0.7 | 70% | x |")
    assert "<table>" in page and "style" not in page
    assert '<th class="align-left">Number</th>' in page
    assert '<td class="align-right">70%</td>' in page and '<td class="align-center">x</td>' in page


def test_fenced_code_is_highlighted_by_language_and_otherwise_shown_as_written() -> None:
    python = html("```python\ndef half(x):\n    return x / 2\n```")
    assert '<pre class="highlight"><code><span class="k">def</span>' in python
    assert '<span class="nf">half</span>' in python
    unknown = html("```no-such-language\n<b>a</b> & b\n```")
    assert '<pre class="highlight"><code>&lt;b&gt;a&lt;/b&gt; &amp; b' in unknown


def test_an_authors_raw_html_is_shown_as_typed() -> None:
    page = html("Use <b>bold</b> and <script>alert(1)</script>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<script" not in page and "<b>" not in page


# ---------------------------------------------------------------- images and links


def test_an_image_by_name_is_the_courses_upload_at_its_size_with_its_alt_text() -> None:
    page = html("![](image:dot) and ![Mine](image:dot)", dot=DOT)
    assert ('<img class="content-image" src="/media/content-images/1/abc.png" alt="A red dot" '
            'width="40" height="30" loading="lazy">') in page
    assert 'alt="Mine"' in page


def test_an_unknown_image_name_shows_a_note_the_author_can_see() -> None:
    assert '<span class="missing-image">[no image named “nothing”]</span>' in html(
        "![](image:nothing)")


def test_images_load_only_from_the_sites_media_and_static_folders() -> None:
    assert 'src="/static/img/a.png"' in html("![a](/static/img/a.png)")
    for source in ("https://elsewhere.example/a.png", "//elsewhere.example/a.png",
                   "data:image/png;base64,iVBOR", "/static/../media/x.png", "/accounts/logout/"):
        assert "src=" not in html(f"![a]({source})"), source


def test_links_are_kept_only_for_safe_schemes_and_marked_nofollow() -> None:
    assert ('<a href="https://example.org/x" rel="noopener noreferrer nofollow">x</a>'
            in html("[x](https://example.org/x)"))
    assert 'href="mailto:a@example.org"' in html("[mail](mailto:a@example.org)")
    assert 'href="/courses/fractions/"' in html("[course](/courses/fractions/)")
    for target in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:x", "data:text/html,x"):
        assert "href" not in html(f"[x]({target})"), target
    # A tab inside the scheme is kept percent-encoded: a relative address, not a script.
    assert 'href="java%09script:alert(1)"' in html("[x](java&#x09;script:alert(1))")


def test_a_mixed_number_in_running_text_does_not_break() -> None:
    page = html("Use 2 1/3 cups, not 2 or 3; (12 3/4) but not 1.5 1/2.")
    assert '<span class="number">2&nbsp;1/3</span> cups, not 2 or 3' in page
    assert '(<span class="number">12&nbsp;3/4</span>)' in page and "1.5 1/2" in page
    assert html("`2 1/3`") == "<p><code>2 1/3</code></p>\n"
    assert visible_text("Use 2 1/3 cups") == "Use 2 1/3 cups"
    # No-wrap: the number's span, and maths such as $2\frac{1}{3}$ as a whole.
    css = (Path(__file__).resolve().parents[1] / "static" / "css" / "rich.css").read_text()
    assert ".number { white-space: nowrap;" in css and "span.math { white-space: nowrap; }" in css
    assert '<span class="math" data-display="0">2\\frac{1}{3}</span>' in html("$2\\frac{1}{3}$")


def test_maths_at_the_very_start_of_a_text_ending_in_a_digit_is_maths() -> None:
    assert 'class="math"' in html("$\\frac{5}{7}$ m²") and 'class="math"' in html("$a$ b2")
    assert 'class="math"' not in html("$5 or 2")


def test_inline_rendering_has_no_paragraphs_for_an_options_label() -> None:
    assert clean(to_html("$\\frac{1}{2}$ of *it*", {}, inline=True)) == (
        '<span class="math" data-display="0">\\frac{1}{2}</span> of <em>it</em>')


# ---------------------------------------------------------------- kept per content version


def test_a_text_is_rendered_once_per_content_version_and_sees_a_new_image(
    course: Course,
) -> None:
    text = "A picture: ![](image:dot)"
    first = render_text(read_now(Course.objects.get(pk=course.pk)), text)
    assert "missing-image" in first
    again = read_now(Course.objects.get(pk=course.pk))
    with CaptureQueriesContext(connection) as queries:
        assert render_text(again, text) is first
        assert render_text(again, "No picture, $x$.") is render_text(again, "No picture, $x$.")
    assert len(queries) == 0
    image = make_image(course)
    shown = render_text(read_now(Course.objects.get(pk=course.pk)), text)
    assert f'src="{image.file.url}"' in shown and 'alt="A red dot"' in shown


def test_a_course_not_read_by_the_page_pays_one_identity_query_for_all_its_texts(
    course: Course,
) -> None:
    make_image(course)
    render_text(Course.objects.get(pk=course.pk), "![](image:dot)")  # warm
    stale_object = Course.objects.get(pk=course.pk)
    with CaptureQueriesContext(connection) as queries:
        for n in range(5):
            render_text(stale_object, f"text {n} with ![](image:dot)")
    assert len(queries) == 1


# ---------------------------------------------------------------- plain texts of before


@pytest.mark.parametrize(("written", "stored"), [
    ("It costs $5 and $10.", "It costs $5 and $10."),
    ("3 * 4 = 12, a_b stays", "3 * 4 = 12, a_b stays"),
    ("Which symbol: <, > or = ?\n5/8 ? 3/5", "Which symbol: <, > or = ?\n5/8 ? 3/5"),
    ("2*3*4 = 24", "2\\*3\\*4 = 24"),
    ("$x$ and $y$", "\\$x\\$ and \\$y\\$"),
    ("1. first\n2. second", "1\\. first\n2\\. second"),
    ("# not a heading", "\\# not a heading"),
    ("[not](alink)", "\\[not\\](alink)"),
    ("A &amp; B", "A \\&amp; B"),
])
def test_plain_text_is_escaped_only_where_markdown_would_change_it(written: str,
                                                                   stored: str) -> None:
    assert as_markdown(written) == stored
    assert reads_the_same(stored, written)


def test_the_migration_escapes_stored_texts_and_keeps_every_attempt(
    course: Course, alice: Any
) -> None:
    enrol(alice, course)
    answer(alice, course, "halves-choice", True)
    attempts = list(Attempt.objects.values_list("id", "exercise_id", "answer", "correct"))
    exercise = Exercise.objects.get(course=course, key="quarters-text")
    Exercise.objects.filter(pk=exercise.pk).update(prompt="Work out 2*3*4", hint="Costs $5.")
    choice = Choice.objects.filter(exercise__course=course).first()
    assert choice is not None
    Choice.objects.filter(pk=choice.pk).update(text="$x$")
    Skill.objects.filter(course=course).update(description="1. first")
    version = Course.objects.get(pk=course.pk).content_version
    migration = import_module("courses.migrations.0010_content_images_and_markdown")
    migration._escape_where_needed(apps, None)
    exercise.refresh_from_db()
    assert (exercise.prompt, exercise.hint) == ("Work out 2\\*3\\*4", "Costs $5.")
    assert Choice.objects.get(pk=choice.pk).text == "\\$x\\$"
    assert set(Skill.objects.filter(course=course).values_list("description", flat=True)) == {
        "1\\. first"}
    assert Course.objects.get(pk=course.pk).content_version > version
    assert list(Attempt.objects.values_list("id", "exercise_id", "answer", "correct")) == attempts


# ---------------------------------------------------------------- the demo


def _demo_texts() -> list[str]:
    document = json.loads((DEMO / "fractions_course.json").read_text())
    texts = [skill["description"] for skill in document["skills"]]
    for exercise in document["exercises"]:
        texts += [exercise["prompt"], exercise.get("hint", ""), exercise.get("solution", "")]
        texts += [choice["text"] for choice in exercise.get("choices", [])]
    return [text for text in texts if text]


def test_every_demo_text_renders_with_its_maths_closed_and_its_images_shipped() -> None:
    images = {item["name"]: ImageRef(f"/media/{item['file']}", item["alt_text"], 1, 1)
              for item in json.loads((DEMO / "images" / "images.json").read_text())}
    assert all((DEMO / "images" / f"{name}.png").exists() for name in images)
    texts = _demo_texts()
    assert sum("\\frac" in text for text in texts) > 100
    for text in texts:
        page = clean(to_html(text, images))
        assert "missing-image" not in page, text
        assert "$" not in MATHS.sub("", page), text  # every dollar opens or closes maths
    shown = [text for text in texts if "image:" in text]
    assert {name for name in images if any(f"image:{name}" in text for text in shown)} == set(
        images)


def test_a_picture_the_demo_ships_is_a_png_the_upload_check_accepts(course: Course) -> None:
    content = (DEMO / "images" / "number-line-quarters.png").read_bytes()
    assert make_image(course, "line", content=content).content_type == "image/png"
