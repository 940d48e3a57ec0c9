"""API rate limits (DESIGN §10: public endpoints are rate-limited).

The request history lives in the default cache (the database cache), so the
limits hold across processes and machines. Rates are read from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` on every request rather than once
at import, so a deployment (or a test) can change them without a restart.
"""
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
