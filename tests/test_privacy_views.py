"""The person's own pages: what the site keeps (the page, the download) and deleting the
account with the password re-typed (or, for an account an LMS made, the username)."""
from __future__ import annotations

import json
from importlib import import_module
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from courses.actions.enrolment import enrol
from courses.actions.forget import remove_user
from courses.models import Attempt, Cohort
from tests.conftest import PASSWORD
from tests.factories import answer


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_explains_and_links_the_download_and_the_deletion(alice: Any) -> None:
    page = _signed_in(alice).get("/account/data/")
    assert page.status_code == 200
    assert b'href="/account/data/download.json"' in page.content
    assert b'href="/account/data/delete/"' in page.content
    assert b'href="/account/data/"' in _signed_in(alice).get("/").content  # the top bar


def test_the_download_is_the_persons_own_data(alice: Any, bob: Any, course: Any) -> None:
    enrol(alice, course)
    enrol(bob, course)
    answer(alice, course, "halves-choice", True)
    answer(bob, course, "halves-choice", False)
    data = json.loads(_signed_in(alice).get("/account/data/download.json").content)
    assert [row["learner_id"] for row in data["tables"]["courses.attempt"]] == [alice.pk]
    assert _signed_in(alice).post("/account/data/download.json").status_code == 405
    assert Client().get("/account/data/download.json").status_code == 302


def test_a_wrong_password_deletes_nothing(alice: Any, course: Any) -> None:
    enrol(alice, course)
    answer(alice, course, "halves-choice", True)
    client = _signed_in(alice)
    page = client.post("/account/data/delete/", {"password": "not it"})
    assert page.status_code == 400 and b"not your password" in page.content
    assert client.post("/account/data/delete/", {}).status_code == 400
    assert Attempt.objects.filter(learner=alice).exists()


def test_the_right_password_deletes_the_account_and_signs_out(alice: Any, course: Any) -> None:
    enrol(alice, course)
    answer(alice, course, "halves-choice", True)
    client = _signed_in(alice)
    page = client.get("/account/data/delete/")
    assert page.status_code == 200 and b"What stays" in page.content
    done = client.post("/account/data/delete/", {"password": PASSWORD})
    assert done.status_code == 200 and b"Account deleted" in done.content
    assert not get_user_model().objects.filter(username="alice").exists()
    assert not Attempt.objects.exists()
    assert client.get("/account/data/").status_code == 302


def test_an_account_made_by_an_lms_confirms_with_its_username(bob: Any) -> None:
    bob.set_unusable_password()
    bob.save()
    client = _signed_in(bob)
    assert b'name="username"' in client.get("/account/data/delete/").content
    assert client.post("/account/data/delete/", {"username": "alice"}).status_code == 400
    assert client.post("/account/data/delete/", {"username": "bob"}).status_code == 200
    assert not get_user_model().objects.filter(username="bob").exists()


def test_a_teacher_is_told_to_hand_over_the_class_first(tess: Any, cohort: Cohort) -> None:
    client = _signed_in(tess)
    page = client.get("/account/data/delete/")
    assert page.status_code == 200 and b"give them to someone else" in page.content
    assert b'name="password"' not in page.content
    assert client.post("/account/data/delete/", {"password": PASSWORD}).status_code == 409
    assert get_user_model().objects.filter(username="tess").exists()


def test_sessions_kept_in_the_cache_go_too(alice: Any, settings: Any,
                                          django_capture_on_commit_callbacks: Any) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["_auth_user_id"] = str(alice.pk)
    store.create()
    assert cache.get(store.cache_key) is not None
    with django_capture_on_commit_callbacks(execute=True):
        remove_user(alice.pk)
    assert cache.get(store.cache_key) is None
    assert not store.exists(store.session_key)
