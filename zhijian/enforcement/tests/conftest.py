"""A 苏州 enterprise, two 苏州 officers (proposer and approver), a 南京 officer, an inspector."""
import datetime as dt

import pytest

from zhijian.core import scope as S
from zhijian.enforcement import services
from zhijian.registry.models import Division

D = dt.date


@pytest.fixture
def w(make_user, enterprise_factory):
    ent = enterprise_factory("320505", name="苏州某电器有限公司")
    return {"ent": ent, "division": Division.objects.get(pk="320505"),
            "officer": make_user(S.ROLE_OFFICER, "320500"), "head": make_user(S.ROLE_OFFICER, "320500"),
            "nanjing": make_user(S.ROLE_OFFICER, "320100"), "inspector": make_user(S.ROLE_INSPECTOR, "320500"),
            "ent_user": make_user(S.ROLE_ENTERPRISE, enterprise=ent)}


def open_filed(w, *, proposed=D(2026, 3, 2), filed=D(2026, 3, 2), evidence=True):
    case = services.open_case(w["officer"], enterprise=w["ent"], division=w["division"],
                              title="生产销售不合格电热水器", facts="群众举报，现场检查发现", origin="tip_off", on=proposed)
    case = services.approve_filing(case, w["head"], on=filed)
    if evidence:
        services.add_evidence(case, w["officer"], kind="document", description="现场检查笔录",
                              collected_on=filed, collected_by="执法人员甲、乙")
    return case


def notified(w, *, on=D(2026, 4, 29), kinds=("fine",), fine=20000, **kw):
    case = open_filed(w)
    return services.notify(case, w["officer"], number="苏市监罚告〔2026〕1号", on=on, kinds=list(kinds), fine=fine,
                           penalty="拟处罚款", **kw)


def decide(w, case, *, on=D(2026, 5, 21), kinds=("fine",), fine=20000, severity="ordinary", **kw):
    return services.decide(case, w["officer"], number=kw.pop("number", "苏市监罚〔2026〕8号"), on=on,
                           kinds=list(kinds), fine=fine, violation="生产销售不符合国家标准的产品",
                           penalty="罚款", legal_basis="《中华人民共和国产品质量法》第四十九条", severity=severity, **kw)
