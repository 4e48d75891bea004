"""Settings from the environment are strict: a value that cannot mean what its setting needs
stops start-up with a message naming the variable."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from learnpath.site.env import envbool, envfloat, envint

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("TRUE", True), (" yes ", True),
                                                ("on", True), ("0", False), ("False", False),
                                                ("no", False), ("off", False), ("", None)])
def test_booleans_take_only_plain_words(monkeypatch: pytest.MonkeyPatch, raw: str,
                                        expected: bool | None) -> None:
    monkeypatch.setenv("LP_FLAG", raw)
    assert envbool("LP_FLAG", default=True) is (True if expected is None else expected)


@pytest.mark.parametrize("raw", ["ture", "2", "enabled", "y"])
def test_an_unknown_boolean_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("LP_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=f"LP_FLAG={raw!r} is not a boolean"):
        envbool("LP_FLAG", default=True)


def test_numbers_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LP_COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match="LP_COUNT='ten' is not a whole number"):
        envint("LP_COUNT", 1)
    monkeypatch.setenv("LP_COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        envint("LP_COUNT", 1, minimum=0)
    monkeypatch.setenv("LP_RATIO", "nan")
    with pytest.raises(ImproperlyConfigured, match="finite"):
        envfloat("LP_RATIO", 0.1)


def test_a_typo_in_secure_cookies_stops_start_up(tmp_path: Path) -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "learnpath.site.settings",
                   "SECURE_COOKIES": "ture", "DEBUG": "0", "SECRET_KEY": "x" * 50,
                   "LEARNPATH_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECURE_COOKIES='ture' is not a boolean" in result.stderr


def test_production_does_not_install_the_development_tools(tmp_path: Path) -> None:
    code = ("import django; django.setup(); from django.conf import settings; "
            "print('courses.devtools' in settings.INSTALLED_APPS)")
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "learnpath.site.settings",
                   "DEBUG": "0", "SECRET_KEY": "x" * 50, "LEARNPATH_DATA_DIR": str(tmp_path)}
    environment.pop("LEARNPATH_DEV_TOOLS", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_shared_cache_keeps_sessions_in_front_of_the_database(tmp_path: Path) -> None:
    """With ``CACHE_URL`` sessions are cached in Redis (one query fewer per page) and still
    stored in the database; a URL that is not Redis stops start-up."""
    code = ("import django; django.setup(); from django.conf import settings; "
            "from django.contrib.sessions.backends.cached_db import SessionStore; "
            "from django.core.cache import cache; from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); "
            "store = SessionStore(); store['k'] = 'v'; store.create(); "
            "print(settings.SESSION_ENGINE, SessionStore(store.session_key)['k'], "
            "cache.get(store.cache_key) is not None)")
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "learnpath.site.settings",
                   "LEARNPATH_DATA_DIR": str(tmp_path), "CACHE_URL": "redis://127.0.0.1:6379/9"}
    environment.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.contrib.sessions.backends.cached_db", "v", "True"]
    environment["CACHE_URL"] = "memcached://127.0.0.1:11211"
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "CACHE_URL must be a redis://" in result.stderr


def _untracked_files() -> set[str]:
    listing = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(listing.splitlines())


def test_the_test_settings_write_only_into_temporary_folders() -> None:
    from django.conf import settings

    temporary = Path(tempfile.gettempdir()).resolve()
    # The default SQLite file lives in DATA_DIR (pytest-django swaps in its own test database).
    for path in (settings.DATA_DIR, settings.LEARNPATH_MODEL_DIR, settings.STATIC_ROOT):
        assert temporary in Path(path).resolve().parents, path
    before = _untracked_files()
    code = "import django; django.setup(); from django.core.management import call_command; " \
           "call_command('check')"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"})
    assert _untracked_files() - before == set()
