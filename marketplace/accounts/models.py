import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    HELPER = "helper", _("Helper")
    OPERATOR = "operator", _("Operator")


# Market code -> the language a new user of that market gets when they have not chosen one.
MARKET_DEFAULT_LANGUAGES = {"pl": "pl", "ch": "de"}


def language_for_market(market) -> str:
    """The default UI language for someone in `market` (a Market or its code): its own
    `language` when that is one we ship, else pl → Polish, ch → German, else ""."""
    if market is None:
        return ""
    supported = {code for code, _name in settings.LANGUAGES}
    own = getattr(market, "language", "") or ""
    if own[:2] in supported and own[:2] != "en":
        return own[:2]
    code = getattr(market, "code", market)
    return MARKET_DEFAULT_LANGUAGES.get(str(code).lower(), "")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=Role.OPERATOR)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address. `role` says which side of the market
    they are on;
    operators are also `is_staff` so they can use the Django admin."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    # The UI and e-mail language the person chose ("" = not chosen: the browser's
    # Accept-Language decides on the web, English in e-mails). Set at signup from the choice or
    # the market; activated on login and on every request of a logged-in user.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Bumped to end every session of this user on every device (log out everywhere, suspension):
    # it is part of get_session_auth_hash(), so all older sessions stop matching.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_helper(self) -> bool:
        return self.role == Role.HELPER

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR or self.is_staff

    def _get_session_auth_hash(self, secret=None):
        """Django's HMAC of the password hash, with `session_generation` mixed in once it is
        above 0 (so sessions made before the field existed stay valid until the first bump).
        Django compares it on every request and ends sessions that no longer match."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = f"{self.password}|generation={self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token for mobile clients. Only a SHA-256 hash is stored; the raw value is
    shown once at creation. Revoking sets `revoked_at`; revoked tokens never authenticate."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="mobile")
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
