"""Signing in: the form works, and guessing passwords is throttled (django-axes)."""
from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def _try(client: Client, username: str, password: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR="127.0.0.9")


def test_right_password_signs_in_and_wrong_one_says_so(alice: Any) -> None:
    client = Client()
    wrong = _try(client, "alice", "nope")
    assert wrong.status_code == 200
    assert "did not match" in wrong.content.decode()
    right = _try(client, "alice", PASSWORD)
    assert right.status_code == 302 and right["Location"] == reverse("home")


def test_guessing_locks_the_account_for_that_address(alice: Any, bob: Any) -> None:
    client = Client()
    for _ in range(4):
        assert _try(client, "alice", "guess").status_code == 200
    assert _try(client, "alice", "guess").status_code == 429  # the fifth failure locks
    locked = _try(client, "alice", PASSWORD)
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert _try(Client(), "bob", PASSWORD).status_code == 302


def test_login_form_needs_csrf(alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    assert _try(client, "alice", PASSWORD).status_code == 403
