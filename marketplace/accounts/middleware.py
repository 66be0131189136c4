"""The signed-in person's own language choice wins over the browser's Accept-Language."""

from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    """After LocaleMiddleware and AuthenticationMiddleware: when the user has stored a language
    (`User.language`, set at signup, on /account/ or with the footer switcher), activate it for
    this request and remember it in the language cookie so it survives logging out. Users with
    no stored language keep what LocaleMiddleware chose (cookie, then Accept-Language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if language and user.is_authenticated:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if (
            language
            and user.is_authenticated
            and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
