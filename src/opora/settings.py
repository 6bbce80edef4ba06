"""Opora settings: every knob is an OPORA_* environment variable with a working default.

The defaults give the embedded set-up (SQLite in WAL mode under ./var, local memory
cache, files on disk); production overrides a handful of variables (see README).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from opora.conf import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent

# Where Opora keeps its own files (SQLite database, uploaded attachments, generated
# secret key). Relative paths are taken from the directory Opora is started in.
DATA_DIR = Path(env_str("OPORA_DATA_DIR", "var")).resolve()

# Development mode: detailed error pages. Never enable on a server others can reach.
DEBUG = env_bool("OPORA_DEBUG", False)


def _secret_key() -> str:
    # OPORA_SECRET_KEY wins; otherwise a key generated once and kept in the data
    # directory, so a single machine needs no set-up. Several web nodes must share
    # one key: set OPORA_SECRET_KEY (or OPORA_SECRET_KEY_FILE) on all of them.
    explicit = env_str("OPORA_SECRET_KEY", "")
    if explicit:
        return explicit
    key_file = Path(env_str("OPORA_SECRET_KEY_FILE", str(DATA_DIR / "secret_key")))
    if key_file.exists():
        return key_file.read_text().strip()
    if "OPORA_SECRET_KEY_FILE" in os.environ:
        raise ImproperlyConfigured(f"OPORA_SECRET_KEY_FILE points to a missing file: {key_file}")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()

# Host names this instance answers to (comma-separated).
ALLOWED_HOSTS = env_list("OPORA_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

# Origins allowed to POST forms when Opora sits behind a proxy on another origin,
# e.g. "https://support.example.com" (comma-separated).
CSRF_TRUSTED_ORIGINS = env_list("OPORA_CSRF_TRUSTED_ORIGINS", [])

# The public address of this instance, used in links sent by e-mail.
BASE_URL = env_str("OPORA_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Set to true when Opora is served over HTTPS: secure cookies and HSTS.
SECURE_COOKIES = env_bool("OPORA_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_COOKIES else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "opora.core",
    "opora.accounts",
    "opora.tickets",
    # Knowledge base, its search service and the answer bot.
    "opora.search",
    "opora.kb",
    "opora.automation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "opora.urls"
ASGI_APPLICATION = "opora.asgi.application"
WSGI_APPLICATION = "opora.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# Database. Unset: SQLite under the data directory. For PostgreSQL:
# OPORA_DATABASE_URL=postgres://user:password@host:5432/opora
def _database() -> dict[str, Any]:
    url = env_str("OPORA_DATABASE_URL", "")
    # How long (seconds) a web or worker process keeps a database connection open.
    conn_max_age = env_int("OPORA_DB_CONN_MAX_AGE", 60, minimum=0)
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'opora.sqlite3'}"
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=conn_max_age))
    except ValueError as exc:
        raise ImproperlyConfigured(f"OPORA_DATABASE_URL cannot be read: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the
            # write lock at BEGIN so two writers queue instead of deadlocking.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured("OPORA_DATABASE_URL must be a sqlite:// or postgres:// URL")
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "opora",
    }
}

# Background jobs: the database is the queue (claimed with row locks), so no broker is
# needed; any number of `opora worker` processes can share it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("OPORA_PASSWORD_MIN_LENGTH", 8, minimum=6)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

# Languages: Russian and English are complete; the default for new users and
# anonymous visitors whose browser asks for neither.
LANGUAGE_CODE = env_str("OPORA_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured("OPORA_LANGUAGE must be 'en' or 'ru'")
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
# Times are stored in UTC and shown in the viewer's zone; this is the default zone.
TIME_ZONE = env_str("OPORA_TIME_ZONE", "UTC")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True

# Uploaded attachments. Local disk by default; any Django storage backend can be
# configured for object storage.
MEDIA_ROOT = Path(env_str("OPORA_MEDIA_DIR", str(DATA_DIR / "media"))).resolve()
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Largest accepted attachment, in megabytes (per file).
MAX_ATTACHMENT_MB = env_int("OPORA_MAX_ATTACHMENT_MB", 25, minimum=1)
# File name extensions refused as attachments (executables and scripts).
_DEFAULT_BLOCKED = (
    "exe,com,bat,cmd,scr,pif,msi,msp,vbs,vbe,js,jse,wsf,wsh,ps1,psm1,jar,cpl,hta,lnk,reg,dll,sys"
)
BLOCKED_ATTACHMENT_EXTENSIONS = {
    ext.lower().lstrip(".")
    for ext in env_list("OPORA_BLOCKED_ATTACHMENT_EXTENSIONS", _DEFAULT_BLOCKED.split(","))
}
# Large uploads spill to temporary files instead of memory past this size.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Whole request bodies (without files) larger than this are refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# API: default and largest page size of list endpoints.
API_PAGE_SIZE = env_int("OPORA_API_PAGE_SIZE", 25, minimum=1)
API_MAX_PAGE_SIZE = env_int("OPORA_API_MAX_PAGE_SIZE", 100, minimum=1)
# Personal API tokens expire after this many days (0: they do not expire).
API_TOKEN_TTL_DAYS = env_int("OPORA_API_TOKEN_TTL_DAYS", 0, minimum=0)
# Sign-in attempts allowed per client address and e-mail per minute (token endpoint
# and sign-in forms); more answer 429.
AUTH_RATE_LIMIT_PER_MINUTE = env_int("OPORA_AUTH_RATE_LIMIT_PER_MINUTE", 10, minimum=1)

# Log level of Opora's own loggers (DEBUG, INFO, WARNING, ERROR).
LOG_LEVEL = env_str("OPORA_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "opora": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django": {"handlers": ["console"], "level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = API_PAGE_SIZE
