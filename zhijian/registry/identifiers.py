"""Identifiers: building valid 统一社会信用代码 (GB 32100-2015) for generated data.

Validation is python-stdnum's ``cn.uscc``; this module only *builds* codes, for
the data generator and tests: registration authority + entity type + GB/T 2260
division + a GB 11714 organisation code (8 characters and its check character)
+ the GB 32100 check character computed by stdnum.
"""
from stdnum.cn import uscc as stdnum_uscc

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an 8-digit organisation-code body."""
    total = sum(int(c) * w for c, w in zip(body8, ORG_WEIGHTS))
    check = 11 - total % 11
    return "0" if check == 11 else ("X" if check == 10 else str(check))


def make_uscc(division_code: str, serial: int, authority: str = "9", kind: str = "1") -> str:
    """A valid USCC for ``serial`` (0 <= serial < 10^8) registered in ``division_code``."""
    body8 = f"{serial:08d}"
    if len(body8) != 8:
        raise ValueError("serial must be below 10^8")
    first17 = authority + kind + division_code + body8 + org_code_check(body8)
    return first17 + stdnum_uscc.calc_check_digit(first17)
