"""Who may see what: the user's role and region, computed once per user object.

A staff user's region is a GB/T 2260 division; the region covers the division
and every division below it, which by the code's structure is a code prefix:
province ``32xxxx`` -> ``32``, prefecture ``3205xx`` -> ``3205``, county -> all six
digits. Scope checks therefore become ``division_id LIKE '3205%'`` on an indexed
column.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

ROLE_PROVINCE_ADMIN = "province_admin"
ROLE_OFFICER = "officer"  # city or county officer; the level comes from the division
ROLE_INSPECTOR = "inspector"
ROLE_LAB = "lab"
ROLE_ENTERPRISE = "enterprise"
ROLE_AGENCY = "agency"
ROLE_HOSPITAL = "hospital"  # staff of one sentinel hospital (injury surveillance)
ROLES = [ROLE_PROVINCE_ADMIN, ROLE_OFFICER, ROLE_INSPECTOR, ROLE_LAB, ROLE_ENTERPRISE, ROLE_AGENCY, ROLE_HOSPITAL]
# Roles whose API tokens may write (submission clients); every other token is read-only.
TOKEN_WRITE_ROLES = {ROLE_HOSPITAL}
STAFF_ROLES = {ROLE_PROVINCE_ADMIN, ROLE_OFFICER, ROLE_INSPECTOR}


def division_prefix(code: str) -> str:
    """The code prefix shared by a division and all divisions below it."""
    code = str(code)
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"not a GB/T 2260 division code: {code!r}")
    if code[2:] == "0000":
        return code[:2]
    if code[4:] == "00":
        return code[:4]
    return code


def province_prefix() -> str:
    return division_prefix(settings.ZHIJIAN_PROVINCE_CODE)


@dataclass(frozen=True)
class UserScope:
    role: str | None
    prefix: str | None = None  # division code prefix for staff and agencies
    enterprise_id: int | None = None
    lab_id: int | None = None
    inspector_id: int | None = None
    hospital_id: int | None = None  # sentinel hospital of a hospital user
    unrestricted: bool = False  # platform superuser

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES


NO_SCOPE = UserScope(role=None)


def scope_for(user) -> UserScope:
    """The scope of a user (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    cached = getattr(user, "_zhijian_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = UserScope(role=ROLE_PROVINCE_ADMIN, prefix=province_prefix(), unrestricted=True)
    else:
        profile = getattr(user, "profile", None)
        if profile is None or not profile.is_active_scope:
            scope = NO_SCOPE
        else:
            prefix = None
            if profile.role in (ROLE_PROVINCE_ADMIN, ROLE_AGENCY):
                prefix = province_prefix()
            elif profile.division_id:
                prefix = division_prefix(profile.division_id)
            scope = UserScope(
                role=profile.role,
                prefix=prefix,
                enterprise_id=profile.enterprise_id,
                lab_id=profile.lab_id,
                inspector_id=profile.inspector_id,
                hospital_id=getattr(profile, "sentinel_hospital_id", None),
            )
    user._zhijian_scope = scope
    return scope
