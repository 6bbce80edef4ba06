"""Opora settings: every knob is an OPORA_* environment variable with a working default.

The defaults give the embedded set-up (SQLite in WAL mode under the data directory,
local memory cache, files on disk); production overrides a handful of variables (see README).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from opora.conf import default_data_dir, env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent

# Where Opora keeps its own files (SQLite database, uploaded attachments, generated
# secret key). Unset: the checkout's own var/ when run from a source checkout, else
# $XDG_DATA_HOME/opora (~/.local/share/opora); never the directory Opora happens to be
# started in, so every command of one installation finds the same database and key.
# A relative OPORA_DATA_DIR is taken from the directory Opora is started in.
DATA_DIR = Path(env_str("OPORA_DATA_DIR", "") or default_data_dir(PACKAGE_DIR)).resolve()

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
# Unset: where `opora serve` listens (OPORA_HOST / OPORA_PORT), as seen from this machine.
_LISTEN_HOST = env_str("OPORA_HOST", "127.0.0.1")
if _LISTEN_HOST in ("0.0.0.0", "::", ""):  # noqa: S104 - a wildcard is no address to link to
    _LISTEN_HOST = "127.0.0.1"
elif ":" in _LISTEN_HOST:  # an IPv6 address
    _LISTEN_HOST = f"[{_LISTEN_HOST}]"
BASE_URL = env_str(
    "OPORA_BASE_URL", f"http://{_LISTEN_HOST}:{env_int('OPORA_PORT', 8000, minimum=1)}"
).rstrip("/")

# Set to true when Opora is served over HTTPS: secure cookies and HSTS.
SECURE_COOKIES = env_bool("OPORA_SECURE_COOKIES", False)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_COOKIES else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Every app, once, lower layers first (docs/architecture.md). The order is also the
# order templates and static files are looked up in, after the project-level folders
# (TEMPLATES DIRS, STATICFILES_DIRS): the first app holding a path wins. No two Opora
# apps share a template or static path, and Django's own apps come first, so none of
# ours shadows the admin's.
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
    # people, settings, jobs, realtime plumbing
    "opora.core",
    "opora.accounts",
    # the core domain
    "opora.tickets",
    # SLA, escalation, satisfaction ratings and reports
    "opora.sla",
    "opora.feedback",
    "opora.reports",
    # Knowledge base, its search service and the answer bot.
    "opora.search",
    "opora.kb",
    "opora.automation",
    # triage: team, type and priority suggested from the desk's solved tickets
    "opora.triage",
    # channels in: e-mail
    "opora.inbox",
    # live chat: the widget, visitors' and agents' sockets, routing to agents
    "opora.chat",
    # messengers: Telegram (webhook or polling), VK (Callback API), a base for the others
    "opora.messengers",
    # remote-assistance sessions invited from tickets (RustDesk, link templates)
    "opora.remote",
    # telephony: calls from a PBX or cloud telephony by signed webhook, on tickets
    "opora.telephony",
    # site monitoring: checks run by the job workers, incidents as problem tickets
    "opora.monitoring",
    # ideas: suggestions merged into ideas customers vote on, the public ideas board
    "opora.ideas",
    # customer records: custom fields, ticket forms, notes, contracts, CSV import
    "opora.crm",
    # complaints: recognition, acknowledgement, deadline, root causes, escalation, report
    "opora.complaints",
    # entry points: the agent workspace and the customer portal (server-rendered pages)
    "opora.agent",
    "opora.portal",
    # the admin console (/admin/): knowledge base, and later people, SLA, channels, audit
    "opora.console",
    # `opora demo`: writes through every domain above
    "opora.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "opora.core.security.SecurityHeadersMiddleware",
    "opora.core.static.StaticFilesMiddleware",  # WhiteNoise, async-capable
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
                "opora.console.context.sidebar",
            ],
            # `{% url %}` remembering what it reversed (core/remembered_urls.py).
            "builtins": ["opora.core.remembered_urls"],
        },
    },
    {
        # Plain text (the text part and subject of mails): nothing is HTML-escaped, so
        # "Don't & <b>" stays as written. Used through core/text.render_text.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]


# PostgreSQL connections each process keeps in a pool (psycopg_pool); 0: no pool, one
# persistent connection per thread for OPORA_DB_CONN_MAX_AGE seconds. The pool lets
# the web threads, the worker's threads and the WebSocket consumers of one process share
# a few connections instead of each holding its own.
DB_POOL_SIZE = env_int("OPORA_DB_POOL_SIZE", 8, minimum=0)


def _pool(config: dict[str, Any]) -> None:
    if DB_POOL_SIZE:
        config["CONN_MAX_AGE"] = 0  # the pool keeps them; Django must not as well
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DB_POOL_SIZE),
            "max_size": DB_POOL_SIZE,
            "timeout": 30,  # seconds a request waits for a free connection
        }


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
        # Kept open per thread like PostgreSQL's: opening one (the file, the PRAGMAs)
        # for every request was a quarter of a small page's CPU.
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
        _pool(config)
    else:
        raise ImproperlyConfigured("OPORA_DATABASE_URL must be a sqlite:// or postgres:// URL")
    return config


DATABASES = {"default": _database()}

# Threads per web process that run HTTP requests (`opora serve`): how many requests
# one process works on at once. Keep OPORA_DB_POOL_SIZE at least as large. SQLite takes
# one writer at a time and puts waiting ones to sleep in growing steps: with 8 threads
# per process a write's 99th percentile under load was 3-4 times that with 2, for no
# more throughput (bench/RESULTS.md).
_SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
WEB_THREADS = env_int("OPORA_WEB_THREADS", 2 if _SQLITE else 8, minimum=1)
# Messenger drains that may run at once, each over its own share of the people who
# write (messengers/drain.py): as many as there are `opora worker` processes.
MESSENGER_DRAIN_LANES = env_int("OPORA_MESSENGER_DRAIN_LANES", 2, minimum=1)
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
# A blocked customer's sign-in is refused before any password is checked.
AUTHENTICATION_BACKENDS = [
    "opora.accounts.backends.RefuseBlocked",
    "django.contrib.auth.backends.ModelBackend",
]
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
# Where the desk's number formats differ from Django's (ru: thin space between thousands).
FORMAT_MODULE_PATH = ["opora.core.formats"]
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
# Personal API tokens: the lifetime of one whose creator chose none (POST /auth/token
# without expires_in_days; 0: the longest the user may have), the longest a new token
# may live, and who may make tokens that never expire (admins, everyone or nobody).
API_TOKEN_TTL_DAYS = env_int("OPORA_API_TOKEN_TTL_DAYS", 90, minimum=0)
API_TOKEN_MAX_DAYS = env_int("OPORA_API_TOKEN_MAX_DAYS", 365, minimum=1)
API_TOKEN_NEVER_EXPIRES = env_str("OPORA_API_TOKEN_NEVER_EXPIRES", "admins").strip().lower()
if API_TOKEN_NEVER_EXPIRES not in ("admins", "everyone", "nobody"):
    raise ImproperlyConfigured("OPORA_API_TOKEN_NEVER_EXPIRES must be admins, everyone or nobody")
# Sign-in attempts allowed per client address and e-mail per minute (token endpoint
# and sign-in forms); more answer 429.
AUTH_RATE_LIMIT_PER_MINUTE = env_int("OPORA_AUTH_RATE_LIMIT_PER_MINUTE", 10, minimum=1)
# Failed sign-ins per minute over the whole desk before every sign-in waits a minute
# (a spray across many accounts and addresses).
AUTH_GLOBAL_FAILURES_PER_MINUTE = env_int("OPORA_AUTH_GLOBAL_FAILURES_PER_MINUTE", 300, minimum=1)
# Addresses of reverse proxies whose X-Forwarded-For names the client (comma-separated
# IPs). Empty: the connecting address is the client, whatever headers say.
TRUSTED_PROXIES = env_list("OPORA_TRUSTED_PROXIES", [])
# Who may read /readyz and /metrics: these networks, or a bearer of the token.
INTERNAL_NETWORKS = [
    str(ipaddress.ip_network(n, strict=False))  # a malformed network stops the start
    for n in env_list("OPORA_INTERNAL_NETWORKS", ["127.0.0.0/8", "::1/128"])
]
INTERNAL_TOKEN = env_str("OPORA_INTERNAL_TOKEN", "")

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
        # Their request lines carry a bot's token in the URL: never below WARNING.
        "httpx": {"level": "WARNING"},
        "telegram": {"level": "WARNING"},
        "vkbottle": {"level": "WARNING"},
        "aiohttp": {"level": "WARNING"},
        # Its debug lines carry customers' messages.
        "pywa": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = API_PAGE_SIZE

# --- E-mail channel (opora.inbox) --------------------------------------------------
# Outgoing mail (agent replies, notifications) goes through this SMTP server. Until one
# is set, mail is written to the data folder's outbox (a file per sending connection),
# so the embedded default needs no outside service.
EMAIL_HOST = env_str("OPORA_SMTP_HOST", "")
EMAIL_PORT = env_int("OPORA_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("OPORA_SMTP_USER", "")


def _smtp_password() -> str:
    # The password itself, or a file holding it (for container secrets).
    path = env_str("OPORA_SMTP_PASSWORD_FILE", "")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"OPORA_SMTP_PASSWORD_FILE cannot be read: {exc}") from None
    return env_str("OPORA_SMTP_PASSWORD", "")


EMAIL_HOST_PASSWORD = _smtp_password()
# STARTTLS on a plain connection (port 587), or implicit TLS (port 465); not both.
EMAIL_USE_TLS = env_bool("OPORA_SMTP_STARTTLS", False)
EMAIL_USE_SSL = env_bool("OPORA_SMTP_TLS", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("set only one of OPORA_SMTP_STARTTLS and OPORA_SMTP_TLS")
# Seconds an SMTP conversation may block before the send is retried later.
EMAIL_TIMEOUT = env_int("OPORA_SMTP_TIMEOUT", 30, minimum=1)
# Every mail is queued in the outbox (a Delivery row: listed, retried, readable in the
# console) and sent by a job through OUTBOX_TRANSPORT (inbox/mail_backend.py).
EMAIL_BACKEND = "opora.inbox.mail_backend.OutboxBackend"
if EMAIL_HOST:
    OUTBOX_TRANSPORT = "django.core.mail.backends.smtp.EmailBackend"
else:
    OUTBOX_TRANSPORT = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")
# Sender of mail for tickets whose team has no mailbox; also the reply-token domain.
DEFAULT_FROM_EMAIL = env_str("OPORA_EMAIL_FROM", "support@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Domain of per-ticket reply addresses (support+<token>@domain); empty: the domain of
# the sending mailbox.
EMAIL_REPLY_DOMAIN = env_str("OPORA_EMAIL_REPLY_DOMAIN", "")
# Largest message accepted (megabytes); larger mail is cut to its headers and text
# with a note on the ticket, the full raw message is kept.
EMAIL_MAX_MESSAGE_MB = env_int("OPORA_EMAIL_MAX_MESSAGE_MB", 50, minimum=1)
# Messages accepted per sender address per hour; more are kept but open no tickets.
EMAIL_RATE_LIMIT_PER_HOUR = env_int("OPORA_EMAIL_RATE_LIMIT_PER_HOUR", 60, minimum=1)
# Authentication-Results headers are believed only from these hosts (authserv-ids,
# comma-separated): the desk's own receiving MTA. `opora smtpd` writes its own results
# under the first of them ("opora" when none is set) and always trusts those.
TRUSTED_AUTHSERV_IDS = [
    v.strip().lower() for v in env_str("OPORA_TRUSTED_AUTHSERV_IDS", "").split(",") if v.strip()
]
AUTHSERV_ID = TRUSTED_AUTHSERV_IDS[0] if TRUSTED_AUTHSERV_IDS else "opora"
# Directory of secret files holding IMAP passwords (file name = mailbox password_env).
MAILBOX_SECRET_DIR = env_str("OPORA_MAILBOX_SECRET_DIR", "")
# Where `opora smtpd` listens (SMTP, or LMTP with --lmtp).
SMTPD_HOST = env_str("OPORA_SMTPD_HOST", "127.0.0.1")
SMTPD_PORT = env_int("OPORA_SMTPD_PORT", 2525, minimum=1)
# Sending attempts before a failure is reported on the ticket (backoff doubles).
EMAIL_SEND_ATTEMPTS = env_int("OPORA_EMAIL_SEND_ATTEMPTS", 5, minimum=1)
# Delivery attempts of a reply on any channel before the failure shows on the ticket.
DELIVERY_ATTEMPTS = env_int("OPORA_DELIVERY_ATTEMPTS", EMAIL_SEND_ATTEMPTS, minimum=1)
# Seconds one delivery attempt may take before another worker may try it again (a
# worker that died mid-attempt); longer than OPORA_SMTP_TIMEOUT and any provider's.
DELIVERY_LEASE_SECONDS = env_int("OPORA_DELIVERY_LEASE_SECONDS", 120, minimum=1)
# --- end e-mail channel ------------------------------------------------------------

# --- Live chat (opora.chat) -----------------------------------------------------------
# Chats an agent takes at once unless their own setting says otherwise.
CHAT_CAPACITY = env_int("OPORA_CHAT_CAPACITY", 3, minimum=1)
# Seconds an agent has to accept an offered chat before it goes to the next agent.
CHAT_OFFER_SECONDS = env_int("OPORA_CHAT_OFFER_SECONDS", 30, minimum=1)
# Seconds an online or away agent stays so with no chat socket heard from (the inbox
# pings every 25 s): moving between pages or a short network drop costs nothing.
CHAT_PRESENCE_GRACE_SECONDS = env_int("OPORA_CHAT_PRESENCE_GRACE_SECONDS", 60, minimum=30)
# Minutes an online agent may go without typing or clicking in any workspace tab before
# going away (tickets and chats then go to others); 0: never.
PRESENCE_IDLE_MINUTES = env_int("OPORA_PRESENCE_IDLE_MINUTES", 15, minimum=0)
# Longest visitor message, in characters; longer ones are refused with an error frame.
CHAT_MAX_MESSAGE_CHARS = env_int("OPORA_CHAT_MAX_MESSAGE_CHARS", 5000, minimum=1)
# Messages (and uploads) one visitor may send per minute, and all visitors of one
# client address together; more are refused and nothing is stored.
CHAT_RATE_LIMIT_PER_MINUTE = env_int("OPORA_CHAT_RATE_LIMIT_PER_MINUTE", 30, minimum=1)
CHAT_IP_RATE_LIMIT_PER_MINUTE = env_int("OPORA_CHAT_IP_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
# New visitor tokens one client address may ask for per minute.
CHAT_VISITOR_RATE_LIMIT_PER_MINUTE = env_int(
    "OPORA_CHAT_VISITOR_RATE_LIMIT_PER_MINUTE", 20, minimum=1
)
# --- end live chat ------------------------------------------------------------------


# --- SLA, escalation, satisfaction, reports ----------------------------------------
def _env_share(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a number between 0 and 1; got {raw!r}"
        ) from None
    if not 0 < value <= 1:
        raise ImproperlyConfigured(f"{name} must be a number between 0 and 1; got {raw!r}")
    return value


# Share of an SLA target after which a ticket counts as "at risk" (0.8: at 80%).
SLA_WARNING_SHARE = _env_share("OPORA_SLA_WARNING_SHARE", 0.8)
# How often (seconds) the periodic SLA check marks at-risk and breached tickets.
SLA_CHECK_SECONDS = env_int("OPORA_SLA_CHECK_SECONDS", 60, minimum=5)
# Days during which a customer may change their satisfaction rating.
CSAT_CHANGE_DAYS = env_int("OPORA_CSAT_CHANGE_DAYS", 7, minimum=0)
# Where "hand to development" posts problems (empty: hand-off is disabled), and the
# shared secret signing the webhook (HMAC-SHA256) and the status callbacks.
DEV_WEBHOOK_URL = env_str("OPORA_DEV_WEBHOOK_URL", "")
DEV_WEBHOOK_SECRET = env_str("OPORA_DEV_WEBHOOK_SECRET", "")
# Delivery attempts of the webhook before giving up, and the first back-off (seconds,
# doubling each time).
DEV_WEBHOOK_ATTEMPTS = env_int("OPORA_DEV_WEBHOOK_ATTEMPTS", 5, minimum=1)
DEV_WEBHOOK_BACKOFF_SECONDS = env_int("OPORA_DEV_WEBHOOK_BACKOFF_SECONDS", 2, minimum=0)


# --- Production mode: Redis, live updates, replicas, logs, metrics, worker health ---

# Redis, e.g. redis://127.0.0.1:6379/0. Unset: the cache and the live-update channel
# layer live inside each process (fine for one process). Set it when running several
# web processes or nodes: they then share the cache, rate limits and live updates.
REDIS_URL = env_str("OPORA_REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "opora",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "opora"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# A PostgreSQL read replica for reports (same URL form as OPORA_DATABASE_URL). Only
# queries wrapped in opora.core.dbrouter.reading_from_replica() go there.
_REPLICA_URL = env_str("OPORA_DATABASE_REPLICA_URL", "")
if _REPLICA_URL:
    _replica = dict(
        dj_database_url.parse(
            _REPLICA_URL, conn_max_age=env_int("OPORA_DB_CONN_MAX_AGE", 60, minimum=0)
        )
    )
    _replica["CONN_HEALTH_CHECKS"] = True
    _pool(_replica)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["opora.core.dbrouter.ReplicaRouter"]

# Log format: "plain" for people, "json" (one object per line) for log collectors.
LOG_FORMAT = env_str("OPORA_LOG_FORMAT", "plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("OPORA_LOG_FORMAT must be 'plain' or 'json'")
LOGGING["formatters"]["json"] = {"()": "opora.core.logs.JsonFormatter"}  # type: ignore[index]
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # type: ignore[index]

# Request latency by route for /metrics (Prometheus text format).
MIDDLEWARE.insert(0, "opora.core.metrics.MetricsMiddleware")

# Job workers refresh their heartbeat this often (seconds) ...
WORKER_HEARTBEAT_SECONDS = env_int("OPORA_WORKER_HEARTBEAT_SECONDS", 5, minimum=1)
# ... and count as dead after this long without one: their running jobs are re-queued.
WORKER_DEAD_AFTER_SECONDS = env_int("OPORA_WORKER_DEAD_AFTER_SECONDS", 30, minimum=2)
# /readyz answers 503 unless some worker sent a heartbeat within this many seconds.
READY_WORKER_SECONDS = env_int("OPORA_READY_WORKER_SECONDS", 60, minimum=1)
# The scheduler's lease lasts this long (seconds): when its holder dies, another
# process takes over scheduling (and re-queueing) within this time.
SCHEDULER_LEASE_SECONDS = env_int("OPORA_SCHEDULER_LEASE_SECONDS", 30, minimum=2)

# --- Agent workspace and customer portal (server-rendered pages) ---
# The shared layout, sign-in pages and error pages live in the project-level folders.
for _engine in TEMPLATES:  # pages and plain text alike
    _engine["DIRS"] = [PACKAGE_DIR / "templates"]
# Front-end libraries come from npm (`make install` runs `npm ci`); never copied in.
NODE_MODULES_DIR = Path(
    env_str("OPORA_NODE_MODULES_DIR", str(PACKAGE_DIR.parents[1] / "node_modules"))
)
STATICFILES_DIRS: list[Any] = [PACKAGE_DIR / "static"]
if (NODE_MODULES_DIR / "htmx.org" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/htmx", NODE_MODULES_DIR / "htmx.org" / "dist"))
# A signed-in user's own language wins over the browser's (LocaleMiddleware decides
# for visitors); it runs right after authentication.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "opora.portal.middleware.UserLanguageMiddleware",
)
LOGIN_URL = "/signin"
# Days after a request is solved during which its customer may reopen it from the
# portal; later they are asked to write a new request.
REOPEN_DAYS = env_int("OPORA_REOPEN_DAYS", 7, minimum=0)
# Hours a one-time sign-in link sent by e-mail stays valid.
SIGNIN_LINK_HOURS = env_int("OPORA_SIGNIN_LINK_HOURS", 24, minimum=1)

# --- Two-factor sign-in and sessions ---
# Seconds between a right password and the second factor after which the sign-in
# starts over (the password is asked again).
TWO_FACTOR_PENDING_SECONDS = env_int("OPORA_TWO_FACTOR_PENDING_SECONDS", 300, minimum=30)
# Each signed-in browser is recorded and its last activity noted (at most once a
# minute); a session revoked from the profile is signed out on its next request. Users
# whose role requires a second factor and who have none are sent to set one up.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "opora.accounts.sessions.SessionActivityMiddleware",
)
MIDDLEWARE.append("opora.agent.profile.EnrolmentRequiredMiddleware")

# --- Single sign-on (OpenID Connect) for agents and admins ---
# Off until both the issuer and the client id are set; then the sign-in page shows
# "Sign in with <OPORA_OIDC_NAME>" and /signin/oidc starts the Authorization Code flow.
OIDC_ISSUER = env_str("OPORA_OIDC_ISSUER", "").strip()
OIDC_CLIENT_ID = env_str("OPORA_OIDC_CLIENT_ID", "").strip()


def _oidc_client_secret() -> str:
    # The secret itself, or a file holding it (for container secrets); never a setting
    # stored anywhere else.
    path = env_str("OPORA_OIDC_CLIENT_SECRET_FILE", "")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"OPORA_OIDC_CLIENT_SECRET_FILE cannot be read: {exc}"
            ) from None
    return env_str("OPORA_OIDC_CLIENT_SECRET", "")


OIDC_CLIENT_SECRET = _oidc_client_secret()
OIDC_NAME = env_str("OPORA_OIDC_NAME", "SSO").strip() or "SSO"
OIDC_GROUPS_CLAIM = env_str("OPORA_OIDC_GROUPS_CLAIM", "groups").strip() or "groups"
OIDC_SCOPES = env_str("OPORA_OIDC_SCOPES", "openid email profile groups").strip()
if OIDC_ISSUER and "openid" not in OIDC_SCOPES.split():
    raise ImproperlyConfigured("OPORA_OIDC_SCOPES must include openid")

# --- The demo ---
# The local stand-in for Telegram, VK and WhatsApp that the demo's accounts point at;
# `opora serve` starts it on 127.0.0.1 in the embedded mode when the demo is loaded.
# 0: never.
DEMO_SIMULATOR_PORT = env_int("OPORA_DEMO_SIMULATOR_PORT", 8099, minimum=0)

# --- Site monitoring (opora.monitoring) ---
# Monitors may not point at private, loopback, link-local or cloud-metadata addresses
# unless this is on (a desk that watches its own intranet).
MONITORING_ALLOW_PRIVATE = env_bool("OPORA_MONITORING_ALLOW_PRIVATE", False)
# Each job worker (and `opora serve`'s embedded one) runs the checks that are due.
MONITORING_RUNNER = env_bool("OPORA_MONITORING_RUNNER", True)
# Checks one worker runs at the same time.
MONITORING_CONCURRENCY = env_int("OPORA_MONITORING_CONCURRENCY", 200, minimum=1)
# Bytes of a response body read (for the keyword and JSON checks).
MONITORING_MAX_BODY_BYTES = env_int("OPORA_MONITORING_MAX_BODY_KB", 1024, minimum=1) * 1024
# How long raw results, hourly and daily rollups are kept.
MONITORING_RAW_DAYS = env_int("OPORA_MONITORING_RAW_DAYS", 2, minimum=1)
MONITORING_HOURLY_DAYS = env_int("OPORA_MONITORING_HOURLY_DAYS", 14, minimum=8)
MONITORING_DAILY_DAYS = env_int("OPORA_MONITORING_DAILY_DAYS", 400, minimum=91)
# A key that goes down again this soon after its incident was resolved reopens it.
MONITORING_FLAP_COOLDOWN_MINUTES = env_int("OPORA_MONITORING_FLAP_COOLDOWN_MINUTES", 30, minimum=0)
# The shared secret of the alert intake: Alertmanager's bearer token, and the HMAC key
# of the generic signed webhook. Empty: both intakes are off.
MONITORING_WEBHOOK_SECRET = env_str("OPORA_MONITORING_WEBHOOK_SECRET", "")
# The public status page (/status/): requests per minute from one address (the page
# and its badge; the subscription form has its own, lower limit) ...
STATUS_RATE_LIMIT_PER_MINUTE = env_int("OPORA_STATUS_RATE_LIMIT_PER_MINUTE", 600, minimum=1)
# ... and how long browsers and proxies may keep a copy (seconds).
STATUS_MAX_AGE_SECONDS = env_int("OPORA_STATUS_MAX_AGE_SECONDS", 30, minimum=0)
# Subscription attempts per minute from one address (each mails a confirmation link).
STATUS_SUBSCRIBE_RATE_LIMIT_PER_MINUTE = env_int(
    "OPORA_STATUS_SUBSCRIBE_RATE_LIMIT_PER_MINUTE", 5, minimum=1
)
