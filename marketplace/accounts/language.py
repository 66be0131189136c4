"""Which language to speak to a person in, outside a web request (e-mails, notifications)."""

from contextlib import contextmanager

from django.conf import settings
from django.utils import translation


def language_for_user(user) -> str:
    """The user's stored choice, else the site default (English)."""
    language = getattr(user, "language", "") or ""
    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else settings.LANGUAGE_CODE


@contextmanager
def in_language_of(user):
    """`with in_language_of(recipient): subject = gettext("…")` — texts for that person."""
    with translation.override(language_for_user(user)):
        yield
