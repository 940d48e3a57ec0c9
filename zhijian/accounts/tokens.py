"""Issuing and revoking API tokens (agency clients); both are recorded in the audit chain."""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import audit
from .models import APIToken


def _audit(action: str, token: APIToken, pre=None, post=None) -> None:
    audit.append(action, object_type="accounts.apitoken", object_id=token.pk,
                 object_repr=str(token), prechange=pre, postchange=post)


def token_record(token: APIToken) -> dict:
    """What the audit log keeps of a token: never the key or its hash."""
    return {"user": token.user_id, "name": token.name, "prefix": token.prefix,
            "expires": token.expires, "revoked": token.revoked}


@transaction.atomic
def issue_token(user, name: str, days: int | None = None) -> tuple[APIToken, str]:
    """A new token for ``user`` valid for ``days`` (None: until revoked); returns the clear key once."""
    if days is not None and days <= 0:
        raise ValueError("days must be a positive number")
    expires = timezone.now() + timedelta(days=days) if days else None
    token, key = APIToken.issue(user, name, expires=expires)
    _audit("create", token, None, token_record(token))
    return token, key


@transaction.atomic
def revoke_tokens(queryset) -> int:
    """Revoke every still-active token of ``queryset``; returns how many were revoked."""
    count = 0
    for token in queryset.select_for_update().filter(revoked=False):
        pre = token_record(token)
        token.revoked = True
        token.save(update_fields=["revoked"])
        _audit("update", token, pre, token_record(token))
        count += 1
    return count
