"""Identifiers: building valid 统一社会信用代码 (GB 32100-2015) for generated data.

Validation is ``registry.uscc`` (GB 32100 itself); this module only *builds*
codes, for the data generator and tests: registration authority + category
(any pair of ``uscc.AUTHORITIES``) + GB/T 2260 division + a GB 11714
organisation code (8 characters and its check character) + the GB 32100 check
character.
"""
from . import uscc

ORG_WEIGHTS = uscc.ORG_WEIGHTS


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation-code body (digits or letters)."""
    return uscc.org_check_character(body8)


def make_uscc(division_code: str, serial: int | None = None, authority: str = "9", kind: str = "1",
              *, body: str | None = None) -> str:
    """A valid USCC registered in ``division_code``.

    The organisation-code body is ``serial`` as eight digits (0 <= serial < 10^8) or ``body``
    (eight digits or capital letters, e.g. ``MA1XW7T5`` like the codes issued since 2015).
    ``authority`` and ``kind`` must be a registration-authority / category pair of GB 32100.
    """
    categories = uscc.AUTHORITIES.get(authority, ("", {}))[1]
    if kind not in categories:
        raise ValueError(f"{authority}{kind} is no registration-authority / category pair of GB 32100")
    if body is None:
        if serial is None or not 0 <= serial < 10 ** 8:
            raise ValueError("serial must be in 0 .. 10^8 - 1")
        body = f"{serial:08d}"
    if len(body) != 8 or any(c not in uscc.VALUES for c in body):
        raise ValueError(f"{body!r} is no organisation-code body (8 characters of the USCC charset)")
    return uscc.build(authority, kind, division_code, body)
