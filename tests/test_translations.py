"""The Spanish translation: complete and current, and the language each person gets.

The catalogue test collects the texts afresh (makemessages into a temporary folder, with the
options ``manage.py update_messages`` uses) and compares them with the committed catalogue, so a
text added to a page or a message without its translation fails here, naming it.
"""
from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from courses.actions.course_import import import_course
from courses.actions.enrolment import enrol
from courses.actions.languages import record_language_preference
from courses.languages.catalog import LANGUAGES_TRANSLATED, catalogue, collect_messages
from courses.languages.models import LanguagePreference
from courses.phrases import shown
from learnpath.mastery import SkillMastery, review_candidates
from learnpath.phrases import Phrase
from learnpath.review import DUE_REASON as REVIEW_DUE
from tests.conftest import PASSWORD
from tests.factories import answer, code_course_document

ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module", autouse=True)
def compiled() -> None:
    """The catalogues compiled (``make install`` does it; a bare pytest run may not have)."""
    for language in LANGUAGES_TRANSLATED:
        source = catalogue(language)
        target = source.with_suffix(".mo")
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            call_command("compilemessages", locale=[language], verbosity=0,
                         ignore_patterns=[".venv*", "node_modules"])


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """A request's language stays active in its thread after the test client's response:
    the next test starts in the site's default again."""
    yield
    translation.deactivate()


def _entries(path: Path) -> dict[tuple[str, str, str], polib.POEntry]:
    return {(entry.msgctxt or "", entry.msgid, entry.msgid_plural): entry
            for entry in polib.pofile(str(path)) if not entry.obsolete}


@pytest.mark.parametrize("language", LANGUAGES_TRANSLATED)
def test_catalogue_is_complete_and_current(language: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    committed = _entries(catalogue(language))
    monkeypatch.chdir(ROOT)
    with override_settings(LOCALE_PATHS=[tmp_path]):
        collect_messages()
    fresh = _entries(catalogue(language, tmp_path))
    assert sorted(set(fresh) - set(committed)) == [], "texts not in the catalogue yet"
    assert sorted(set(committed) - set(fresh)) == [], "texts in the catalogue no page uses"
    untranslated = [key for key, entry in committed.items()
                    if "fuzzy" in entry.flags or not (
                        all(entry.msgstr_plural.values()) if entry.msgid_plural
                        else entry.msgstr)]
    assert untranslated == []
    checked = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(catalogue(language))],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_a_page_in_the_browsers_language(client: Client, alice: Any, course: Any) -> None:
    enrol(alice, course)
    client.force_login(alice)
    page = client.get(reverse("course_detail", args=[course.slug]),
                      HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    text = page.content.decode()
    assert page["Content-Language"] == "es"
    assert '<html lang="es">' in text
    assert "Tu ruta de aprendizaje" in text and "Mi mapa de habilidades" in text
    assert course.title in text  # course content stays as authored
    english = client.get(reverse("course_detail", args=[course.slug]),
                         HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert "Your learning path" in english.content.decode()


def test_a_stored_choice_overrides_the_browser(client: Client, alice: Any,
                                               course: Any) -> None:
    enrol(alice, course)
    record_language_preference(alice, "es")
    signed_in = client.post(reverse("login"), {"username": "alice", "password": PASSWORD},
                            HTTP_ACCEPT_LANGUAGE="en")  # the choice is read at sign-in
    assert signed_in.status_code == 302
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "es" and "Mis cursos" in page.content.decode()


def test_choosing_on_the_language_page(client: Client, alice: Any) -> None:
    client.force_login(alice)
    chosen = client.post(reverse("language"), {"language": "es", "next": reverse("home")})
    assert chosen.status_code == 302 and chosen["Location"] == reverse("home")
    assert LanguagePreference.objects.get(user=alice).language == "es"
    assert "Mis cursos" in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    back = client.post(reverse("language"), {"language": "", "next": reverse("home")})
    assert back.status_code == 302 and not LanguagePreference.objects.filter(user=alice).exists()
    assert "My courses" in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize("code", ["xx", "es' OR 1=1", "e" * 300])
def test_an_unknown_language_is_refused(client: Client, alice: Any, code: str) -> None:
    client.force_login(alice)
    refused = client.post(reverse("language"), {"language": code})
    assert refused.status_code == 400 and not LanguagePreference.objects.exists()


def test_anyone_signed_out_gets_a_cookie(client: Client) -> None:
    chosen = client.post(reverse("language"), {"language": "es", "next": "https://elsewhere/"})
    assert chosen.status_code == 302 and chosen["Location"] == reverse("language")  # stays here
    assert chosen.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert "Iniciar sesión" in client.get(reverse("login")).content.decode()


def test_decimals_in_spanish(client: Client, alice: Any) -> None:
    course = import_course(code_course_document()).course
    exercise = course.exercises.get(key="add")
    exercise.code = {**exercise.code, "limits": {"cpu_seconds": 0.5, "wall_seconds": 2}}
    exercise.save()
    enrol(alice, course)
    client.force_login(alice)
    practice = client.get(reverse("exercise", args=[course.slug, "add"]),
                          HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "0,5 s de tiempo de CPU" in practice  # a decimal comma
    assert "Ejecutar los ejemplos" in practice
    assert 'data-judging="Evaluando tu programa…"' in practice  # the script's words
    assert "Write `add(a, b)`" in practice or "add(a, b)" in practice  # the prompt as authored


def test_dates_in_spanish(client: Client, cohort: Any, alice: Any, tess: Any,
                          course: Any) -> None:
    enrol(alice, course)
    when = timezone.now() - timedelta(days=2)
    answer(alice, course, "quarters-numeric", True, at=when)
    client.force_login(tess)
    detail = client.get(reverse("teacher_learner", args=[cohort.pk, alice.pk]),
                        HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert f"{timezone.localtime(when):%d/%m/%Y %H:%M}" in detail  # Spanish day/month/year
    assert "Intentos recientes" in detail and "correcta" in detail


def test_a_stored_path_is_shown_in_each_readers_language(client: Client, enrolled_alice: Any,
                                                         course: Any) -> None:
    client.force_login(enrolled_alice)
    url = reverse("course_detail", args=[course.slug])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()  # planned, stored
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()  # the stored one
    assert "Predicted chance of success:" in english and "Trains Halves" in english
    assert "Probabilidad prevista de acierto:" in spanish and "Entrena Halves" in spanish
    assert "Este curso aún no tiene un modelo entrenado" in spanish  # the path's note


def test_the_engines_sentences_in_spanish() -> None:
    now = timezone.now()
    falling = SkillMastery(0.60, 9.0, 9, 5, now - timedelta(days=1), peak_p_mastery=0.90)
    [(_, why)] = review_candidates({"decimals": falling}, now)
    with translation.override("es"):
        assert shown(why) == "dominio bajando de 0,90 a 0,60"  # decimal commas
        assert shown(Phrase.of(REVIEW_DUE, day=datetime(2026, 3, 14, 12, tzinfo=UTC))) == (
            "pendiente de repaso desde el 14 de marzo de 2026")
        assert shown(Phrase.of("Trains %(skill)s, which builds on %(before)s: the steps "
                               "before it prepare it.", skill="C", before=("A", "B"))) == (
            "Entrena C, que se basa en A y B: los pasos anteriores la preparan.")
    assert str(why) == "mastery falling from 0.90 to 0.60"


# Words a template may show untranslated: the product's name, a metric's name, and the
# language link's English hint (for someone who cannot read the page's language).
UNTRANSLATED_WORDS = {"learnpath", "ECE", "Language"}
_HIDDEN = [re.compile(pattern, re.S) for pattern in (
    r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}",
    r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}",
    r"<script.*?</script>", r"<style.*?</style>", r"<code>.*?</code>", r"{%.*?%}", r"{{.*?}}")]
_SHOWN_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|alt|placeholder)="([^"]*)"')


def _untranslated(template: Path) -> list[str]:
    text = template.read_text()
    for hidden in _HIDDEN:
        text = hidden.sub(" ", text)
    shown = _SHOWN_ATTRIBUTE.findall(text) + re.sub(r"<[^>]*>", "\n", text).split("\n")
    return [line.strip() for line in shown
            if set(re.findall(r"[A-Za-z]{2,}", line)) - UNTRANSLATED_WORDS]


def test_every_templates_text_is_marked_for_translation() -> None:
    found = {str(path.relative_to(ROOT)): words
             for path in sorted((ROOT / "templates").rglob("*.html"))
             if (words := _untranslated(path))}
    assert found == {}
