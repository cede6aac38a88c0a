"""Settings for fravaer, driven by environment variables (see README, "Environment").

Every value is parsed with a type; an invalid value stops the process at start with
the variable's name in the message.
"""

import datetime as dt
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _
from environs import Env, EnvError, validate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env()
env.read_env(BASE_DIR / ".env", recurse=False)

try:
    DEBUG = env.bool("DEBUG", False)
    SECRET_KEY = env.str("SECRET_KEY", "") or ("dev-only-insecure-key-" + "x" * 40 if DEBUG else "")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])
    SITE_URL = env.url("SITE_URL", None)
    SITE_URL = SITE_URL.geturl().rstrip("/") if SITE_URL else "http://127.0.0.1:8000"
    DATABASES = {
        "default": env.dj_db_url(
            "DATABASE_URL",
            f"sqlite:///{VAR_DIR / 'fravaer.sqlite3'}",
            conn_max_age=env.int("DB_CONN_MAX_AGE", 60),
        )
    }
    CACHES = {"default": env.dj_cache_url("CACHE_URL", "locmem://fravaer")}
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", "")
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", "") or None
    # The longest a save waits for the broker when it enqueues a task
    # (`fravaer.actions.outbox`): well under the 2 s a request may spend on it.
    ENQUEUE_TIMEOUT = env.float("ENQUEUE_TIMEOUT", 1.0, validate=validate.Range(min=0.05, max=1.5))
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND",
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend",
    )
    EMAIL_HOST = env.str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "fravaer@localhost")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not DEBUG)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", not DEBUG)
    LOG_LEVEL = env.log_level("LOG_LEVEL", "INFO")
    IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
    # Reverse proxies in front of the web process that add the client's address to
    # X-Forwarded-For; 0: the connection's own address is the client's.
    TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0, validate=validate.Range(min=0))
    # Hashed, compressed static files (run `collectstatic` first); off in development.
    STATIC_MANIFEST = env.bool("STATIC_MANIFEST", not DEBUG)
except EnvError as exc:  # pragma: no cover - exercised by tests/fravaer/test_settings.py
    raise SystemExit(f"Invalid environment variable: {exc}") from exc

if not SECRET_KEY:
    raise SystemExit("Invalid environment variable: SECRET_KEY must be set when DEBUG is off")

INSTALLED_APPS = [
    "fravaer",
    "cases",
    "plans",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "guardian",
    "csp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fravaer.middleware.NorwegianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Between authentication and the login check: slides or ends the session.
    "fravaer.middleware.SessionLifetimeMiddleware",
    # Django's LoginRequiredMiddleware, answering htmx requests with HX-Redirect.
    "fravaer.middleware.HtmxLoginRequiredMiddleware",
    "fravaer.middleware.PrivateNoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After auth, messages and htmx: it reads the user, adds a message, answers htmx.
    "fravaer.middleware.OncePerSubmissionMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fravaer.urls"
WSGI_APPLICATION = "fravaer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "fravaer.context_processors.inbox",
                "fravaer.context_processors.session_expiry",
            ],
        },
    },
]

# Django's form renderer, with its common widget templates made in Python (the
# register's and the case board's rows): the same HTML, faster (fravaer/forms/renderers.py).
FORM_RENDERER = "fravaer.forms.renderers.FastRenderer"

AUTH_USER_MODEL = "fravaer.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every login attempt while the account or the address is locked.
    "axes.backends.AxesStandaloneBackend",
    "fravaer.auth.CaseInsensitiveModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "fravaer.auth.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for a day, and once

# Login throttling (django-axes). Failed logins are counted in the database, which
# every web process shares (a cache would be per process with the default locmem);
# either the account (however the address is capitalised) or the client address
# locks, for a cool-off after the last failure, not until an administrator steps in.
# The address may fail more often than an account: a school's staff and pupils share
# one public address, and one pupil must not lock the whole school out.
AXES_HANDLER = "fravaer.auth.AccountOrAddressHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = 5  # per account
LOGIN_ADDRESS_FAILURE_LIMIT = 50  # per client address
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_USERNAME_CALLABLE = "fravaer.auth.login_name"
AXES_LOCKOUT_CALLABLE = "fravaer.auth.locked_out"
# Who logged in from where is not kept (the session table already knows who is in).
AXES_DISABLE_ACCESS_LOG = True
# The client address: the connection's, or, behind TRUSTED_PROXY_COUNT proxies, the
# entry the outermost of them added to X-Forwarded-For, counted from the right; what a
# client writes to the left of it is ignored, so a forged header neither dodges nor
# resets a lock. (ipware counts the proxies listed in the header: all but the last.)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXY_COUNT else ("REMOTE_ADDR",)
)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1 if TRUSTED_PROXY_COUNT else None
# Not strict: extra entries a client put in front are skipped, not a reason to fall
# back to the proxy's own address.
IPWARE_STRICT = False
# guardian: no anonymous user row; nothing here is public.
ANONYMOUS_USER_NAME = None

# Sessions are read from the cache (no query per request) and written through to the
# database. Production must use a shared cache (CACHE_URL=redis://…) so a logout in one
# worker process ends the session in all of them (checked by `check --deploy`).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# A session ends after a school day without activity (each request slides it), never
# more than a day after the sign-in, and when the browser closes; the page warns before
# the end and lets the user extend (WCAG 2.2.1; fravaer/session_expiry.py).
SESSION_COOKIE_AGE = 60 * 60 * 10
SESSION_MAX_LIFETIME = 60 * 60 * 24
SESSION_ACTIVITY_INTERVAL = 60 * 5  # the session is written at most this often
SESSION_WARNING_SECONDS = 60 * 5  # the warning comes this long before the end
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The container health check calls /helse/ over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^helse/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Designsystemet's CSS draws its icons from data: URLs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

LANGUAGE_CODE = "nb"
LANGUAGES = [
    ("nb", _("Norsk bokmål")),
    ("nn", _("Norsk nynorsk")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["fravaer.formats"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", VAR_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000  # a class register posts ~10 fields per pupil

# Celery: with no broker configured, tasks run in-process (the zero-setup demo).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A request never publishes through these: it writes an outbox row and publishes on a
# connection of its own, bounded by ENQUEUE_TIMEOUT (`fravaer.actions.outbox`). The
# worker and beat use them: a bounded connect, and a socket timeout so that a broker
# that vanishes without closing the connection fails a command instead of holding it
# for ever (redis-py has no read timeout by default).
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "socket_connect_timeout": 3,
    "socket_timeout": 10,
}
CELERY_BEAT_SCHEDULE = {
    "scan-absence-nightly": {
        "task": "fravaer.tasks.scan_all_schools",
        "schedule": crontab(hour=5, minute=0),  # Europe/Oslo (CELERY_TIMEZONE)
    },
    # What saves could not hand to the broker (it was down or silent): sent once the
    # broker is back (also when a worker starts, `fravaer.celery`).
    "relay-outbox": {
        "task": "fravaer.tasks.relay_outbox_tasks",
        "schedule": crontab(),  # every minute
    },
    "clear-expired-sessions": {
        "task": "fravaer.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=15),  # Europe/Oslo (CELERY_TIMEZONE)
    },
    "case-departures": {
        "task": "cases.tasks.follow_people_changes_daily",
        "schedule": crontab(hour=0, minute=30),  # Europe/Oslo (CELERY_TIMEZONE)
    },
    "case-deadline-reminders": {
        "task": "cases.tasks.send_deadline_reminders_daily",
        "schedule": crontab(hour=6, minute=0),  # Europe/Oslo (CELERY_TIMEZONE)
    },
    # The monthly rollup for the municipality's overview (`fravaer.rollups`), after
    # the night's scan.
    "rollup-recent-months": {
        "task": "fravaer.tasks.rollup_recent_months",
        "schedule": crontab(hour=5, minute=30),  # Europe/Oslo (CELERY_TIMEZONE)
    },
    "monthly-overview-ready": {
        "task": "fravaer.tasks.announce_monthly_overviews_daily",
        "schedule": crontab(hour=6, minute=10),  # Europe/Oslo (CELERY_TIMEZONE)
    },
    # The contact teacher's week, for those who chose it (a link only).
    "week-emails-friday": {
        "task": "fravaer.tasks.send_week_emails_friday",
        "schedule": crontab(hour=14, minute=0, day_of_week="fri"),  # Europe/Oslo
    },
    "case-pupil-consent-at-15": {
        "task": "cases.tasks.remind_pupil_consent_daily",
        "schedule": crontab(hour=6, minute=5),  # Europe/Oslo (CELERY_TIMEZONE)
    },
}

# What the upper apps do when something changes in fravaer (`fravaer.events`, where the
# events and their payloads are documented): event → handlers, called in this order
# inside the transaction of the change.
EVENT_HANDLERS: dict[str, list[str]] = {
    "flags_raised": ["cases.actions.attach_new_flags"],
    "people_changed": ["cases.actions.follow_people_changes"],
}
# What the upper apps add to fravaer's pages (`fravaer.panels`): page → panel functions,
# rendered in this order. `case_detail` is the cases app's page, for `plans`.
PAGE_PANELS: dict[str, list[str]] = {
    "home": ["cases.panels.my_cases", "cases.panels.case_boards"],
    "flagged_pupils": ["cases.panels.flagged_pupils_cases"],
    "pupil_detail": ["cases.panels.pupil_case"],
    "case_detail": [
        "plans.panels.case_plan",
        "plans.panels_evaluations.case_evaluations",
        "plans.panels_chart.absence_panels",
        "plans.panels_documents.case_documents_panel",
    ],
    "meeting_detail": ["plans.panels_documents.meeting_minutes_panel"],
    # The cases app's semester status (`cases.views.semester`), for `plans`.
    "semester_status": ["plans.semester.semester_panel"],
    "monthly_overview": ["cases.panels.overview_cases"],
    "week": ["cases.panels.week_deadlines"],
}
# What each app adds to the monthly rollup (`fravaer.rollups`), in the order the
# municipality's overview shows it.
ROLLUP_CONTRIBUTORS: list[str] = [
    "fravaer.rollups.absence",
    "fravaer.rollups.flags",
    "cases.rollups.cases",
    "cases.rollups.deadlines",
    "plans.rollups.evaluations",
    "plans.rollups.plan_attendance",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # django-axes logs every login at INFO (the names and addresses masked); its
        # failures and locks, at WARNING, are the ones worth keeping.
        "axes": {"level": "WARNING"},
        # WeasyPrint (fravaer.pdf): fontTools logs every font subset at INFO, and
        # WeasyPrint's own warnings quote the document's text and URLs, which may be
        # about a pupil: silenced (our fetcher logs its refusals, without the URL).
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "CRITICAL"},
        # In-process (no broker) Celery still asks kombu for a producer, which warns
        # once that it has no broker host, and logs each task as a worker would;
        # nothing is sent and there is no worker, so the demo's output stays quiet
        # (failures are still logged).
        **(
            {
                "kombu.connection": {"level": "ERROR"},
                "celery.app.trace": {"level": "WARNING"},
            }
            if CELERY_TASK_ALWAYS_EAGER
            else {}
        ),
    },
}
