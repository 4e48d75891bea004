"""A learner whose browser asks for Spanish practises in Spanish: the sign-in, the practice page,
the feedback and the path's reasons are Spanish, the course's own texts stay as authored, and a
choice on the language page (English) wins over the browser from then on."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from courses.models import Course, Exercise
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def spanish_page(chromium: Browser) -> Any:
    context = chromium.new_context(viewport={"width": 1000, "height": 760}, locale="es-ES")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_learner_practises_in_spanish(live_server: Any, spanish_page: Page,
                                         artifacts_dir: Path, course: Course,
                                         enrolled_alice: Any) -> None:
    page = spanish_page
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(live_server.url + reverse("home"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_label("Nombre de usuario").fill("alice")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("heading", name="Mis cursos")).to_be_visible()

    page.get_by_role("link", name="Practicar", exact=True).click()
    card = page.locator("article.exercise")
    exercise = Exercise.objects.get(course=course, key=card.get_attribute("data-exercise"))
    expect(page.locator(".prompt")).to_contain_text(exercise.prompt)  # as authored
    expect(page.get_by_role("heading", name="Tu ruta de aprendizaje")).to_be_visible()
    expect(page.locator(".path-items .reason").first).to_contain_text(
        "Probabilidad prevista de acierto")
    page.screenshot(path=str(artifacts_dir / "practice-spanish.png"), full_page=True)
    if exercise.kind == Exercise.Kind.CHOICE:
        wrong = next(c for c in exercise.choices.all() if not c.is_correct)
        page.locator(f'input[name="choice"][value="{wrong.pk}"]').check()
    else:
        page.locator("#id_answer").fill("999")
    page.get_by_role("button", name="Comprobar mi respuesta").click()
    expect(page).to_have_url(re.compile(rf"/courses/{course.slug}/attempts/\d+/$"))
    expect(page.locator("#feedback")).to_have_text("✘ No del todo.")
    expect(page.get_by_text("La respuesta correcta:")).to_be_visible()

    page.get_by_role("link", name=re.compile("^Idioma")).click()
    page.get_by_label("English").check()
    page.get_by_role("button", name="Guardar").click()
    expect(page).to_have_url(re.compile(rf"/courses/{course.slug}/attempts/\d+/$"))
    expect(page.locator("#feedback")).to_have_text("✘ Not quite.")  # the choice wins
    assert errors == []
