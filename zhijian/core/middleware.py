from .context import change_context


class ChangeLoggingMiddleware:
    """Tie every write made while serving a request to that request and its user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "api" if request.path.startswith("/api/") else "web"
        addr = request.META.get("REMOTE_ADDR", "")
        with change_context(source=source, request=request, remote_addr=addr) as ctx:
            request.id = ctx.request_id
            return self.get_response(request)


class LanguageMiddleware:
    """Chinese (the deployment's LANGUAGE_CODE) unless the user chose another language.

    Django's LocaleMiddleware would follow the browser's Accept-Language header, which
    shows a regulator's platform in English to anyone whose browser is set up so; here
    only the language switcher's cookie changes the language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
