"""Fieldfriends settings: one file, driven by environment variables (see README "Configuration")."""

import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from marketplace.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or env_bool("FIELDFRIENDS_TESTING", False)

DEBUG = env_bool("DEBUG", False)
# Production: DEBUG off outside the test suite. The hardening defaults below follow it.
PRODUCTION = not DEBUG and not TESTING
_DEV_SECRET_KEY = "dev-insecure-key-change-me"
# DJANGO_SECRET_KEY (or SECRET_KEY): only ever from the environment, never a default in production.
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
)
if PRODUCTION and (
    len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.startswith("django-insecure-")
    or SECRET_KEY == _DEV_SECRET_KEY
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY (or SECRET_KEY) must be set to a random value of 50+ characters when "
        "DEBUG is off, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'` "
        "(for local development set DEBUG=1; `make run` does)"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# --- HTTPS, cookies and browser security headers (README "Production settings") -------------
# On by default in production (`check --deploy` clean), each overridable from the environment.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads it; forms carry the token
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django.middleware.csp): our own origin only, no inline script or
# style; Stripe's script, frames and API only in card mode (PAYMENTS_PROVIDER=stripe). The API
# docs (/api/docs) fit in it too: Swagger UI and its boot script are static files of this site,
# and "Try it out" calls the API on the same origin (connect-src 'self').
_STRIPE = env_str("PAYMENTS_PROVIDER", "bill_to_account") == "stripe"
_STRIPE_JS = ["https://js.stripe.com", "https://*.js.stripe.com"] if _STRIPE else []
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'", *_STRIPE_JS],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"] + (["https://api.stripe.com"] if _STRIPE else []),
    "frame-src": [*_STRIPE_JS, "https://hooks.stripe.com"] if _STRIPE else ["'none'"],
    "form-action": ["'self'"] + (["https://connect.stripe.com"] if _STRIPE else []),
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-ninja: its templates and Swagger UI's static files, so /api/docs loads everything
    # from this site (without it ninja renders a CDN page with an inline script the CSP blocks).
    "ninja",
    "django_tasks_db",
    "marketplace.core",
    "marketplace.accounts",
    "marketplace.pricing",
    "marketplace.helpers",
    "marketplace.jobs",
    "marketplace.payments",
    "marketplace.supply",
    "marketplace.economics",
    "marketplace.notifications",
    "marketplace.messaging",
    "marketplace.photos",
    "marketplace.security",
    "marketplace.privacy",
    "marketplace.web",
    "marketplace.seed",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body: too large → 413 (JSON under /api/).
    "marketplace.core.middleware_body.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.accounts.middleware.UserLanguageMiddleware",
    "marketplace.security.middleware.SecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "marketplace.core.middleware_db.DatabaseUnavailableMiddleware",  # last: DB lost → 503
]

ROOT_URLCONF = "marketplace.urls"
# The periodic task table (project wiring: it names tasks of every app); run_scheduler reads it.
PERIODIC_TASKS = "marketplace.periodic.PERIODIC_TASKS"
WSGI_APPLICATION = "marketplace.wsgi.application"

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
                "marketplace.notifications.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", "sqlite:///db.sqlite3"), BASE_DIR)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pl", "Polski"), ("de", "Deutsch"), ("fr", "Français")]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
# Translations (Polish complete; German and French for customer and helper pages): compiled .mo
# files are committed, so a machine without gettext still serves them. See README "Languages".
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Job photos: private files, served only through a permission-checked view (never MEDIA_URL).
PHOTO_ROOT = Path(env_str("PHOTO_ROOT", str(BASE_DIR / "var" / "photos")))
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 5 * 1024 * 1024)
# Largest request body besides files (JSON, form fields), Django's default 2.5 MB; a multipart
# upload may carry PHOTO_MAX_BYTES more. Larger bodies answer 413 (core/middleware_body.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Fieldfriends <noreply@fieldfriends.example>")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend): the server and its login.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)

# --- Geocoding (DESIGN §4) -------------------------------------------------------------------
# "offline": shipped GeoNames gazetteer (no network); "nominatim": OpenStreetMap Nominatim.
GEOCODER = env_choice("GEOCODER", "offline", {"offline", "nominatim"})
GEOCODER_USER_AGENT = env_str("GEOCODER_USER_AGENT", "fieldfriends/0.1")
GEOCODER_TIMEOUT_SECONDS = env_int("GEOCODER_TIMEOUT_SECONDS", 5)

# --- Payments (DESIGN §6) --------------------------------------------------------------------
PAYMENTS_PROVIDER = env_choice(
    "PAYMENTS_PROVIDER", "bill_to_account", {"bill_to_account", "stripe"}
)
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
# Public address of the site, for links sent away (payment return URLs, e-mails).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY", "")
# Empty: the real api.stripe.com. Tests point it at their local Stripe-compatible server.
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 20)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
# Card authorisations lapse after 7 days; capture or re-authorise this long before that.
PAYMENT_AUTHORISATION_DAYS = env_int("PAYMENT_AUTHORISATION_DAYS", 7)
PAYMENT_REAUTHORISE_HOURS_BEFORE = env_int("PAYMENT_REAUTHORISE_HOURS_BEFORE", 24)
# Estimated processing cost per captured payment, for the operator economics (DESIGN §7): a
# share of the captured amount in basis points plus a fixed amount in minor units. Card-like by
# default (2.9 % + 30) so margins are not overstated; 0/0 for a telecom that bills for free.
PAYMENT_PROCESSING_BPS = env_int("PAYMENT_PROCESSING_BPS", 290)
PAYMENT_PROCESSING_FIXED = env_int("PAYMENT_PROCESSING_FIXED", 30)
if not 0 <= PAYMENT_PROCESSING_BPS <= 10_000 or PAYMENT_PROCESSING_FIXED < 0:
    raise ImproperlyConfigured("PAYMENT_PROCESSING_BPS must be 0–10000, _FIXED 0 or more")
if PAYMENTS_PROVIDER == "stripe":
    for _name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PUBLISHABLE_KEY"):
        if not globals()[_name]:
            raise ImproperlyConfigured(f"PAYMENTS_PROVIDER=stripe needs {_name}")
    if not STRIPE_SECRET_KEY.startswith(("sk_test_", "sk_live_", "rk_")):
        raise ImproperlyConfigured("STRIPE_SECRET_KEY must be a Stripe secret key (sk_…)")

# --- Background work (DESIGN §9) -------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

# --- Marketplace behaviour -------------------------------------------------------------------
# Auto-confirm a completed job when the customer does not react within this many hours.
AUTO_CONFIRM_HOURS = env_int("AUTO_CONFIRM_HOURS", 48)
# Size of the privacy grid for approximate locations shown before acceptance (metres).
APPROX_GRID_METRES = env_int("APPROX_GRID_METRES", 1000)
# Supply/demand area cells (DESIGN §5): grid size in km, and how often the periodic task
# refreshes the figures (minutes; the scheduler enqueues it every round, it skips until due).
SUPPLY_CELL_KM = env_int("SUPPLY_CELL_KM", 5)
if not 1 <= SUPPLY_CELL_KM <= 100:
    raise ImproperlyConfigured(f"SUPPLY_CELL_KM={SUPPLY_CELL_KM} must be between 1 and 100 km")
SUPPLY_REFRESH_MINUTES = env_int("SUPPLY_REFRESH_MINUTES", 10)
if SUPPLY_REFRESH_MINUTES < 0:
    raise ImproperlyConfigured("SUPPLY_REFRESH_MINUTES must be 0 (every round) or more")
# How often the economics rollup is brought up to date (minutes). The dashboard is exact either
# way (days changed since are read from the rows); a short interval keeps that part small.
ECONOMICS_ROLLUP_MINUTES = env_int("ECONOMICS_ROLLUP_MINUTES", 10)
if ECONOMICS_ROLLUP_MINUTES < 0:
    raise ImproperlyConfigured("ECONOMICS_ROLLUP_MINUTES must be 0 (every round) or more")

# --- Abuse limits (README "Abuse limits") ------------------------------------------------------
# "<count>/<window>" with the window in s, m, h or d; "0" turns a limit off. Counted per fixed
# window in the database (marketplace/security/ratelimit.py), exact across processes.
RATE_LIMITS = {
    "login_ip": env_str("RATE_LIMIT_LOGIN_IP", "50/15m"),
    "login_email": env_str("RATE_LIMIT_LOGIN_EMAIL", "10/15m"),
    "signup_ip": env_str("RATE_LIMIT_SIGNUP_IP", "20/1h"),
    "token_create": env_str("RATE_LIMIT_TOKEN_CREATE", "20/1h"),
    "job_post": env_str("RATE_LIMIT_JOB_POST", "20/1h"),
    "job_accept": env_str("RATE_LIMIT_JOB_ACCEPT", "60/1h"),
}
# Reverse proxies (IPs or networks, e.g. "10.0.0.0/8") whose X-Forwarded-For we believe; the
# client is the first address in it, from the right, that is not one of them. Empty: REMOTE_ADDR.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# --- Data protection (README "Data protection") ----------------------------------------------
# Days after a job closes before its exact address and phone are blanked (the approximate point
# stays), its messages and photos are deleted; days before a notification is deleted. 0 = keep.
RETENTION_DAYS_JOB_ADDRESS = env_int("RETENTION_DAYS_JOB_ADDRESS", 90)
RETENTION_DAYS_MESSAGES = env_int("RETENTION_DAYS_MESSAGES", 180)
RETENTION_DAYS_PHOTOS = env_int("RETENTION_DAYS_PHOTOS", 180)
RETENTION_DAYS_NOTIFICATIONS = env_int("RETENTION_DAYS_NOTIFICATIONS", 365)
for _name in (
    "RETENTION_DAYS_JOB_ADDRESS",
    "RETENTION_DAYS_MESSAGES",
    "RETENTION_DAYS_PHOTOS",
    "RETENTION_DAYS_NOTIFICATIONS",
):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must be 0 (keep) or a number of days")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
