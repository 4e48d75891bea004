"""Where the site's translatable texts are collected from, for ``manage.py update_messages`` and
the test that the Spanish catalogue is complete and current (tests/test_translations.py)."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages

LANGUAGES_TRANSLATED = ("es",)
# What makemessages must not read: vendored files, collected static files, tests, documents
# and the app's data (the engine's sentences in learnpath/ are read: learnpath.phrases). The
# catalogues' own folder is named too, so that every text goes to the first LOCALE_PATHS entry
# (makemessages would otherwise send the app's texts to the locale/ folder it finds in it).
IGNORED = ("static/vendor/*", "staticfiles/*", "tests/*", "docs/*", "var/*", "bench-out/*",
           "*/migrations/*", "courses/locale/*")


def collect_messages() -> None:
    """Collects every translatable text into each catalogue under the first LOCALE_PATHS
    entry. A new text arrives untranslated, never with a translation guessed from a similar
    one (msgmerge's fuzzy matching is off); a text gone is dropped."""
    call_command(_MakeMessagesWithoutGuesses(), locale=list(LANGUAGES_TRANSLATED),
                 ignore_patterns=list(IGNORED), no_location=True, no_obsolete=True,
                 verbosity=0)


class _MakeMessagesWithoutGuesses(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]


def catalogue(language: str, locale_dir: Path | None = None) -> Path:
    """The ``django.po`` of ``language`` (under ``locale_dir``, else the site's own)."""
    root = locale_dir or Path(settings.LOCALE_PATHS[0])
    return root / language / "LC_MESSAGES" / "django.po"
