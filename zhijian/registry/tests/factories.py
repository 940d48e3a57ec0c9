"""Small builders for registry rows in tests (valid USCCs with real check characters)."""
import itertools

from zhijian.registry.identifiers import make_uscc
from zhijian.registry.models import Division, Enterprise

_seq = itertools.count(1)


def make_enterprise(division="320505", name=None, **kw) -> Enterprise:
    n = next(_seq)
    div = division if isinstance(division, Division) else Division.objects.get(pk=division)
    return Enterprise.objects.create(
        uscc=kw.pop("uscc", None) or make_uscc(div.code, 1000 + n),
        name=name or f"测试企业{n}有限公司", division=div, **kw)
