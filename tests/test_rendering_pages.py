"""The same rendering wherever an author's text is shown: the practice and feedback pages, the
skill chart (course page, dashboards, the teacher's learner page), the teacher's pins and the
class's exercise statistics (as plain text, maths written out), and the admin's change pages
and preview. Every template that shows a prompt, hint, solution, option or skill description
passes it through the rendering filters."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from courses.actions.course_import import import_course
from courses.models import Attempt, Cohort, Course, Exercise, Skill
from tests.factories import answer, small_course_document

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
PROMPT = ("Work out $\\frac{1}{2} + \\frac{1}{3}$, **quickly**:\n\n"
          "$$2\\frac{1}{3} \\times 4$$")
PROMPT_AS_TEXT = "Work out 1/2 + 1/3, quickly: 2 1/3 × 4"
HINT = "Think of $\\frac{3}{6}$ and `sixths`."
SOLUTION = "It is $\\frac{5}{6}$.\n\n| a | b |\n|:-|-:|\n| 1 | 2 |"
DESCRIPTION = "A *half* is $\\frac{1}{2}$ of a whole <script>alert(1)</script>."
MATHS = '<span class="math" data-display="0">'


@pytest.fixture
def course(db: Any) -> Course:
    """The small course with maths in the first exercise's texts and the first skill's
    description (the shared fixtures, such as ``cohort``, build on it)."""
    document = small_course_document()
    document["skills"][0]["description"] = DESCRIPTION
    document["exercises"][0].update(prompt=PROMPT, hint=HINT, solution=SOLUTION, choices=[
        {"text": "$\\frac{1}{2}$", "correct": True}, {"text": "$\\frac{1}{3}$", "correct": False},
        {"text": "*two* thirds", "correct": False}])
    return import_course(document).course


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _assert_rendered_prompt(page: str) -> None:
    assert f"{MATHS}\\frac{{1}}{{2}} + \\frac{{1}}{{3}}</span>" in page
    assert '<div class="math" data-display="1">2\\frac{1}{3} \\times 4</div>' in page
    assert "<strong>quickly</strong>" in page and "**quickly**" not in page
    assert "$\\frac" not in page and "$$" not in page
    assert "js/maths.js" in page and "vendor/katex/katex.min.js" in page  # KaTeX typesets it


def _wrong_answer(client: Client, course: Course) -> str:
    exercise = Exercise.objects.get(course=course, key="halves-choice")
    url = reverse("exercise", args=[course.slug, exercise.key])
    page = _page(client, url)
    form = {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)  # type: ignore[union-attr]
            for name in ("client_id", "ticket")}
    wrong = exercise.choices.get(text="*two* thirds")
    response = client.post(url, {**form, "hint_used": "0", "choice": [wrong.pk]})
    assert response.status_code == 302
    return response["Location"]


# ---------------------------------------------------------------- learners' pages


def test_the_practice_page_renders_the_prompt_options_and_hint(
    client: Client, course: Course, enrolled_alice: Any
) -> None:
    client.force_login(enrolled_alice)
    page = _page(client, reverse("exercise", args=[course.slug, "halves-choice"]))
    _assert_rendered_prompt(page)
    assert f'<span class="rich">{MATHS}\\frac{{1}}{{3}}</span></span>' in page
    assert "<em>two</em> thirds" in page
    assert f"Think of {MATHS}\\frac{{3}}{{6}}</span> and <code>sixths</code>" in page


def test_the_feedback_page_renders_the_answers_hint_and_solution(
    client: Client, course: Course, enrolled_alice: Any
) -> None:
    client.force_login(enrolled_alice)
    page = _page(client, _wrong_answer(client, course))
    _assert_rendered_prompt(page)
    assert "Your answer: <b><em>two</em> thirds</b>" in page
    assert f"The right answer: <b>{MATHS}\\frac{{1}}{{2}}</span></b>" in page
    assert f"Think of {MATHS}\\frac{{3}}{{6}}</span>" in page
    assert f"It is {MATHS}\\frac{{5}}{{6}}</span>" in page
    assert '<th class="align-left">a</th>' in page


def _assert_rendered_description(page: str) -> None:
    assert '<details class="skill-about"><summary>What it is</summary>' in page
    assert f"A <em>half</em> is {MATHS}\\frac{{1}}{{2}}</span> of a whole" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "$\\frac" not in page


def test_the_course_page_and_the_dashboard_show_skill_descriptions_rendered(
    client: Client, course: Course, enrolled_alice: Any
) -> None:
    client.force_login(enrolled_alice)
    _assert_rendered_description(_page(client, reverse("course_detail", args=[course.slug])))
    _assert_rendered_description(_page(client, reverse("learner_dashboard", args=[course.slug])))


def test_a_changed_description_shows_at_once_though_the_chart_is_cached(
    client: Client, course: Course, enrolled_alice: Any
) -> None:
    client.force_login(enrolled_alice)
    url = reverse("course_detail", args=[course.slug])
    _page(client, url)
    skill = Skill.objects.get(course=course, key="halves")
    skill.description = "Now with $x^2$."
    skill.save()
    page = _page(client, url)
    assert f"Now with {MATHS}x^2</span>." in page and "A <em>half</em>" not in page


# ---------------------------------------------------------------- teachers' pages


def test_the_teachers_pages_show_descriptions_rendered_and_prompts_as_plain_text(
    client: Client, course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    client.force_login(tess)
    class_page = _page(client, reverse("teacher_class", args=[cohort.pk]))
    option = f'<option value="halves-choice">halves-choice — {PROMPT_AS_TEXT}</option>'
    assert option in class_page
    response = client.post(reverse("pin_add", args=[cohort.pk]), {
        "exercise": "halves-choice", "learner": alice.pk, "until": "answered"})
    assert response.status_code == 302
    learner_page = _page(client, reverse("teacher_learner", args=[cohort.pk, alice.pk]))
    _assert_rendered_description(learner_page)
    assert option in learner_page
    assert ('<td><code>halves-choice</code> <span class="small">Work out 1/2 + 1/3, quickly: '
            '2 1/3 × 4</span></td>') in learner_page
    for page in (class_page, learner_page):
        options = "".join(re.findall(r"<option[^>]*>.*?</option>", page, re.DOTALL))
        assert "$" not in options and "\\" not in options and "**" not in options


def test_the_class_exercise_statistics_show_prompts_as_plain_text(
    client: Client, course: Course, cohort: Cohort, tess: Any, alice: Any
) -> None:
    for _ in range(8):
        answer(alice, course, "halves-choice", False)
    assert Attempt.objects.filter(learner=alice).count() == 8
    client.force_login(tess)
    page = _page(client, reverse("class_items", args=[cohort.pk]))
    assert (f"<code>halves-choice</code> (Halves) <q>{PROMPT_AS_TEXT}</q>: 0 of 8 answers "
            "right") in page
    assert f'<code>halves-choice</code> <span class="small">{PROMPT_AS_TEXT}</span>' in page
    assert "\\frac" not in page and "**" not in page


# ---------------------------------------------------------------- the admin


def test_the_exercise_change_page_and_the_preview_render_every_text(
    client: Client, course: Course, root: Any
) -> None:
    client.force_login(root)
    exercise = Exercise.objects.get(course=course, key="halves-choice")
    change = _page(client, reverse("admin:courses_exercise_change", args=[exercise.pk]))
    preview_section = change[change.index('id="rendered-preview"'):]  # after the raw fields
    _assert_rendered_prompt(preview_section)
    assert f'<li class="rich">{MATHS}\\frac{{1}}{{2}}</span> <small>(correct)</small></li>' in (
        preview_section)
    assert f"It is {MATHS}\\frac{{5}}{{6}}</span>" in preview_section
    assert "css/rich.css" in change
    preview = _page(client, reverse("admin:courses_exercise_preview", args=[exercise.pk]))
    _assert_rendered_prompt(preview)
    assert f"Think of {MATHS}\\frac{{3}}{{6}}</span>" in preview


def test_the_skill_change_page_previews_the_description(
    client: Client, course: Course, root: Any
) -> None:
    client.force_login(root)
    skill = Skill.objects.get(course=course, key="halves")
    page = _page(client, reverse("admin:courses_skill_change", args=[skill.pk]))
    preview = page[page.index('id="rendered-preview"'):]
    assert f"A <em>half</em> is {MATHS}\\frac{{1}}{{2}}</span>" in preview
    assert "js/maths.js" in page


# ---------------------------------------------------------------- every template

# A prompt, hint, solution or description, or an option's text (``choice.text``, ``c.text``,
# ``text`` of the options given).
AUTHORS_TEXT = re.compile(r"\{\{\s*(?P<value>[\w.]*\.(?:prompt|hint|solution|description)|"
                          r"(?:choice|c|option)\.text|text)\s*(?P<filters>(?:\|[^}]*)?)\}\}")
NOT_AUTHORS_TEXT = {"course.description", "cohort.course.description"}  # course blurbs: plain


def test_every_template_shows_authors_texts_through_the_rendering() -> None:
    unrendered = []
    for template in TEMPLATES.rglob("*.html"):
        for match in AUTHORS_TEXT.finditer(template.read_text()):
            if match["value"] in NOT_AUTHORS_TEXT:
                continue
            if not re.search(r"\|(rich|rich_inline|as_text):", match["filters"]):
                unrendered.append(f"{template.relative_to(TEMPLATES)}: {match.group()}")
    assert unrendered == []
