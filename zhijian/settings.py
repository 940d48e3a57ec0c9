"""Django settings for Zhijian.

Everything that differs between deployments comes from environment variables
(``ZHIJIAN_*``); the defaults give the embedded SQLite set-up of ``make run``.
"""
import os
from pathlib import Path


BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ZHIJIAN_VAR_DIR", BASE_DIR / "var"))
# Complaint-classifier models that are pure functions of the bundled data (their names hash it),
# fitted once per machine and shared by every VAR_DIR (tests, the two test passes, web and worker).
CLASSIFIER_CACHE_DIR = Path(os.environ.get("ZHIJIAN_CLASSIFIER_CACHE", VAR_DIR / "cache" / "classifier"))
# Reference data (GB/T 2260 divisions, GB/T 4754 industries, the key product catalog).
REFERENCE_DATA_DIR = Path(
    os.environ.get("ZHIJIAN_REFERENCE_DATA", BASE_DIR / "zhijian" / "registry" / "data")
)

SECRET_KEY = os.environ.get("ZHIJIAN_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("ZHIJIAN_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("ZHIJIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

# The deployment's province (GB/T 2260 code). Nothing is hard-wired to Jiangsu.
ZHIJIAN_PROVINCE_CODE = os.environ.get("ZHIJIAN_PROVINCE_CODE", "320000")
# Complainants' and reporters' personal data is anonymised this many years after a case closes.
ZHIJIAN_COMPLAINT_RETENTION_YEARS = int(os.environ.get("ZHIJIAN_COMPLAINT_RETENTION_YEARS", "5"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_tables2",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "zhijian.core",
    "zhijian.accounts",
    "zhijian.registry",
    "zhijian.deadlines",
    "zhijian.spotcheck",
    "zhijian.credit",
    "zhijian.analytics",
    "zhijian.complaints",
    "zhijian.risk",
    "zhijian.enforcement",
    "zhijian.recall",
    "zhijian.targets",
    "zhijian.portal",
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
    "django_htmx.middleware.HtmxMiddleware",
    "zhijian.core.middleware.ChangeLoggingMiddleware",
]

ROOT_URLCONF = "zhijian.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zhijian" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhijian.core.context_processors.zhijian",
            ],
        },
    },
]

WSGI_APPLICATION = "zhijian.wsgi.application"


def _database():
    engine = os.environ.get("ZHIJIAN_DB", "sqlite")
    if engine == "postgres":
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PGDATABASE", "zhijian"),
            "USER": os.environ.get("PGUSER", "zhijian"),
            "PASSWORD": os.environ.get("PGPASSWORD", ""),
            "HOST": os.environ.get("PGHOST", "127.0.0.1"),
            "PORT": os.environ.get("PGPORT", "5432"),
            "TEST": {"NAME": os.environ.get("ZHIJIAN_TEST_DB", "test_zhijian")},
        }
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database lives here
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("ZHIJIAN_SQLITE", str(VAR_DIR / "zhijian.sqlite3")),
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    }


DATABASES = {"default": _database()}
# PostgreSQL connections are kept for this many seconds (gunicorn workers reuse them).
CONN_MAX_AGE = int(os.environ.get("ZHIJIAN_CONN_MAX_AGE", "60" if not DEBUG else "0"))
CONN_HEALTH_CHECKS = True
# The audit chain: deferred entries (agency lookups) are chained after every this many (0: only
# by the scheduler / `manage.py flush_audit`).
ZHIJIAN_AUDIT_FLUSH_EVERY = int(os.environ.get("ZHIJIAN_AUDIT_FLUSH_EVERY", "50"))
# /readyz and `zhijian status` call the worker stale after this many seconds without a heartbeat.
ZHIJIAN_HEARTBEAT_MAX_AGE = int(os.environ.get("ZHIJIAN_HEARTBEAT_MAX_AGE", "300"))

# --- production (ZHIJIAN_DEBUG=0): secrets from the environment, HTTPS-only cookies, HSTS.
# The platform runs behind a TLS-terminating reverse proxy (docs/deploy.md), which sets
# X-Forwarded-Proto; ZHIJIAN_SSL_REDIRECT=0 only for a server that is reached on loopback.
if not DEBUG:
    from django.core.exceptions import ImproperlyConfigured

    if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "ZHIJIAN_SECRET_KEY must be set to a random value of at least 50 characters when "
            "ZHIJIAN_DEBUG=0 (e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))')")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = os.environ.get("ZHIJIAN_SSL_REDIRECT", "1") == "1"
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
    SECURE_HSTS_SECONDS = int(os.environ.get("ZHIJIAN_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
    # Health probes come over plain HTTP from the load balancer / orchestrator.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "zhijian" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Development serves static files straight from the apps; production from STATIC_ROOT
# (collectstatic, run by `make serve` and the deploy scripts).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "zhijian.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["zhijian.core.permissions.ScopedPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend",
                                "rest_framework.filters.OrderingFilter"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["zhijian.core.throttling.AnonRateThrottle",
                                 "zhijian.core.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": os.environ.get("ZHIJIAN_ANON_RATE", "600/minute"),
                               "token": os.environ.get("ZHIJIAN_TOKEN_RATE", "1200/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zhijian API",
    "DESCRIPTION": "Quality-supervision platform: registry, spot checks, credit, complaints.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"DivisionLevelEnum": "zhijian.registry.models.Division.Level",
                            "VerdictEnum": "zhijian.spotcheck.models.Task.Verdict",
                            "CaseKindEnum": "zhijian.complaints.models.Kind",
                            "CaseChannelEnum": "zhijian.complaints.models.Channel",
                            "CaseStatusEnum": "zhijian.complaints.models.Case.Status",
                            "RiskLevelEnum": "zhijian.risk.models.RiskLevel",
                            "IncidentChannelEnum": "zhijian.risk.models.Incident.Channel",
                            "IncidentReportKindEnum": "zhijian.risk.models.IncidentReport.Kind",
                            "ReactionKindEnum": "zhijian.risk.models.AlertReaction.Kind",
                            "OutcomeEnum": "zhijian.complaints.models.Case.Outcome",
                            "EnforcementOutcomeEnum": "zhijian.enforcement.models.Case.Outcome",

                            "MovementKindEnum": "zhijian.recall.models.Movement.Kind",
                            "RecallKindEnum": "zhijian.recall.models.RecallCase.Kind"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                      "LOCATION": "zhijian_cache"}}

# Background jobs (imports, ...): django-tasks with its database backend; `manage.py db_worker`
# runs them. ZHIJIAN_TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend runs them
# in-process (tests use that).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("ZHIJIAN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Imports: largest upload accepted by the web page (bytes); the CLI has no limit.
ZHIJIAN_IMPORT_MAX_UPLOAD = int(os.environ.get("ZHIJIAN_IMPORT_MAX_UPLOAD", 256 * 1024 * 1024))

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Refused and bad requests (4xx) are one line without a traceback; 5xx keep theirs.
    "filters": {"requests": {"()": "zhijian.core.request_log.RequestLogFilter"}},
    # ZHIJIAN_LOG_FORMAT=json: one JSON object per line, with the request id of the audit entries.
    "formatters": {"json": {"()": "zhijian.core.request_log.JsonFormatter"},
                   "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": os.environ.get("ZHIJIAN_LOG_FORMAT", "text")}},
    "loggers": {"django.request": {"filters": ["requests"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("ZHIJIAN_LOG_LEVEL", "WARNING")},
}

AUTHENTICATION_BACKENDS = ["zhijian.accounts.roles.RoleBackend"]
