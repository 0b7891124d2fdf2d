"""One cached copy per public page: query strings the page does not read are dropped.

cache_page keys on the full URL, so `?cb=1`, `?cb=2`, … each rendered the archive
again (hundreds of milliseconds instead of a cache hit) and each filled the cache.
A request carrying anything but the parameters a page reads, or one of them in a
non-canonical spelling, is redirected to the canonical URL, which is then served
from the cache; the redirect itself costs no rendering.
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect

from lib.locale import LANGUAGE_QUERY

# Parameter -> its canonical spelling, or None when the value is not one it takes.
Canonical = Callable[[str], str | None]


def page_number(value: str) -> str | None:
    return str(int(value)) if value.isdigit() and int(value) > 0 else None


def language_code(value: str) -> str | None:
    return value if value in dict(settings.LANGUAGES) else None


def any_value(value: str) -> str | None:
    return value


def canonical_pairs(
    request: HttpRequest, params: dict[str, Canonical]
) -> list[tuple[str, str]]:
    """The parameters the page is cached under: known ones, once each, canonically
    spelt. (Their order may vary: a few variants at most, as links build them.)"""
    kept = []
    for name, canonical in params.items():
        values = request.GET.getlist(name)
        if values and (value := canonical(values[-1])) is not None:
            kept.append((name, value))
    return kept


def only_query(**params: Canonical):
    """Redirect to the URL without unknown or repeated parameters (put it outside
    cache_page); `lang` is always known."""
    params = {LANGUAGE_QUERY: language_code, **params}

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            wanted = canonical_pairs(request, params)
            given = parse_qsl(request.META.get("QUERY_STRING", ""), True)
            if sorted(given) != sorted(wanted):
                query = urlencode(wanted)
                target = request.path + (f"?{query}" if query else "")
                return HttpResponsePermanentRedirect(target)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
