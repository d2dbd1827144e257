"""Settings for Partner Portal, read from the environment (see `.env.example` for every variable).

The defaults run the portal on SQLite against the embedded Partner Center sandbox, so a fresh
checkout works with no configuration; live mode refuses to start without what it needs.
Every variable is read here, through the strict readers of `portal/env.py`; the checks that
refuse a bad value, and the builders of the longer settings, are in `portal/settings_checks.py`
(and `portal/staff/entra_settings.py`, `portal.log_format.logging_config`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from portal.env import (
    checked_url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_secret,
    env_str,
    env_time_zone,
)
from portal.log_format import logging_config
from portal.settings_checks import (
    check_partner_center_app,
    checked_hosts,
    encryption_keys,
    portal_database,
    sandbox_database,
    secret_key,
)
from portal.staff.entra_settings import check_entra_settings, parse_group_roles

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("PORTAL_DATA_DIR", str(BASE_DIR / "var")))

# --- Mode -----------------------------------------------------------------------------------
SANDBOX = "sandbox"
LIVE = "live"
PARTNER_CENTER_MODE = env_choice("PARTNER_CENTER_MODE", (SANDBOX, LIVE), default=SANDBOX)
SANDBOX_ENABLED = PARTNER_CENTER_MODE == SANDBOX
# Partner Center itself, in live mode (the client adds /v1); sandbox mode calls the sandbox
# in-process instead.
# Bearer tokens never travel over plain http: https in live mode (sandbox mode may point it at a
# local sandbox over http). National clouds are not supported: staff and app sign-in use
# login.microsoftonline.com.
PARTNER_CENTER_BASE_URL = checked_url(
    "PARTNER_CENTER_BASE_URL",
    env_str("PARTNER_CENTER_BASE_URL", "https://api.partnercenter.microsoft.com"),
    schemes=("https",) if not SANDBOX_ENABLED else ("https", "http"),
)

DEBUG = env_bool("DEBUG", default=False)
if DEBUG and not SANDBOX_ENABLED:
    raise ImproperlyConfigured("DEBUG must be false in live mode: its error pages show settings.")

# Sandbox mode without one makes a key once and keeps it beside the SQLite files.
SECRET_KEY = secret_key(env_secret("DJANGO_SECRET_KEY"), sandbox=SANDBOX_ENABLED, data_dir=DATA_DIR)
# Rotating DJANGO_SECRET_KEY: the previous keys, comma-separated, still verify what they signed
# (sessions, password reset links) until they are dropped (README: "Keys").
SECRET_KEY_FALLBACKS = [
    key.strip() for key in env_secret("DJANGO_SECRET_KEY_FALLBACKS").split(",") if key.strip()
]

_LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = checked_hosts(
    env_list("ALLOWED_HOSTS", _LOCAL_HOSTS if SANDBOX_ENABLED else []), sandbox=SANDBOX_ENABLED
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Encryption of stored secrets (portal.crypto) ---------------------------------------------
# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation). Sandbox mode without
# one derives a key from SECRET_KEY; live mode never does, so it needs its own.
PORTAL_ENCRYPTION_KEYS = encryption_keys(
    env_secret("PORTAL_ENCRYPTION_KEY"), sandbox=SANDBOX_ENABLED
)

# --- Partner Center sign-in (live mode; portal.partnercenter.msal_app) ----------------------
# The partner's Entra app registered in Partner Center: its tenant, application (client) id and
# client secret. Sandbox mode needs none of them.
PARTNER_CENTER_TENANT_ID = env_str("PARTNER_CENTER_TENANT_ID")
PARTNER_CENTER_APP_ID = env_str("PARTNER_CENTER_APP_ID")
PARTNER_CENTER_APP_SECRET = env_secret("PARTNER_CENTER_APP_SECRET")
if not SANDBOX_ENABLED:
    check_partner_center_app(
        tenant_id=PARTNER_CENTER_TENANT_ID,
        app_id=PARTNER_CENTER_APP_ID,
        app_secret=PARTNER_CENTER_APP_SECRET,
    )

# --- Applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    # Django's admin with a superusers-only site (portal.admin_site).
    "portal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_countries",
    "django_tasks_db",
    "axes",
    # The second factor of local accounts (portal.staff.second_factor): TOTP apps (the one-time
    # recovery codes are the portal's own, kept as digests).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "portal",
    "portal.sandbox",
    "customers",
    "users",
]

MIDDLEWARE = [
    # First: the request id and the access log line cover every response, /healthz's too.
    "portal.request_context.RequestContextMiddleware",
    # Before the host check and the https redirect: the container's own health check calls
    # http://127.0.0.1:8000/healthz.
    "portal.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: a session that is over ends here, saying why.
    "portal.staff.sessions.SessionExpiryMiddleware",
    # Then the second factor: django-otp says whether this session gave one; the gate sends a
    # local account that needs one to the code step (or to enrol) first.
    "django_otp.middleware.OTPMiddleware",
    "portal.staff.second_factor.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After HtmxMiddleware, which it needs: a signed-out htmx request gets HX-Redirect.
    "portal.middleware.HtmxLoginRedirectMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "portal.context_processors.portal",
                "portal.connection.context_processors.partner_center_banner",
            ],
        },
    },
]

# --- Databases ------------------------------------------------------------------------------
# Two aliases: the portal's own data, and the sandbox's (a separate system that happens to share
# the process, so its writes never join a portal transaction). In live mode the sandbox alias
# points at the portal's database: its tables exist there but stay empty, so the migrations a
# deployment runs never depend on the mode.
# PostgreSQL plans the portal's queries for SSD storage, where a random read costs little more
# than a sequential one: with the server's default (4) it reads a customer's every user to show a
# filtered page of 50 from a table of a few thousand rows. 'server' keeps the server's setting.
DEFAULT_DB = portal_database(
    env_secret("DATABASE_URL"),
    sandbox=SANDBOX_ENABLED,
    data_dir=DATA_DIR,
    random_page_cost=env_str("DATABASE_RANDOM_PAGE_COST", "1.1"),
)
if SANDBOX_ENABLED:
    SANDBOX_DB = sandbox_database(env_secret("SANDBOX_DATABASE_URL"), DEFAULT_DB, data_dir=DATA_DIR)
else:
    SANDBOX_DB = dict(DEFAULT_DB)
DATABASES = {"default": DEFAULT_DB, "sandbox": SANDBOX_DB}
DATABASE_ROUTERS = ["portal.routers.SandboxRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Shared by every process: the database cache by default, Redis when configured. Never the
# per-process memory cache, which would give each worker its own idea of a customer's users.
REDIS_URL = env_secret("REDIS_URL")
if REDIS_URL:
    checked_url("REDIS_URL", REDIS_URL, schemes=("redis", "rediss", "unix"), secret=True)
    CACHES = {
        "default": {
            # Django's Redis cache that goes on without Redis when it is down (portal.cache).
            "BACKEND": "portal.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            # The mode in every key: nothing cached in sandbox mode is read in live mode.
            "KEY_PREFIX": f"{env_str('CACHE_KEY_PREFIX', 'portal')}:{PARTNER_CENTER_MODE}",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
            "KEY_PREFIX": PARTNER_CENTER_MODE,
        }
    }

# The directory (customers/directory): the mirror of Partner Center that every list reads.
# A customer opened with a mirror older than PORTAL_DIRECTORY_TTL seconds is read again in the
# background (the page shows the mirror it has meanwhile); the maintenance loop's sweep keeps
# every customer younger than PORTAL_DIRECTORY_MAX_AGE seconds, making at most
# PORTAL_DIRECTORY_CALLS_PER_SECOND Partner Center calls a second in all (slower after 429s).
# A sync reads this many of a customer's lists at once.
PORTAL_DIRECTORY_TTL = env_int("PORTAL_DIRECTORY_TTL", default=300, minimum=10)
PORTAL_DIRECTORY_MAX_AGE = env_int("PORTAL_DIRECTORY_MAX_AGE", default=6 * 3600, minimum=60)
PORTAL_DIRECTORY_CALLS_PER_SECOND = env_float(
    "PORTAL_DIRECTORY_CALLS_PER_SECOND", default=5.0, minimum=0.1, maximum=1000.0
)
PORTAL_DIRECTORY_SYNC_CONCURRENCY = env_int(
    "PORTAL_DIRECTORY_SYNC_CONCURRENCY", default=4, minimum=1
)

# --- Audit and tickets ----------------------------------------------------------------------
# Reverse proxies (IPs or CIDR ranges) whose X-Forwarded-For is believed for the audit log's
# client address.
PORTAL_TRUSTED_PROXIES = env_networks("PORTAL_TRUSTED_PROXIES")
# Every form that changes something asks for a ticket reference; this makes it required.
PORTAL_TICKET_REQUIRED = env_bool("PORTAL_TICKET_REQUIRED", default=False)
# Turns ticket ids into links, e.g. https://support.example.com/tickets/{ticket}
PORTAL_TICKET_URL_TEMPLATE = env_str("PORTAL_TICKET_URL_TEMPLATE")
if PORTAL_TICKET_URL_TEMPLATE and "{ticket}" not in PORTAL_TICKET_URL_TEMPLATE:
    raise ImproperlyConfigured("PORTAL_TICKET_URL_TEMPLATE must contain {ticket}.")
# Audit records older than this many days are deleted by `manage.py portal_maintenance`;
# 0 keeps them forever.
PORTAL_AUDIT_RETENTION_DAYS = env_int("PORTAL_AUDIT_RETENTION_DAYS", default=400, minimum=0)

# --- Background tasks -----------------------------------------------------------------------
# Two workers: "default" runs bulk uploads, "directory" reads customers into the directory, so
# neither waits behind the other (`make run` and compose.yaml start both).
TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
    "directory": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["directory"]},
}

# Bulk uploads (users/bulk): how many users a job creates at once; how long a worker's lease on
# a job lasts without renewal (after that, `portal_maintenance` hands the job to another
# worker); how long temporary passwords wait, encrypted, to be downloaded before they are erased.
PORTAL_BULK_CONCURRENCY = env_int("PORTAL_BULK_CONCURRENCY", default=8, minimum=1)
PORTAL_BULK_LEASE_SECONDS = env_int("PORTAL_BULK_LEASE_SECONDS", default=60, minimum=5)
PORTAL_BULK_PASSWORD_TTL_HOURS = env_int("PORTAL_BULK_PASSWORD_TTL_HOURS", default=24, minimum=1)
# Scheduled changes (a job with a time to run at) start within a few seconds of their time; one
# found more than this many minutes late (the portal was down) is held for a person to confirm.
PORTAL_SCHEDULE_GRACE = env_int("PORTAL_SCHEDULE_GRACE", default=60, minimum=1)

# --- Auth, sessions, security ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's password check, refused when PORTAL_LOCAL_SIGNIN=false or for Microsoft accounts.
    "portal.staff.backends.LocalPasswordBackend",
    # Restores the sessions of staff who signed in with Microsoft (portal.staff.entra).
    "portal.staff.backends.EntraBackend",
]

# Sign in with Microsoft (portal.staff.entra): staff sign in with the partner's Entra accounts
# and get their role from their Entra groups at each sign-in. Local accounts can be turned off.
PORTAL_LOCAL_SIGNIN = env_bool("PORTAL_LOCAL_SIGNIN", default=True)
PORTAL_ENTRA_SIGNIN = env_bool("PORTAL_ENTRA_SIGNIN", default=False)
PORTAL_ENTRA_TENANT_ID = env_str("PORTAL_ENTRA_TENANT_ID")
PORTAL_ENTRA_CLIENT_ID = env_str("PORTAL_ENTRA_CLIENT_ID")
PORTAL_ENTRA_CLIENT_SECRET = env_secret("PORTAL_ENTRA_CLIENT_SECRET")
# Empty: built from the request (https://<host>/sign-in/microsoft/callback/).
PORTAL_ENTRA_REDIRECT_URI = env_str("PORTAL_ENTRA_REDIRECT_URI")
PORTAL_ENTRA_GROUP_ROLES: dict[str, str] = parse_group_roles(
    "PORTAL_ENTRA_GROUP_ROLES", env_str("PORTAL_ENTRA_GROUP_ROLES")
)
if PORTAL_ENTRA_SIGNIN:
    check_entra_settings(
        tenant_id=PORTAL_ENTRA_TENANT_ID,
        client_id=PORTAL_ENTRA_CLIENT_ID,
        client_secret=PORTAL_ENTRA_CLIENT_SECRET,
        group_roles=PORTAL_ENTRA_GROUP_ROLES,
    )
elif not PORTAL_LOCAL_SIGNIN:
    raise ImproperlyConfigured(
        "PORTAL_LOCAL_SIGNIN=false needs PORTAL_ENTRA_SIGNIN=true: nobody could sign in."
    )

LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "staff:login"

# Sign-in throttling (django-axes and portal/staff/throttle.py): this many failures for one
# username from one address lock that pair out for PORTAL_LOGIN_LOCKOUT_MINUTES, and
# PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the usernames, lock the
# address; a success resets its own pair's count.
AXES_FAILURE_LIMIT = env_int("PORTAL_LOGIN_FAILURE_LIMIT", default=5, minimum=1)
PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = env_int(
    "PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT", default=50, minimum=1
)
_LOCKOUT_MINUTES = env_int("PORTAL_LOGIN_LOCKOUT_MINUTES", default=15, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "portal.staff.throttle.SignInThrottle"
AXES_LOCKOUT_CALLABLE = "portal.staff.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.client_ip.client_ip_or_empty"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=8 * 3600, minimum=300)
# A session also ends after this many minutes without a request (portal.staff.sessions), and a
# Microsoft sign-in goes back through Microsoft this often.
PORTAL_SESSION_IDLE_MINUTES = env_int("PORTAL_SESSION_IDLE_MINUTES", default=30, minimum=1)
# Local accounts with a role must set up an authenticator app (portal.staff.second_factor).
PORTAL_REQUIRE_MFA = env_bool("PORTAL_REQUIRE_MFA", default=not SANDBOX_ENABLED)
# The name authenticator apps show for the portal's codes.
OTP_TOTP_ISSUER = "Partner Portal"
# Served over plain http (sandbox mode on http://localhost, as compose.yaml does by default):
# cookies without the Secure flag, no https redirect, no HSTS. Live mode refuses it.
PORTAL_PLAIN_HTTP = env_bool("PORTAL_PLAIN_HTTP", default=False)
if PORTAL_PLAIN_HTTP and not SANDBOX_ENABLED:
    raise ImproperlyConfigured(
        "PORTAL_PLAIN_HTTP=true is for sandbox mode on http://localhost; live mode is served "
        "over https behind a TLS proxy: set PORTAL_PLAIN_HTTP=false."
    )
_HTTPS = not (SANDBOX_ENABLED or PORTAL_PLAIN_HTTP)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=_HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=_HTTPS)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Strict Content-Security-Policy: no inline script or style anywhere (behaviour lives in
# static/js, htmx is configured without eval).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# TLS ends at a reverse proxy (live mode's default): it says "https" in X-Forwarded-Proto, which
# is believed only from PORTAL_TRUSTED_PROXIES when those are set (portal.request_context).
# Sandbox mode serves plain http (make run, docker compose up on http://localhost), so none of
# this is on there unless asked for.
if env_bool("PORTAL_BEHIND_TLS_PROXY", default=_HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=_HTTPS)
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if _HTTPS else 0, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=_HTTPS)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_time_zone("PORTAL_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", ("debug", "info", "warning", "error"), default="info").upper()
# text (default): one readable line per record; json: one JSON object per line (portal.log_format).
PORTAL_LOG_FORMAT = env_choice("PORTAL_LOG_FORMAT", ("text", "json"), default="text")
# A line written while a request runs ends with its request id: the same id as the access line's,
# the response's X-Request-ID and Partner Center's MS-CorrelationId.
LOGGING = logging_config(level=LOG_LEVEL, as_json=PORTAL_LOG_FORMAT == "json")

# --- The embedded Partner Center sandbox ---------------------------------------------------
# Users deleted longer ago than this are purged, as in Entra.
SANDBOX_RETENTION_DAYS = 30
