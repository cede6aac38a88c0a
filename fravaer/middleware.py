from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class NorwegianFirstLocaleMiddleware(LocaleMiddleware):
    """Bokmål unless the user chose another language in the header.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a school
    PC set up in English would show English; our users expect Norwegian first.
    """

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
