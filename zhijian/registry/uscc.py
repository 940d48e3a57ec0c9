"""统一社会信用代码 (GB 32100-2015): parsing and validation, by the standard itself.

A code has 18 characters from ``CHARSET`` (digits and capital letters without
I, O, Z, S, V):

====== ==============================================================
pos.   part
====== ==============================================================
1      登记管理部门码: registration authority (``AUTHORITIES``)
2      机构类别码: category, valid *for that authority*
3–8    登记管理机关行政区划码: GB/T 2260 division (six digits)
9–17   主体标识码: GB 11714 organisation code (8 body characters + check)
18     校验码: GB 32100 check character (ISO 7064 MOD 31-3 style)
====== ==============================================================

This is the project's one validator of the code (python-stdnum's ``cn.uscc``
requires characters 1–8 to be digits, which rejects real codes of the A, N and
Y authorities). ``parse()`` returns a structured :class:`UsccInfo` with the
parts, their names and every error (each naming its part); ``validate()``
raises Django's ``ValidationError``. Codes that fail the standard but exist
(early pilot regions issued some before the rules settled) are recorded on
enterprises through the legacy path, which still requires ``is_well_formed``:
18 characters of the charset.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, ...
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
LENGTH = 18

#: 登记管理部门码 → (name, {机构类别码: name}). GB 32100-2015 and the categories the code
#: administration (CODS) published for the authorities added since (2–4, 6–8, A, N).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体",
                       "9": "其他"}),
    "2": ("外交", {"1": "外国常住新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所",
                       "4": "司法鉴定机构", "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构",
                   "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织",
                   "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

#: Parts of a code, as named in errors (``UsccError.part``).
PART_LENGTH, PART_CHARSET = "length", "charset"
PART_AUTHORITY, PART_CATEGORY, PART_DIVISION = "authority", "category", "division"
PART_ORG_CODE, PART_CHECK = "org_code", "check"
STRUCTURAL = (PART_LENGTH, PART_CHARSET)


def compact(value) -> str:
    """The code without spaces and hyphens, full-width forms folded, upper case."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(c for c in text if c not in " -\t\r\n").upper()


def check_character(first17: str) -> str:
    """The GB 32100 check character (position 18) of the first 17 characters."""
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def _org_value(c: str) -> int:
    # GB 11714: 0-9 → 0-9, A-Z → 10-35 (the full Latin alphabet).
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_check_character(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation-code body."""
    total = sum(_org_value(c) * w for c, w in zip(body8, ORG_WEIGHTS))
    check = 11 - total % 11
    return "0" if check == 11 else ("X" if check == 10 else str(check))


def build(authority: str, category: str, division: str, body8: str) -> str:
    """A valid code from its parts (organisation check and final check computed)."""
    first17 = f"{authority}{category}{division}{body8}{org_check_character(body8)}"
    return first17 + check_character(first17)


def plausible_division(division: str) -> bool:
    """Six digits with a province part 11–82 (or ``100000``, registered at national level).

    Whether the division still exists is not checked: divisions get abolished and
    merged, codes stay.
    """
    if len(division) != 6 or not division.isdigit():
        return False
    return division == "100000" or 11 <= int(division[:2]) <= 82


@dataclass(frozen=True)
class UsccError:
    part: str
    message: str

    def __str__(self):
        return self.message


@dataclass(frozen=True)
class UsccInfo:
    """A parsed code: its parts, their names and what is wrong with it (nothing if valid)."""

    code: str
    errors: tuple[UsccError, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def well_formed(self) -> bool:
        """18 characters of the charset: the minimum even a legacy code must meet."""
        return not any(e.part in STRUCTURAL for e in self.errors)

    @property
    def messages(self) -> list[str]:
        return [e.message for e in self.errors]

    @property
    def authority(self) -> str:
        return self.code[:1] if self.well_formed else ""

    @property
    def authority_name(self) -> str:
        return AUTHORITIES.get(self.authority, ("", {}))[0]

    @property
    def category(self) -> str:
        return self.code[1:2] if self.well_formed else ""

    @property
    def category_name(self) -> str:
        return AUTHORITIES.get(self.authority, ("", {}))[1].get(self.category, "")

    @property
    def division(self) -> str:
        return self.code[2:8] if self.well_formed else ""

    @property
    def org_code(self) -> str:
        return self.code[8:17] if self.well_formed else ""

    @property
    def check(self) -> str:
        return self.code[17:] if self.well_formed else ""

    def as_dict(self) -> dict:
        """For a UI or an API: the parts, their names, validity and the error messages."""
        return {"code": self.code, "valid": self.valid, "well_formed": self.well_formed,
                "authority": self.authority, "authority_name": self.authority_name,
                "category": self.category, "category_name": self.category_name,
                "division": self.division, "org_code": self.org_code, "check": self.check,
                "errors": [{"part": e.part, "message": e.message} for e in self.errors]}


def parse(value) -> UsccInfo:
    """Parse ``value`` (compacted first) and check every part of GB 32100."""
    code = compact(value)
    if len(code) != LENGTH:
        return UsccInfo(code, (UsccError(PART_LENGTH, _g(
            "A unified social credit code has 18 characters, this one has %(n)d.") % {"n": len(code)}),))
    bad = [(i + 1, c) for i, c in enumerate(code) if c not in VALUES]
    if bad:
        listed = ", ".join(_g("position %(pos)d '%(char)s'") % {"pos": p, "char": c} for p, c in bad)
        return UsccInfo(code, (UsccError(PART_CHARSET, _g(
            "Characters not allowed in a unified social credit code (only digits and capital "
            "letters except I, O, Z, S, V): %(chars)s.") % {"chars": listed}),))
    errors = []
    authority, category = code[0], code[1]
    if authority not in AUTHORITIES:
        errors.append(UsccError(PART_AUTHORITY, _g(
            "Position 1, the registration-authority code '%(code)s', is not valid.") % {"code": authority}))
    elif category not in AUTHORITIES[authority][1]:
        name, categories = AUTHORITIES[authority]
        errors.append(UsccError(PART_CATEGORY, _g(
            "Position 2, the category code '%(code)s', is not valid for registration authority "
            "%(authority)s (%(name)s); allowed: %(allowed)s.") % {
                "code": category, "authority": authority, "name": name,
                "allowed": ", ".join(categories)}))
    division = code[2:8]
    if not plausible_division(division):
        errors.append(UsccError(PART_DIVISION, _g(
            "Positions 3–8, the division code '%(code)s', are not a GB/T 2260 division code "
            "(six digits, province 11–82).") % {"code": division}))
    org = code[8:17]
    expected_org = org_check_character(org[:8])
    if org[8] != expected_org:
        errors.append(UsccError(PART_ORG_CODE, _g(
            "Positions 9–17, the organisation code %(org)s: its check character (position 17) "
            "should be %(expected)s, not %(found)s (GB 11714).") % {
                "org": org, "expected": expected_org, "found": org[8]}))
    expected = check_character(code[:17])
    if code[17] != expected:
        errors.append(UsccError(PART_CHECK, _g(
            "The check character (position 18) should be %(expected)s, not %(found)s.") % {
                "expected": expected, "found": code[17]}))
    return UsccInfo(code, tuple(errors))


def is_valid(value) -> bool:
    return parse(value).valid


def is_well_formed(value) -> bool:
    return parse(value).well_formed


def _raise(info: UsccInfo, errors) -> None:
    raise ValidationError([ValidationError(
        _("%(value)s is not a valid unified social credit code: %(reason)s"),
        code="invalid_uscc", params={"value": info.code, "reason": e.message}) for e in errors])


def validate(value) -> str:
    """The compact code if it meets GB 32100; ``ValidationError`` naming each wrong part otherwise."""
    info = parse(value)
    if info.errors:
        _raise(info, info.errors)
    return info.code


def validate_well_formed(value) -> str:
    """The compact code if it has 18 characters of the charset (a legacy code's minimum)."""
    info = parse(value)
    structural = [e for e in info.errors if e.part in STRUCTURAL]
    if structural:
        _raise(info, structural)
    return info.code


def clean_lookup(value) -> str:
    """A code to look a registered enterprise up by: one meeting GB 32100, or a well-formed
    code that a registered enterprise carries as a legacy code. ``ValidationError`` with the
    reason (each wrong part named) otherwise."""
    info = parse(value)
    if info.valid:
        return info.code
    if info.well_formed:
        from .models import Enterprise

        if Enterprise._base_manager.filter(uscc=info.code, uscc_legacy=True).exists():
            return info.code
    raise ValidationError(" ".join(info.messages), code="invalid_uscc")
