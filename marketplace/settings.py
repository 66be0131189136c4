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
SECRET_KEY = env_str("SECRET_KEY", "dev-insecure-key-change-me" if (DEBUG or TESTING) else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is required when DEBUG is off (for local development set DEBUG=1; "
        "`make run` does)"
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "marketplace.core",
    "marketplace.accounts",
    "marketplace.pricing",
    "marketplace.helpers",
    "marketplace.jobs",
    "marketplace.payments",
    "marketplace.supply",
    "marketplace.economics",
    "marketplace.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

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
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Fieldfriends <noreply@fieldfriends.example>")

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
