"""Masks for the personal data of complainants and reporters (DESIGN §10, 个人信息保护法 Art. 51).

Names keep the family name, phones the first three and last four digits, ID
numbers the first four and last four characters; free text has phone and ID
numbers found in it masked. Masks are applied in every list, export, API and
public view; the clear values are shown only to staff whose scope covers the
handling bureau (``can_see_personal``).
"""
from __future__ import annotations

import re

# Mainland mobile and landline numbers, 15/18-character ID numbers, in free text.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8}|\d{6})(\d{3}[\dXx]|\d{1})(?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")
_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return name[0] + "*" * min(len(name) - 1, 3)


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id(number: str) -> str:
    number = (number or "").strip()
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_address(address: str) -> str:
    """Keep the first six characters (province / city / district), mask the rest."""
    address = (address or "").strip()
    if len(address) <= 6:
        return address and "*" * len(address)
    return address[:6] + "****"


def mask_email(email: str) -> str:
    return _EMAIL_RE.sub(lambda m: m.group(1) + "***" + m.group(2), email or "")


def mask_text(text: str) -> str:
    """Mask ID, phone numbers and e-mail addresses written inside free text."""
    if not text:
        return text
    text = _ID_RE.sub(lambda m: mask_id(m.group(0)), text)
    text = _MOBILE_RE.sub(lambda m: mask_phone(m.group(0)), text)
    text = _LANDLINE_RE.sub(lambda m: mask_phone(m.group(0)), text)
    return mask_email(text)


MASKS = {"name": mask_name, "phone": mask_phone, "id_number": mask_id, "address": mask_address,
         "email": mask_email}


def mask_field(field: str, value: str) -> str:
    return MASKS.get(field, mask_text)(value)


def can_see_personal(user, case) -> bool:
    """Clear personal data only for staff who may change the case (the handling bureau's scope)."""
    from zhijian.core import scope as S

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    role = S.scope_for(user).role
    if role not in (S.ROLE_OFFICER, S.ROLE_PROVINCE_ADMIN) and not user.is_superuser:
        return False
    from .models import Case

    return Case.objects.restrict(user, "change").filter(pk=case.pk).exists()


def personal(case, user) -> dict:
    """The complainant's data for ``user``: clear in the handling scope, masked otherwise."""
    c = getattr(case, "complainant", None)
    values = {f: getattr(c, f, "") if c else "" for f in MASKS}
    if can_see_personal(user, case):
        return {**values, "masked": False}
    return {**{f: MASKS[f](v) for f, v in values.items()}, "masked": True}
