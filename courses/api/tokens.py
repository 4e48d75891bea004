"""Making, revoking and checking API tokens.

A token is ``lp_`` and 40 random URL-safe characters; the database keeps its SHA-256 (a leaked
table gives no usable token) and its first characters, to tell tokens apart. A request carries
it as ``Authorization: Bearer <token>``. A revoked or expired token, or one whose user is
inactive, authenticates nobody.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from courses.api.models import ApiToken
from courses.errors import InvalidInput, NotFound

TOKEN_PREFIX = "lp_"  # noqa: S105 (a marker, not a secret)
SHOWN_CHARACTERS = 10
MAX_TOKENS_PER_USER = 20
# ``last_used_at`` is written at most this often, so reading with a token rarely writes.
USE_RECORDED_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(user: User, name: str, expires_at: datetime | None = None) -> NewToken:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Give the token a name of 1 to 100 characters."))
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(_("The expiry date must be in the future."))
    with transaction.atomic():
        # Serialises one user's token making, so the cap holds under concurrent requests.
        list(User.objects.select_for_update().filter(pk=user.pk))
        live = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
        if live >= MAX_TOKENS_PER_USER:
            raise InvalidInput(_("You have %(count)s tokens; revoke one before making another.")
                               % {"count": live})
        secret = TOKEN_PREFIX + secrets.token_urlsafe(30)
        token = ApiToken.objects.create(user=user, name=name, prefix=secret[:SHOWN_CHARACTERS],
                                        digest=digest_of(secret), expires_at=expires_at)
    return NewToken(token, secret)


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revokes one of the user's own tokens (a second revoke changes nothing)."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("You have no such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_for_token(secret: str) -> User | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(digest=digest_of(secret), revoked_at__isnull=True).first())
    now = timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > USE_RECORDED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer lp_…``: the request acts as the token's user (no CSRF check:
    a token is not sent by the browser on its own)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def signed_in(request: HttpRequest) -> User:
    """The request's user, as the API's authentication set it (every route but the docs needs
    one, so an anonymous user never gets this far)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionError("The API's authentication let an anonymous request through")
    return user
