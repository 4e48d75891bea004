"""Django settings, read from the environment.

Every setting has an embedded default that needs no server: a SQLite file for the database and
Kombu's filesystem transport for Celery (so the demo runs a real worker process). Production sets
``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis) and ``DEBUG=0``; with ``DEBUG=0``
the settings are production-safe (a secret key is required, cookies are secure, HSTS is on).
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from learnpath.site.env import envbool, envfloat, envint, envlist, envurl

BASE_DIR = Path(__file__).resolve().parents[2]


DEBUG = envbool("DEBUG", True)
# Where the app keeps its own files: the SQLite database, the embedded broker, model artifacts.
DATA_DIR = Path(os.environ.get("LEARNPATH_DATA_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if not DEBUG else ["*"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "axes",
    "ninja",  # its Swagger UI files, served from our static (no CDN)
    "courses",
    "courses.api",
    "courses.outbox",
    "courses.xapi",
    "lti_tool",  # django-lti: LTI 1.3 registrations, deployments, LMS users, contexts, keys
    "courses.lti",
    "courses.judging",
    "courses.languages",
]
# Benchmarks, load and fault drills (manage.py bench_*, load_test, fault_test, evaluate_paths):
# a development app that production (DEBUG=0) does not install unless asked to.
if envbool("LEARNPATH_DEV_TOOLS", DEBUG):
    INSTALLED_APPS.append("courses.devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session middleware: it sees the cookies set inside (courses.lti.framing).
    "courses.lti.framing.LmsFrameMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the sessions, before CommonMiddleware: the browser's language (Accept-Language) or
    # the language cookie.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's stored language choice overrides the browser's.
    "courses.languages.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns locked-out sign-ins into a 429 page.
    "axes.middleware.AxesMiddleware",
]

# Django's model backend, reading whether the user teaches a class with the user itself (a
# session signed in under another backend's name is signed out once).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "courses.accounts.UserBackend",
]
# Sign-in throttling: 5 failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15, minimum=0))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "locked_out.html"

ROOT_URLCONF = "learnpath.site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "courses.context_processors.top_bar",
            ],
        },
    },
]

WSGI_APPLICATION = "learnpath.site.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "") or f"sqlite:///{DATA_DIR / 'learnpath.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache (Redis, ``CACHE_URL=redis://host:6379/1``) keeps sessions in memory in front of
# the database, saving a query on every signed-in page. Without one, sessions stay in the
# database only: a per-process memory cache would let one worker keep a session another had
# ended at sign-out.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL must be a redis:// (or rediss://, unix://) URL")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": CACHE_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Pages in the learner's language: their choice (courses.languages), else the browser's; the
# site's own texts are translated (courses/locale/), course content stays as authored.
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "courses" / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "courses.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Images uploaded for course texts (courses.content_images), served by courses.views.media
# with the type read from their bytes; limits on each upload.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
LEARNPATH_IMAGE_MAX_BYTES = envint("LEARNPATH_IMAGE_MAX_BYTES", 2 * 1024 * 1024, minimum=1)
LEARNPATH_IMAGE_MAX_PIXELS = envint("LEARNPATH_IMAGE_MAX_PIXELS", 4_000_000, minimum=1)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Course imports are JSON documents; larger uploads are refused with a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
COURSE_IMPORT_MAX_BYTES = envint("COURSE_IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
# Question banks (Moodle XML with embedded images, GIFT) uploaded in the admin.
BANK_IMPORT_MAX_BYTES = envint("BANK_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
# Rows of an attempt log uploaded in the admin (stored within the request, a few ms per row);
# `manage.py import_attempts` takes longer logs.
ATTEMPT_LOG_WEB_MAX_ROWS = envint("ATTEMPT_LOG_WEB_MAX_ROWS", 500, minimum=1)

# API throttling (requests per minute): per user for authenticated calls, per address otherwise.
LEARNPATH_API_USER_RATE = f"{envint('API_USER_REQUESTS_PER_MINUTE', 600, minimum=1)}/min"
LEARNPATH_API_ANON_RATE = f"{envint('API_ANON_REQUESTS_PER_MINUTE', 60, minimum=1)}/min"
# Minutes of inactivity after which a learner's next attempt opens a new study session.
LEARNPATH_SESSION_GAP_MINUTES = envint("LEARNPATH_SESSION_GAP_MINUTES", 30, minimum=1)
LEARNPATH_MODEL_DIR = Path(os.environ.get("LEARNPATH_MODEL_DIR", DATA_DIR / "models"))
# A new model is activated unless a validation metric drops by more than this.
LEARNPATH_PROMOTION_TOLERANCE = envfloat("LEARNPATH_PROMOTION_TOLERANCE", 0.01)
# torch threads for scoring learners in web processes (one request scores one learner).
LEARNPATH_INFERENCE_THREADS = envint("LEARNPATH_INFERENCE_THREADS", 1, minimum=1)
# Training settings for the site's models (learnpath.seq.TrainConfig fields).
LEARNPATH_TRAINING: dict[str, Any] = {
    "epochs": envint("LEARNPATH_TRAIN_EPOCHS", 15, minimum=1),
    "patience": 3,
    "seed": 0,
    "device": os.environ.get("LEARNPATH_TRAIN_DEVICE", "cpu"),
}

# A training run silent for this long (no epoch finished) is taken to be lost with its worker and
# is queued again; on the worker's own machine a dead process is noticed at once.
LEARNPATH_TRAINING_LEASE_SECONDS = envint("LEARNPATH_TRAINING_LEASE_SECONDS", 900, minimum=1)

# Where learners reach this site, without a trailing slash: the home page of xAPI actors and the
# base of xAPI activity ids.
SITE_URL = envurl("SITE_URL", "http://127.0.0.1:8000")
# xAPI statements to a learning record store (courses.xapi), through the outbox (courses.outbox):
# none unless XAPI_LRS_URL, the LRS's xAPI endpoint (…/statements is appended), is set.
XAPI_LRS_URL = envurl("XAPI_LRS_URL", "")
XAPI_LRS_USERNAME = os.environ.get("XAPI_LRS_USERNAME", "")  # or the LRS client's key
XAPI_LRS_PASSWORD = os.environ.get("XAPI_LRS_PASSWORD", "")  # or its secret
XAPI_VERSION = os.environ.get("XAPI_VERSION", "").strip() or "1.0.3"
XAPI_TIMEOUT_SECONDS = envfloat("XAPI_TIMEOUT_SECONDS", 10.0)
if XAPI_VERSION not in ("1.0.0", "1.0.1", "1.0.2", "1.0.3"):
    raise ImproperlyConfigured(f"XAPI_VERSION={XAPI_VERSION!r}: use 1.0.3 (or 1.0.0-1.0.2).")
if bool(XAPI_LRS_USERNAME) != bool(XAPI_LRS_PASSWORD):
    raise ImproperlyConfigured("Set both XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD, or neither.")
if not 0 < XAPI_TIMEOUT_SECONDS <= 300:
    raise ImproperlyConfigured("XAPI_TIMEOUT_SECONDS must be more than 0 and at most 300.")

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Read (and checked) in every mode; applied when DEBUG=0. Behind TLS (any real deployment) they
# stay on; `make serve` on plain-HTTP loopback turns cookies and the redirect off explicitly.
_SECURE_COOKIES = envbool("SECURE_COOKIES", True)
_SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
_SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000, minimum=0)
if not DEBUG:
    SESSION_COOKIE_SECURE = _SECURE_COOKIES
    CSRF_COOKIE_SECURE = _SECURE_COOKIES
    SECURE_SSL_REDIRECT = _SECURE_SSL_REDIRECT
    SECURE_HSTS_SECONDS = _SECURE_HSTS_SECONDS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"courses": {"handlers": ["console"], "level": "INFO"}},
}
