"""pylti1p3 as learnpath runs it: django-lti's registrations, with four changes at the library's
own seams (each a known trap).

- Launch data (states, nonces, verified claims, platforms' key sets) lives in the database
  (:class:`DatabaseLaunchStorage`), not in a per-process cache: the OIDC login and the launch
  after it may reach different web processes.
- A nonce is good for one launch (:class:`OneTimeNonceSessions`): pylti1p3 only checks that it
  exists, so the same id_token could be posted again.
- The id_token must carry ``exp`` and ``iat`` (PyJWT checks both when present, but requires
  neither), and a token for several audiences must name learnpath as its ``azp``.
- A platform's key set is cached for an hour, and fetched again at once when a token names a
  key the cached set lacks (the platform rotated its keys); every request to a platform has a
  timeout (the library sets none).
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import requests
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from lti_tool.models import LtiRegistration
from lti_tool.utils import DjangoToolConfig
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.contrib.django.session import DjangoSessionService
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.service_connector import REQUESTS_USER_AGENT

from courses.lti.keys import ensure_current_key
from courses.lti.models import LaunchValue

PLATFORM_TIMEOUT_SECONDS = 10
KEY_SET_CACHE_SECONDS = 3600
VERIFY_OPTIONS: dict[str, Any] = {"verify_aud": False, "require": ["exp", "iat"]}


class DatabaseLaunchStorage(LaunchDataStorage[Any]):
    """Launch data in :class:`courses.lti.models.LaunchValue`, each value with its expiry. Over
    HTTPS, the keys are bound to the browser by pylti1p3's session-id cookie."""

    def get_session_cookie_name(self) -> str | None:
        # Without TLS no SameSite=None cookie reaches the launch; development only.
        if self._request is None or not self._request.is_secure():
            return None
        return super().get_session_cookie_name()

    def can_set_keys_expiration(self) -> bool:
        return True

    def _live(self, key: str) -> Any:
        alive = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        return LaunchValue.objects.filter(alive, key=self._prepare_key(key))

    def get_value(self, key: str) -> Any:
        return self._live(key).values_list("value", flat=True).first()

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        now = timezone.now()
        expires_at = now + timedelta(seconds=exp) if exp else None
        LaunchValue.objects.update_or_create(
            key=self._prepare_key(key), defaults={"value": value, "expires_at": expires_at}
        )
        LaunchValue.objects.filter(expires_at__lt=now).delete()

    def check_value(self, key: str) -> bool:
        return self._live(key).exists()

    def consume(self, key: str) -> bool:
        """Deletes the value; whether it was there (one caller wins a race)."""
        deleted, _ = self._live(key).delete()
        return deleted > 0


class OneTimeNonceSessions(DjangoSessionService):
    def check_nonce(self, nonce: str) -> bool:
        storage = self.data_storage
        assert isinstance(storage, DatabaseLaunchStorage)
        return storage.consume(self._get_key("nonce", nonce))


class PlatformSession(requests.Session):
    """Requests to a platform (key sets, tokens, scores, rosters), each with a timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["User-Agent"] = REQUESTS_USER_AGENT

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", PLATFORM_TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


class ToolConfig(DjangoToolConfig):
    """django-lti's registrations; the tool always has a current key to sign with."""

    def find_registration_by_params(self, iss: str, client_id: str | None, *args: Any,
                                    **kwargs: Any) -> Registration | None:
        ensure_current_key()
        return super().find_registration_by_params(iss, client_id, *args, **kwargs)

    def find_registration_by_issuer(self, iss: str, *args: Any,
                                    **kwargs: Any) -> Registration | None:
        ensure_current_key()
        return super().find_registration_by_issuer(iss, *args, **kwargs)


class VerifiedLaunch(DjangoMessageLaunch):
    """A message launch checked as the module docstring says."""

    def __init__(self, request: HttpRequest, tool_config: ToolConfig) -> None:
        super().__init__(request, tool_config,
                         session_service=OneTimeNonceSessions(DjangoRequest(request)),
                         launch_data_storage=DatabaseLaunchStorage(),
                         requests_session=PlatformSession())
        self.set_jwt_verify_options(dict(VERIFY_OPTIONS))
        self.set_public_key_caching(DatabaseLaunchStorage(), KEY_SET_CACHE_SECONDS)
        self._key_set_from_cache = False

    def validate_registration(self) -> VerifiedLaunch:
        super().validate_registration()
        audience = self._get_jwt_body().get("aud")
        if isinstance(audience, list) and len(audience) > 1 and (
            self._get_jwt_body().get("azp") != self.get_client_id()
        ):
            raise LtiException("A token for several audiences must name learnpath as its azp")
        return self

    def fetch_public_key(self, key_set_url: str) -> Any:
        storage = self._public_key_cache_data_storage
        cached = storage.get_value(_key_set_cache_key(key_set_url)) if storage else None
        self._key_set_from_cache = bool(cached)
        return super().fetch_public_key(key_set_url)

    def get_public_key(self) -> tuple[str, str]:
        try:
            return super().get_public_key()
        except LtiException:
            if not self._key_set_from_cache:
                raise
        # The platform may have rotated its keys since its key set was cached: fetch it again.
        storage = self._public_key_cache_data_storage
        assert self._registration is not None and isinstance(storage, DatabaseLaunchStorage)
        storage.consume(_key_set_cache_key(self._registration.get_key_set_url() or ""))
        self._registration.set_key_set(None)
        return super().get_public_key()


def _key_set_cache_key(url: str) -> str:
    # pylti1p3's own cache key for a key set URL (MessageLaunch.fetch_public_key).
    return "key-set-url-" + hashlib.md5(url.encode("utf-8")).hexdigest()  # noqa: S324


def oidc_login(request: HttpRequest, registration_uuid: str | None) -> DjangoOIDCLogin:
    return DjangoOIDCLogin(request, ToolConfig(registration_uuid),
                           session_service=OneTimeNonceSessions(DjangoRequest(request)),
                           launch_data_storage=DatabaseLaunchStorage())


def verified_launch(request: HttpRequest) -> VerifiedLaunch:
    """The request's launch, validated (raises :class:`LtiException` when anything fails)."""
    launch = VerifiedLaunch(request, ToolConfig())
    launch.validate()
    return launch


def registration_of(launch: VerifiedLaunch) -> LtiRegistration:
    config = launch.get_tool_conf()
    assert config.registration is not None
    return config.registration


def claim(launch_data: Mapping[str, Any], name: str) -> Any:
    return launch_data.get(f"https://purl.imsglobal.org/spec/lti/claim/{name}")
