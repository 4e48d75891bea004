"""Where the site keeps something about a person: the one list that the data download
(:mod:`courses.queries.learner_data`) and the removal (:mod:`courses.actions.forget`) both use.

Found from the models themselves (Django's ``_meta``), so a table added later is found with no
change here:

- every foreign key or one-to-one field to the user model, in every installed app, many-to-many
  tables included (:func:`user_references`);
- one step further, every foreign key to a table whose rows belong to the person (deleting the
  person deletes them, or :data:`ALSO_BELONGS` says so), from a table that does not name the
  person itself: the LMS roles of their LMS accounts, say.

And what is kept without a foreign key: their signed-in sessions (:func:`session_keys_of`), the
sign-in log rows under their username (:func:`sign_in_rows`), the outbox messages about them
(:func:`outbox_rows_of`: every channel says how it names a person) and the admin log entries
about their rows (:func:`admin_log_about`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from courses.lti.grades import CHANNEL as LTI_SCORES
from courses.lti.models import LinkLearner
from courses.outbox.models import OutboxRow
from courses.xapi.lrs import CHANNEL as XAPI_STATEMENTS
from courses.xapi.models import Pseudonym

# References that do not cascade but whose rows are the person's all the same: the LMS account
# django-lti keeps (name and e-mail as the LMS sent them) outlives the user there (SET_NULL).
ALSO_BELONGS = frozenset({"lti_tool.ltiuser.auth_user"})


@dataclass(frozen=True)
class Reference:
    """Rows of ``model`` that name a person through ``lookup`` (an ORM path ending at the
    user), and whether they belong to the person (so go when the person goes)."""

    model: type[models.Model]
    lookup: str
    belongs: bool
    on_delete: str  # of the field that starts the lookup: CASCADE, PROTECT, SET_NULL…

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.lookup}"

    @property
    def table(self) -> str:
        return self.model._meta.label_lower

    def rows(self, user_id: int) -> QuerySet[models.Model]:
        return self.model._default_manager.filter(**{self.lookup: user_id})


def _key_fields(model: type[models.Model]) -> list[models.ForeignKey[models.Model, models.Model]]:
    return [field for field in model._meta.concrete_fields
            if isinstance(field, models.ForeignKey)]  # OneToOneField is one too


def _reference(field: models.ForeignKey[models.Model, models.Model], lookup: str,
               upstream_belongs: bool = True) -> Reference:
    on_delete = field.remote_field.on_delete.__name__
    label = f"{field.model._meta.label_lower}.{field.name}"
    belongs = upstream_belongs and (on_delete == "CASCADE" or label in ALSO_BELONGS)
    return Reference(field.model, lookup, belongs, on_delete)


def user_references() -> tuple[Reference, ...]:
    """Every table that names a person, directly or through a row of theirs (see the module)."""
    user_model = get_user_model()
    every_model = [model for model in apps.get_models(include_auto_created=True)
                   if model is not user_model]
    direct = [_reference(field, field.name) for model in every_model
              for field in _key_fields(model) if field.related_model is user_model]
    naming = {reference.model for reference in direct}
    belonging = [reference for reference in direct if reference.belongs]
    through = [
        _reference(field, f"{field.name}__{reference.lookup}")
        for model in every_model if model not in naming
        for field in _key_fields(model)
        for reference in belonging if field.related_model is reference.model
    ]
    return (*direct, *through)


def session_keys_of(user_id: int) -> list[str]:
    """The keys of the sessions signed in as the user (read from every stored session)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    found = []
    for key, data in Session.objects.values_list("session_key", "session_data").iterator():
        if str(store().decode(data).get("_auth_user_id")) == str(user_id):
            found.append(key)
    return found


def sign_in_rows(username: str) -> dict[str, QuerySet[models.Model]]:
    """Rows of every other table with a ``username`` column (django-axes' sign-in logs)."""
    user_model = get_user_model()
    return {
        model._meta.label_lower: model._default_manager.filter(username=username)
        for model in apps.get_models()
        if model is not user_model
        and any(field.name == "username" for field in model._meta.concrete_fields)
    }


def _xapi_about(user_id: int) -> Q:
    names = [str(name) for name in
             Pseudonym.objects.filter(user_id=user_id).values_list("name", flat=True)]
    return Q(payload__actor__account__name__in=names) if names else Q(pk__in=[])


def _lti_scores_about(user_id: int) -> Q:
    links = list(LinkLearner.objects.filter(learner_id=user_id).values_list("pk", flat=True))
    return Q(payload__link_learner__in=links) if links else Q(pk__in=[])


# How each outbox channel names a person in its messages (a test checks every channel with a
# sender is here).
OUTBOX_ABOUT: dict[str, Callable[[int], Q]] = {
    XAPI_STATEMENTS: _xapi_about,
    LTI_SCORES: _lti_scores_about,
}


def outbox_rows_of(user_id: int) -> QuerySet[OutboxRow]:
    about = Q(pk__in=[])
    for channel, finder in OUTBOX_ABOUT.items():
        about |= Q(channel=channel) & finder(user_id)
    return OutboxRow.objects.filter(about)


def admin_log_about(user: User) -> QuerySet[LogEntry]:
    """Admin log entries about the user or one of the rows that name them (by others too)."""
    about = Q(content_type=ContentType.objects.get_for_model(get_user_model()),
               object_id=str(user.pk))
    for reference in user_references():
        if reference.model is LogEntry or reference.model._meta.auto_created:
            continue
        ids = reference.rows(user.pk).annotate(text_id=Cast("pk", CharField())).values("text_id")
        about |= Q(content_type=ContentType.objects.get_for_model(reference.model),
                   object_id__in=ids)
    return LogEntry.objects.filter(about)
