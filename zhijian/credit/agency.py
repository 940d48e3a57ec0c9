"""The agency credit lookup (联合奖惩): one enterprise's answer, signed with Ed25519.

An agency (procurement, bidding, a bank …) asks by USCC and receives the
enterprise's current grade and credit-risk class, its list memberships in force
and its published penalties. The exact bytes of the answer are signed with the
platform's Ed25519 key so that the answer can be shown to a third party later
and still be checked; the public key is published at
``/api/credit/agency/public-key/`` (see ``docs/credit-exchange.md``).

What may be given out is defined once in :mod:`zhijian.credit.publication`.
Records received from other agencies (``ExternalCreditRecord``) are *not* part
of the answer: each agency publishes its own records.

The signing key comes from, in this order: the setting or environment variable
``ZHIJIAN_SIGNING_KEY`` (a PEM private key, or the 32-byte seed in base64), or
the key file ``ZHIJIAN_SIGNING_KEY_FILE`` (default ``VAR_DIR/keys/credit-signing.pem``),
which is generated on first use. Several machines must share one key: give it
to each of them by the environment.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import json
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.registry.models import Enterprise

from .models import AgencyQuery, EnterpriseListing, PenaltyPublication
from .publication import active_listing_q, published_penalties_q
from .services import DEFAULT_RISK_CLASS, current_grade

FORMAT_VERSION = "1"
ALGORITHM = "Ed25519"
SIGNATURE_HEADER = "X-Zhijian-Signature"
KEY_ID_HEADER = "X-Zhijian-Key-Id"
ALGORITHM_HEADER = "X-Zhijian-Signature-Algorithm"


# --------------------------------------------------------------------------- the key


def _key_file() -> Path:
    configured = getattr(settings, "ZHIJIAN_SIGNING_KEY_FILE", None) or os.environ.get("ZHIJIAN_SIGNING_KEY_FILE")
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "keys" / "credit-signing.pem"


def _configured_key() -> str:
    return (getattr(settings, "ZHIJIAN_SIGNING_KEY", None) or os.environ.get("ZHIJIAN_SIGNING_KEY") or "").strip()


def _parse_key(text: str):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("ZHIJIAN_SIGNING_KEY is not an Ed25519 private key")
        return key
    try:
        seed = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if ("-" in text or "_" in text) else None,
                                validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("ZHIJIAN_SIGNING_KEY is neither a PEM key nor base64") from exc
    if len(seed) != 32:
        raise ImproperlyConfigured("ZHIJIAN_SIGNING_KEY must be a 32-byte Ed25519 seed in base64")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _load_or_create_file(path: Path):
    """Read the key file; create it (mode 0600) if it does not exist yet.

    Two processes starting at once race on the creation: the file is written
    to a temporary name and linked into place, so the loser reads the winner's key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            try:
                os.link(tmp, path)  # fails if another process was first
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    return _parse_key(path.read_text().strip())


@functools.lru_cache(maxsize=4)
def _signing_key(configured: str, path: str):
    return _parse_key(configured) if configured else _load_or_create_file(Path(path))


def signing_key():
    """The platform's Ed25519 private key (see the module docstring for where it comes from)."""
    return _signing_key(_configured_key(), str(_key_file()))


def public_key_bytes(private_key=None) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = (private_key or signing_key()).public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(private_key=None) -> str:
    """A short, stable name of the key: the first 16 hex digits of SHA-256(raw public key)."""
    return hashlib.sha256(public_key_bytes(private_key)).hexdigest()[:16]


def public_key_info() -> dict:
    from cryptography.hazmat.primitives import serialization

    key = signing_key()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return {"algorithm": ALGORITHM, "key_id": key_id(key),
            "public_key": base64.b64encode(public_key_bytes(key)).decode(),
            "public_key_pem": pem,
            "signature_header": SIGNATURE_HEADER, "key_id_header": KEY_ID_HEADER,
            "signed_content": "the exact bytes of the response body"}


def sign(body: bytes) -> str:
    """The base64 Ed25519 signature of ``body``."""
    return base64.b64encode(signing_key().sign(body)).decode()


def verify(body: bytes, signature: str, public_key: str) -> bool:
    """Check a signature with a base64 raw public key (what an agency does, in Python)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(
            base64.b64decode(signature), body)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


# --------------------------------------------------------------------------- the answer


def clean_uscc(value: str) -> str:
    """The compact USCC, or ValidationError with the reason (GB 32100, ``registry.uscc``).

    A registered enterprise's legacy code (one failing GB 32100, recorded with a reason)
    is looked up like any other."""
    from zhijian.registry import uscc

    if not uscc.compact(value):
        raise ValidationError(_("a unified social credit code is required"), code="invalid_uscc")
    return uscc.clean_lookup(value)


def _iso(value):
    return value.isoformat() if value is not None else None


def build_answer(code: str, user, *, on: dt.date | None = None, request_id: str = "") -> tuple[dict, bool]:
    """``(answer, found)`` for the valid, compact USCC ``code``, as the user may see it.

    Four queries whatever the enterprise's history: the enterprise, its latest
    grade, its list memberships in force and its published penalties.
    """
    on = on or timezone.localdate()
    answer = {
        "format_version": FORMAT_VERSION,
        "request_id": request_id,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "as_of": on.isoformat(),
        "uscc": code,
        "found": False,
    }
    enterprise = (Enterprise.objects.restrict(user, "view").filter(uscc=code)
                  .only("id", "uscc", "name", "division_id").first())
    if enterprise is None:
        return answer, False
    grade = current_grade(enterprise)
    listings = list(EnterpriseListing.objects.filter(active_listing_q(on), enterprise=enterprise)
                    .order_by("kind", "start", "id"))
    penalties = list(PenaltyPublication.objects.filter(published_penalties_q(on), enterprise=enterprise)
                     .order_by("-decision_date", "-id"))
    serious = [x for x in listings if x.kind == EnterpriseListing.Kind.SERIOUS_VIOLATION]
    abnormal = [x for x in listings if x.kind == EnterpriseListing.Kind.ABNORMAL_OPERATION]
    answer.update({
        "found": True,
        "name": enterprise.name,
        "division": enterprise.division_id,
        "grade": None if grade is None else {
            "grade": grade.grade, "score": str(grade.score), "method_version": grade.method.version,
            "as_of": _iso(grade.as_of), "computed_at": grade.computed_at.isoformat(timespec="seconds"),
        },
        "risk_class": grade.risk_class if grade is not None else DEFAULT_RISK_CLASS,
        "risk_class_basis": "grade" if grade is not None else "default (never graded)",
        "serious_violation_list": {
            "listed": bool(serious),
            "entries": [{"reason": x.reason, "legal_basis": x.legal_basis, "start": _iso(x.start),
                         "planned_end": _iso(x.planned_end)} for x in serious],
        },
        "abnormal_operation_list": {
            "listed": bool(abnormal),
            "entries": [{"reason": x.reason, "legal_basis": x.legal_basis, "start": _iso(x.start),
                         "planned_end": _iso(x.planned_end)} for x in abnormal],
        },
        "penalties": [{"decision_number": p.decision_number, "decision_date": _iso(p.decision_date),
                       "authority": p.authority, "severity": p.severity, "violation": p.violation,
                       "penalty": p.penalty, "legal_basis": p.legal_basis,
                       "published_on": _iso(p.published_on), "publish_until": _iso(p.publish_until)}
                      for p in penalties],
    })
    return answer, True


def render(answer: dict) -> bytes:
    """The response body: compact UTF-8 JSON, keys in a fixed order (what is signed)."""
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def agency_name(user, token=None) -> str:
    """Who asked, as the log shows it: the account's full name (or user name) and the token's name."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    name = user.get_full_name() or user.get_username()
    if token is not None and getattr(token, "name", ""):
        name = f"{name} / {token.name}"
    return name[:200]


def _printable(text) -> str:
    """Client-given text as it may be stored (no NUL or other control characters)."""
    return "".join(ch for ch in str(text or "") if ch.isprintable()).strip()


def record_query(*, user, token, uscc: str, found: bool, purpose: str, remote_addr: str | None,
                 body: bytes, request_id: str) -> AgencyQuery:
    """One ``AgencyQuery`` row and one audit entry (who asked what); one transaction.

    The audit entry is deferred (``audit.append_deferred``): lookups do not take the chain's
    head lock, so concurrent lookups do not wait for each other or for other writes; the
    entries are chained in batches (``audit.flush_pending``)."""
    from django.db import transaction

    from zhijian.accounts import audit

    digest = hashlib.sha256(body).hexdigest()
    with transaction.atomic():
        query = AgencyQuery.objects.create(
            token=token, user=user if getattr(user, "is_authenticated", False) else None,
            agency=agency_name(user, token), purpose=_printable(purpose)[:200], uscc=_printable(uscc)[:18],
            found=found, remote_addr=remote_addr or None, response_sha256=digest)
        audit.append_deferred("other", object_type="credit.agencyquery", object_id=query.pk,
                     object_repr=f"agency lookup {query.uscc}",
                     postchange={"event": "agency_lookup", "uscc": query.uscc, "found": found,
                                 "agency": query.agency, "purpose": query.purpose,
                                 "token": getattr(token, "prefix", None),
                                 "request_id": request_id, "response_sha256": digest})
    return query
