"""Everything the site keeps about a person, as one JSON document they can download.

``tables`` holds the rows of every table that names them, as :mod:`courses.queries.personal_data`
finds them (so a table added later is in the download without a change here): their
enrolments, classes, study sessions, attempts, programs sent for judging, skill charts and their
history, the sequence model's states, pins, assignments, LMS accounts and links, API tokens,
xAPI pseudonym, language. Beside them: their sessions (when each expires, not its key), the
sign-in log under their username, the outbox messages about them (xAPI statements and LMS
scores, as sent or waiting to be) and the admin log entries about them. Secrets are left out:
the password hash, API tokens' digests, session keys.
"""
from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import models
from django.utils import timezone

from courses.queries.personal_data import (
    admin_log_about,
    outbox_rows_of,
    session_keys_of,
    sign_in_rows,
    user_references,
)
from courses.xapi.lrs import CHANNEL as XAPI_STATEMENTS

FORMAT = "learnpath-personal-data/1"
# Fields never written out: credentials, not information about the person.
SECRET_FIELDS = frozenset({"api.apitoken.digest"})
PROFILE_FIELDS = ("id", "username", "first_name", "last_name", "email", "date_joined",
                  "last_login", "is_active", "is_staff", "is_superuser")


def _value(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _row(row: models.Model) -> dict[str, Any]:
    label = row._meta.label_lower
    return {field.attname: _value(field.value_from_object(row))
            for field in row._meta.concrete_fields
            if f"{label}.{field.name}" not in SECRET_FIELDS}


def _rows(rows: Iterable[models.Model]) -> list[dict[str, Any]]:
    return [_row(row) for row in rows]


def read_learner_data(user: User) -> dict[str, Any]:
    """The download (JSON-ready with :class:`django.core.serializers.json.DjangoJSONEncoder`)."""
    tables: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for reference in user_references():
        for row in reference.rows(user.pk).order_by("pk").iterator():
            tables[reference.table][row.pk] = _row(row)  # a row naming them twice, once
    for table, rows in sign_in_rows(user.get_username()).items():
        tables[table].update((row.pk, _row(row)) for row in rows.order_by("pk"))
    outbox = _rows(outbox_rows_of(user.pk).order_by("pk"))
    sessions = Session.objects.filter(session_key__in=session_keys_of(user.pk))
    return {
        "format": FORMAT,
        "exported_at": timezone.now(),
        "profile": {
            **{name: getattr(user, name) for name in PROFILE_FIELDS},
            "groups": sorted(user.groups.values_list("name", flat=True)),
        },
        "tables": {table: list(rows.values()) for table, rows in sorted(tables.items())},
        "sessions": [{"expires": expiry} for expiry in
                     sessions.order_by("expire_date").values_list("expire_date", flat=True)],
        "outbox_messages": outbox,
        "xapi_statements": [row["payload"] for row in outbox if row["channel"] == XAPI_STATEMENTS],
        "admin_log_about_you": _rows(admin_log_about(user).order_by("pk")),
    }
