"""API token authentication for agency clients (read-only by role)."""
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from .models import APIToken, hash_token


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>`` (or ``Bearer <key>``); keys are stored hashed."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token header.")) from exc
        token = APIToken.objects.select_related("user").filter(key_hash=hash_token(key)).first()
        if token is None or not token.is_valid or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        now = timezone.now()
        if token.last_used is None or now - token.last_used > timedelta(minutes=1):
            APIToken.objects.filter(pk=token.pk).update(last_used=now)
        return token.user, token

    def authenticate_header(self, request):
        return "Token"


try:  # describe the scheme in the OpenAPI schema (drf-spectacular)
    from drf_spectacular.extensions import OpenApiAuthenticationExtension
except ImportError:  # pragma: no cover - the schema generator is optional at run time
    pass
else:
    class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
        target_class = "zhijian.accounts.authentication.TokenAuthentication"
        name = "tokenAuth"

        def get_security_definition(self, auto_schema):
            return {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": _('Read-only agency token: "Token <key>" (issued with '
                                 "`manage.py issue_token`)."),
            }
