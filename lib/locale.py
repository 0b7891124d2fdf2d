"""Which language a page is shown in.

Django's LocaleMiddleware picks the visitor's language (the cookie set by the
language switch, then Accept-Language). A link an email carries may name its
reader's language with ``?lang=``: the page opens in that language, for that
request only (no cookie is set, so the visitor's own choice stays theirs). Pages
behind a reader's personal link use the reader's stored language instead
(``subscribers.views``).
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

LANGUAGE_QUERY = "lang"


class QueryLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        super().process_request(request)
        code = request.GET.get(LANGUAGE_QUERY)
        if code in dict(settings.LANGUAGES):
            use_language(request, code)


def use_language(request, code: str) -> None:
    """Show this request's page in ``code`` (a site language)."""
    translation.activate(code)
    request.LANGUAGE_CODE = code


def in_language(url: str, code: str) -> str:
    """A page link that opens in ``code`` (see ``QueryLocaleMiddleware``)."""
    return f"{url}{'&' if '?' in url else '?'}{LANGUAGE_QUERY}={code}"


def alternates(request) -> list[tuple[str, str]]:
    """(hreflang, absolute URL) of this page in each site language, then
    "x-default": the page without ``?lang=``, which follows the visitor's choice."""
    query = request.GET.copy()
    query.pop(LANGUAGE_QUERY, None)
    base = request.build_absolute_uri(request.path)
    plain = f"{base}?{query.urlencode()}" if query else base
    return [(code, in_language(plain, code)) for code, _name in settings.LANGUAGES] + [
        ("x-default", plain)
    ]
