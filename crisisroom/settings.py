"""Crisis Room settings: one file, read from the environment.

Two modes, one code path (see README "Settings"):
- embedded (no DATABASE_URL, no REDIS_URL): SQLite under var/, in-memory channel
  layer, Celery tasks run eagerly inside the server process and periodic tasks by
  an in-process scheduler (crisisroom/embedded.py);
- services (DATABASE_URL=postgres://…, REDIS_URL=redis://…): PostgreSQL, Redis as
  Celery broker, cache and channel layer; separate web, worker and beat processes.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from foundation import observability
from foundation.env import env, envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env("CRISISROOM_DATA_DIR", str(BASE_DIR / "var")))

DATABASE_URL = env("DATABASE_URL")
REDIS_URL = env("REDIS_URL")
EMBEDDED = not REDIS_URL

DEBUG = envbool("DEBUG", False)


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    # Embedded mode keeps a generated key under var/ so sessions survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    # Django's admin, its login in two steps for two-factor users (crisisroom/admin_access.py).
    "crisisroom.apps.CrisisRoomAdminConfig",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "django_prometheus",
    "mozilla_django_oidc",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "crisisroom",
    "monitoring",
    "playbook",
]

MIDDLEWARE = [
    # First, so every /api/v1 failure below it (a database outage in any layer too)
    # is answered as JSON.
    "foundation.api_errors.ApiErrorMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "crisisroom.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crisisroom.middleware.UserPreferencesMiddleware",
    "crisisroom.middleware.TwoFactorRequiredMiddleware",
    "crisisroom.views.PermissionDeniedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as its docs say: turns a refused login (either login page) into the 429 page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses before the password is checked while a throttle budget is spent.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on (OpenID Connect), when OIDC_ISSUER is set (crisisroom/sso.py).
    "crisisroom.sso.Backend",
    "crisisroom.admin_access.OrgAdminPermissionBackend",
]

ROOT_URLCONF = "crisisroom.urls"
ASGI_APPLICATION = "crisisroom.asgi.application"
AUTH_USER_MODEL = "crisisroom.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "playbook.context_processors.outbound_pause",
            ],
            "builtins": ["crisisroom.templatetags.crisis_format"],
        },
    },
]

# --- Database -----------------------------------------------------------------
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "crisisroom.sqlite3",
            "OPTIONS": {
                # WAL and IMMEDIATE transactions: the in-process worker and
                # scheduler write while requests are served.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, Celery ---------------------------------------------
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "crisisroom"),
        }
    }
    # Pub/sub: an event is published once and fanned out in memory to every socket
    # of a process (the core layer writes one Redis message per socket, and drops
    # them past its capacity when a crowded room falls behind).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "foundation.channel_layer.SharedDecodingPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNEL_LAYER_PREFIX", "crisisroom")},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"  # a host: no "No hostname" warning
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = EMBEDDED
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "crisisroom")
CELERY_TASK_ACKS_LATE = False
# A publish while Redis is down fails within seconds (the caller logs it and a sweep
# recovers the work) instead of holding a request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks: django-celery-beat syncs these into its tables in services
# mode; crisisroom/embedded.py runs the same entries in embedded mode.
CELERY_BEAT_SCHEDULE = {
    "detect-all-brands": {
        "task": "monitoring.tasks.brands_detect_task",
        "schedule": float(envint("DETECT_INTERVAL_SECONDS", 60)),
    },
    "tick-drills": {
        "task": "crisisroom.tasks.drills_tick_task",
        "schedule": float(envint("DRILL_TICK_SECONDS", 5)),
    },
    "poll-due-sources": {
        "task": "monitoring.tasks.sources_poll_due_task",
        "schedule": float(envint("SOURCES_POLL_TICK_SECONDS", 30)),
    },
    "escalate-unacknowledged-alerts": {
        "task": "crisisroom.tasks.alerts_escalate_task",
        "schedule": float(envint("ESCALATE_CHECK_SECONDS", 60)),
    },
    "prune-old-mentions": {
        "task": "crisisroom.tasks.mentions_retention_apply_task",
        "schedule": float(envint("MENTION_RETENTION_CHECK_SECONDS", 3600)),
    },
    # PostgreSQL: the mentions table's monthly partitions, made ahead of time
    # (monitoring/partitions.py); rows of a month with none land in the default one.
    "ensure-mention-partitions": {
        "task": "monitoring.tasks.mention_partitions_ensure_task",
        "schedule": float(envint("MENTION_PARTITIONS_CHECK_SECONDS", 6 * 3600)),
    },
    # The alert rows are the truth: this sends what is due and retries what failed
    # (crisisroom/services/alert_delivery.py), whatever happened to the queued task.
    "sweep-alerts": {
        "task": "crisisroom.tasks.alerts_sweep_task",
        "schedule": float(envint("ALERT_SWEEP_SECONDS", 60)),
    },
    # Outgoing webhook events (crisisroom/services/outgoing.py) and scheduled posts
    # (playbook/services/scheduled.py): the rows are the truth, these sweeps send.
    "sweep-outgoing-webhooks": {
        "task": "crisisroom.tasks.outgoing_sweep_task",
        "schedule": float(envint("OUTGOING_SWEEP_SECONDS", 60)),
    },
    # Situation reports (playbook/services/sitrep.py): queue each active incident's
    # current period, then send what is due and retry what failed.
    "sweep-sitreps": {
        "task": "playbook.tasks.sitreps_sweep_task",
        "schedule": float(envint("SITREP_SWEEP_SECONDS", 60)),
    },
    "sweep-scheduled-posts": {
        "task": "playbook.tasks.scheduled_posts_sweep_task",
        "schedule": float(envint("SCHEDULED_POSTS_SWEEP_SECONDS", 30)),
    },
    # Background exports (monitoring/export_jobs.py): the rows are the truth.
    "sweep-exports": {
        "task": "monitoring.tasks.mention_exports_sweep_task",
        "schedule": float(envint("EXPORT_SWEEP_SECONDS", 60)),
    },
    "purge-idempotency-keys": {
        "task": "crisisroom.tasks.idempotency_keys_purge_task",
        "schedule": 3600.0,
    },
}
# Fire-drill scenarios are read from here (with their schema.json); empty: the shipped ones.
DRILL_SCENARIO_DIR = env("DRILL_SCENARIO_DIR", "")
# Raw mentions older than this many days are deleted (0: never), in batches, keeping
# rollups, incidents and every incident's mentions (crisisroom/retention.py).
MENTION_RETENTION_DAYS = envint("MENTION_RETENTION_DAYS", 0)
MENTION_RETENTION_BATCH = envint("MENTION_RETENTION_BATCH", 5000)
MENTION_RETENTION_MAX_BATCHES = envint("MENTION_RETENTION_MAX_BATCHES", 200)
# PostgreSQL: how many months of mention partitions exist ahead of the current one.
MENTION_PARTITION_MONTHS_AHEAD = envint("MENTION_PARTITION_MONTHS_AHEAD", 3)
# Explorer exports of more rows than this run in the background with a progress bar
# (monitoring/export_jobs.py), written in batches and kept for EXPORT_KEEP_HOURS.
EXPORT_BACKGROUND_ROWS = envint("EXPORT_BACKGROUND_ROWS", 100_000)
EXPORT_BATCH_ROWS = envint("EXPORT_BATCH_ROWS", 50_000)
EXPORT_KEEP_HOURS = envint("EXPORT_KEEP_HOURS", 24)
EXPORT_STALE_SECONDS = envint("EXPORT_STALE_SECONDS", 120)
EMBEDDED_SCHEDULER = envbool("CRISISROOM_EMBEDDED_SCHEDULER", EMBEDDED)

# --- Auth and security --------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_THROTTLE_ATTEMPTS = envint("LOGIN_THROTTLE_ATTEMPTS", 5)
LOGIN_THROTTLE_WINDOW_SECONDS = envint("LOGIN_THROTTLE_WINDOW_SECONDS", 900)
# Per client address, across all usernames: larger, so colleagues behind one proxy are
# not locked out by one person's typos, but one password cannot be tried everywhere.
LOGIN_THROTTLE_IP_ATTEMPTS = envint("LOGIN_THROTTLE_IP_ATTEMPTS", 50)
# django-axes (crisisroom/login_throttle.py): budgets per account and per address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = "crisisroom.login_throttle.failure_limit"
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_THROTTLE_WINDOW_SECONDS)
AXES_USERNAME_CALLABLE = "crisisroom.login_throttle.normalised_username"
AXES_HANDLER = "crisisroom.login_throttle.LoginThrottleHandler"
AXES_LOCKOUT_CALLABLE = "crisisroom.login_throttle.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# A fixed window: trying on while locked out does not extend it (no endless lockout).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False  # a success must not wipe the address's count
AXES_VERBOSE = False
# Wrong two-factor codes are failures too (crisisroom/two_factor.py); never log a code.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Two-factor sign-in (django-otp TOTP + recovery codes; crisisroom/two_factor.py).
# On: an admin who signs in with a password and has no authenticator app must enrol
# before any other page. Single sign-on is exempt (the identity provider does MFA).
TWO_FACTOR_REQUIRED_FOR_ADMINS = envbool("CRISISROOM_REQUIRE_2FA_FOR_ADMINS", False)
OTP_TOTP_ISSUER = env("CRISISROOM_TOTP_ISSUER", "Crisis Room")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # /admin/ never shows a key or a recovery code


# Single sign-on (crisisroom/sso.py): OpenID Connect through mozilla-django-oidc when
# OIDC_ISSUER is set; password login stays for accounts that have a password.
def _group_map(name: str) -> dict[str, set[str]]:
    """`role=group,role=group2,…` as {group: {roles}} (roles are checked by crisisroom.sso)."""
    mapping: dict[str, set[str]] = {}
    for entry in envlist(name):
        role, sep, group = (part.strip() for part in entry.partition("="))
        if not sep or not role or not group:
            raise ValueError(f"{name}: {entry!r} is not ROLE=GROUP")
        mapping.setdefault(group, set()).add(role)
    return mapping


OIDC_ISSUER = env("OIDC_ISSUER")
OIDC_ENABLED = bool(OIDC_ISSUER)
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("OIDC_SCOPES", "openid email profile")
OIDC_USERNAME_CLAIM = env("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", "groups")
OIDC_ORG_ROLE_GROUPS = _group_map("OIDC_ORG_ROLE_GROUPS")
OIDC_CRISIS_ROLE_GROUPS = _group_map("OIDC_CRISIS_ROLE_GROUPS")
OIDC_TIMEOUT = envint("OIDC_TIMEOUT_SECONDS", 10)
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the hint for signing out at the provider (crisisroom.sso)
OIDC_AUTHENTICATE_CLASS = "crisisroom.sso.AuthenticateView"
OIDC_CALLBACK_CLASS = "crisisroom.sso.CallbackView"
LOGIN_REDIRECT_URL_FAILURE = LOGIN_URL

HTTPS = envbool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_PROXY") else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hant", _("Traditional Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("DEFAULT_TIME_ZONE", "UTC")
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise warns about a missing root; collectstatic fills it in production.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if envbool("STATIC_MANIFEST", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email --------------------------------------------------------------------
# Embedded mode with no mail server configured writes alert emails to var/mail/
# (one file per message) so a newcomer can read them; otherwise SMTP.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if EMBEDDED and not env("EMAIL_HOST")
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("EMAIL_PORT", 1025)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Crisis Room <crisisroom@localhost>")

# --- Product settings ---------------------------------------------------------
API_MAX_ITEMS = 1000
API_MAX_BODY_BYTES = envint("API_MAX_BODY_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
WAR_ROOM_FEED_SIZE = envint("WAR_ROOM_FEED_SIZE", 50)
# Polled sources (monitoring/connectors): a URL resolving to a private, loopback or
# link-local address is refused unless this is on (tests reach 127.0.0.1 with it).
SOURCES_ALLOW_PRIVATE_ADDRESSES = envbool("SOURCES_ALLOW_PRIVATE_ADDRESSES", False)
SOURCES_ALLOWED_NETWORKS = envlist("SOURCES_ALLOWED_NETWORKS")  # e.g. "10.1.2.0/24"
# The one folder a source's CRISISROOM_SOURCE_*_FILE secret may be read from.
SOURCES_SECRETS_DIR = env("SOURCES_SECRETS_DIR", "/run/secrets")
SOURCES_HTTP_TIMEOUT_SECONDS = envint("SOURCES_HTTP_TIMEOUT_SECONDS", 20)
SOURCES_MAX_RESPONSE_BYTES = envint("SOURCES_MAX_RESPONSE_BYTES", 5 * 1024 * 1024)
SOURCES_MAX_BACKOFF_SECONDS = envint("SOURCES_MAX_BACKOFF_SECONDS", 6 * 3600)
# On call: "ordered" (the list's first person, then the next on escalation) or
# "weekly" (the first place moves one person down the list each week, counted
# from ON_CALL_ROTATION_START, a Monday, in UTC).
ON_CALL_ROTATION = env("ON_CALL_ROTATION", "ordered")
ON_CALL_ROTATION_START = env("ON_CALL_ROTATION_START", "2026-01-05")
# Page the next person when an alert is not acknowledged within this many minutes.
ALERT_ESCALATE_AFTER_MINUTES = envint("ALERT_ESCALATE_AFTER_MINUTES", 15)
# The one-click acknowledge link in alert emails stops working after this long.
ALERT_ACK_LINK_MAX_AGE_MINUTES = envint("ALERT_ACK_LINK_MAX_AGE_MINUTES", 24 * 60)
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 10)
# Durable alerts (crisisroom/services/alert_delivery.py): a failed try waits
# ALERT_RETRY_BASE_SECONDS, doubling up to ALERT_RETRY_MAX_SECONDS, and tries go on
# for ALERT_RETRY_FOR_SECONDS (24 h) before the alert is given up. After
# ALERT_FAILOVER_AFTER_ATTEMPTS failed tries of an email the next person is paged.
ALERT_RETRY_BASE_SECONDS = envint("ALERT_RETRY_BASE_SECONDS", 30)
ALERT_RETRY_MAX_SECONDS = envint("ALERT_RETRY_MAX_SECONDS", 15 * 60)
ALERT_RETRY_FOR_SECONDS = envint("ALERT_RETRY_FOR_SECONDS", 24 * 3600)
ALERT_FAILOVER_AFTER_ATTEMPTS = envint("ALERT_FAILOVER_AFTER_ATTEMPTS", 3)
# A "sending" claim older than this means its worker died mid-send.
ALERT_SENDING_STALE_SECONDS = envint("ALERT_SENDING_STALE_SECONDS", 10 * 60)
# One sweep stops claiming after this long (the next one goes on).
ALERT_SWEEP_BUDGET_SECONDS = envint("ALERT_SWEEP_BUDGET_SECONDS", 45)
# A situation report that cannot go out is retried (same back-off) this long: after
# that the next period's report says more (playbook/services/sitrep.py).
SITREP_RETRY_FOR_SECONDS = envint("SITREP_RETRY_FOR_SECONDS", 3600)
# Scheduled posts (playbook/services/scheduled.py): a failure worth retrying waits
# like an alert (ALERT_RETRY_BASE_SECONDS, doubling); after this many tries it fails.
SCHEDULED_POST_MAX_ATTEMPTS = envint("SCHEDULED_POST_MAX_ATTEMPTS", 6)
# Idempotency-Key answers are kept this long per API token.
IDEMPOTENCY_KEY_HOURS = envint("IDEMPOTENCY_KEY_HOURS", 24)
# /api/v1 answers 503 with this Retry-After when the database or broker is down.
API_RETRY_AFTER_SECONDS = envint("API_RETRY_AFTER_SECONDS", 5)
# War room: the server pings its socket through the channel layer this often; a
# ping that does not come back marks the layer down, and when one does again the
# page is told to resync. The page resyncs itself when no heartbeat came for
# WAR_ROOM_HEARTBEAT_MISSED_SECONDS.
WAR_ROOM_HEARTBEAT_SECONDS = envint("WAR_ROOM_HEARTBEAT_SECONDS", 5)
WAR_ROOM_HEARTBEAT_MISSED_SECONDS = envint("WAR_ROOM_HEARTBEAT_MISSED_SECONDS", 15)

# --- Operations -----------------------------------------------------------------
# /metrics (Prometheus): with METRICS_TOKEN set, a scraper sends it as a bearer token;
# without one, only addresses in METRICS_ALLOWED_NETWORKS are answered.
METRICS_TOKEN = env("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = envlist("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
METRICS_KEY_PREFIX = f"{env('CACHE_KEY_PREFIX', 'crisisroom')}:metrics"
PROMETHEUS_EXPORT_MIGRATIONS = False

LOG_FORMAT = env("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ValueError(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = observability.logging_config(level=env("LOG_LEVEL", "INFO"), json=LOG_FORMAT == "json")

SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    observability.sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT"),
        traces_sample_rate=float(env("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
    )
