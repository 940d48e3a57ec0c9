"""API rate limits (DESIGN §10: public endpoints are rate-limited).

The request history lives in the default cache (the database cache), so the
limits hold across processes and machines. Rates are read from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` on every request rather than once
at import, so a deployment (or a test) can change them without a restart.
"""
import math

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views import View
from rest_framework import throttling
from rest_framework.settings import api_settings

from .permissions import is_token_request


class _LiveRateMixin:
    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope)


class AnonRateThrottle(_LiveRateMixin, throttling.AnonRateThrottle):
    """Anonymous (public) clients, by client address."""

    scope = "anon"


class TokenRateThrottle(_LiveRateMixin, throttling.SimpleRateThrottle):
    """API-token clients (agencies), by token: one agency cannot starve the others."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not is_token_request(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class PortalRateThrottle(throttling.SimpleRateThrottle):
    """Public pages (portal, open data): the ``portal`` rate of ``DEFAULT_THROTTLE_RATES``, falling
    back to ``anon``; per client address, per account when signed in; read on every request."""

    scope = "portal"

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope) or rates.get("anon")

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = f"user-{user.pk}" if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def too_many_requests(wait: float | None) -> HttpResponse:
    """The 429 answer of a throttled page, with Retry-After when the wait is known."""
    response = HttpResponse(_("Too many requests: please wait a moment and try again."),
                            status=429, content_type="text/plain; charset=utf-8")
    if wait is not None:
        response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


class ThrottledView(View):
    """A page view limited by ``throttle_class`` (429 with Retry-After when over the rate)."""

    throttle_class = PortalRateThrottle

    def dispatch(self, request, *args, **kwargs):
        throttle = self.throttle_class()
        if throttle.rate is not None and not throttle.allow_request(request, self):
            return too_many_requests(throttle.wait())
        return super().dispatch(request, *args, **kwargs)


def csv_safe(value) -> str:
    """A CSV cell that spreadsheet programs will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
