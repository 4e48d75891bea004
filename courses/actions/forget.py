"""Removing a person and everything the site keeps about them, in one transaction.

What goes: the account and every row that belongs to it (:mod:`courses.queries.personal_data`
finds them: enrolments, class memberships, study sessions, attempts and the programs sent,
skill charts and their history, the sequence model's states, pins, assignments' extensions,
cached paths, API tokens, the xAPI pseudonym, LMS accounts and links, the language chosen),
and, found without a foreign key, their sessions, the sign-in log rows under their username,
the outbox messages about them (sent or not) and the admin log entries about them.

Attempts are deleted, not kept under a new name: a person's timed answers are pseudonymous
at best (they can be matched with an LMS's logs or a teacher's memory of a lesson), so keeping
them would not be forgetting. What stays is aggregate: models trained before (their weights
and vocabulary hold exercises and skills, never a learner), their counts of learners and
attempts, fitted skill parameters, and statements already delivered to an LRS, under a
pseudonym that no longer leads to anyone.

Someone who teaches a class is not removed until the class has another teacher (its
``teacher`` is protected); this is checked before anything is deleted.
"""
from __future__ import annotations

from collections import Counter
from functools import partial
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils.translation import gettext as _

from courses.errors import Conflict, NotFound
from courses.queries.personal_data import (
    admin_log_about,
    outbox_rows_of,
    session_keys_of,
    sign_in_rows,
    user_references,
)


def check_user_removable(user: User) -> None:
    """Raises :class:`Conflict` when a table that names the person protects their rows."""
    for reference in user_references():
        if reference.on_delete == "PROTECT" and reference.rows(user.pk).exists():
            raise Conflict(_(
                "%(username)s is still named by %(count)d %(what)s (for instance, a class they "
                "teach): give them to someone else first."
            ) % {"username": user.get_username(), "count": reference.rows(user.pk).count(),
                 "what": reference.model._meta.verbose_name_plural})


def remove_user(user_id: int) -> dict[str, int]:
    """Deletes the person and everything about them (see the module); returns how many rows
    went, per table."""
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound(_("There is no such user."))
        check_user_removable(user)
        removed: Counter[str] = Counter()
        # Found through rows the cascade below deletes: read before it.
        unlinked = [admin_log_about(user), outbox_rows_of(user.pk),
                    *sign_in_rows(user.get_username()).values()]
        belonging = [reference.rows(user.pk) for reference in user_references()
                     if reference.belongs]
        for rows in unlinked:
            removed.update(rows.delete()[1])
        removed.update(_delete_in_order(belonging))
        session_keys = session_keys_of(user.pk)
        removed.update(Session.objects.filter(session_key__in=session_keys).delete()[1])
        removed.update(user.delete()[1])
        transaction.on_commit(partial(_forget_cached_sessions, session_keys))
    return {label: count for label, count in sorted(removed.items()) if count}


def _delete_in_order(querysets: list[QuerySet[Any]]) -> Counter[str]:
    """Deletes them all, each table once nothing protects its rows any more (a study session
    goes after its attempts, which protect it)."""
    removed: Counter[str] = Counter()
    waiting = querysets
    while waiting:
        blocked = []
        for rows in waiting:
            try:
                removed.update(rows.delete()[1])
            except ProtectedError:  # raised before anything is deleted
                blocked.append(rows)
        if len(blocked) == len(waiting):
            raise Conflict(_("Some of this person's rows are protected by others' rows."))
        waiting = blocked
    return removed


def _forget_cached_sessions(session_keys: list[str]) -> None:
    """Sessions also kept in the cache (the ``cached_db`` engine) go from there too."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in session_keys:
        store(session_key=key).delete()
