"""Rows for page and API tests (through the ORM; the workflow has its own tests)."""
import datetime as dt
import itertools
from decimal import Decimal

from zhijian.enforcement.models import Case, JudicialTransfer, PenaltyDecision

_n = itertools.count(1)


def make_case(enterprise, division=None, *, status=Case.Status.INVESTIGATING, origin="tip_off", **kw):
    n = next(_n)
    defaults = {"number": f"ZFT{n:09d}", "title": f"测试案件{n}", "facts": "测试事实", "origin": origin,
                "proposed_on": dt.date(2026, 3, 2), "filed_on": dt.date(2026, 3, 2),
                "decision_due": dt.date(2026, 5, 31)}
    defaults.update(kw)
    return Case.objects.create(enterprise=enterprise, division_id=division or enterprise.division_id, status=status,
                               **defaults)


def make_decision(case, **kw):
    n = next(_n)
    defaults = {"number": f"测罚〔2026〕{n}号", "decided_on": dt.date(2026, 5, 21), "authority": "测试市场监督管理局",
                "kinds": ["fine"], "fine": Decimal("1000"), "violation": "测试违法", "penalty": "罚款",
                "legal_basis": "产品质量法第四十九条", "severity": "ordinary", "served_on": dt.date(2026, 5, 21),
                "payment_due": dt.date(2026, 6, 5)}
    defaults.update(kw)
    case.status = Case.Status.DECIDED
    case.outcome = Case.Outcome.PENALTY
    case.save()
    return PenaltyDecision.objects.create(case=case, **defaults)


def make_transfer(case, **kw):
    defaults = {"organ_kind": "public_security", "organ_name": "测试公安局", "suspected_crime": "生产、销售伪劣产品罪",
                "transferred_on": dt.date(2026, 3, 20), "documents": "移送书", "reply_due": dt.date(2026, 3, 23),
                "status_on": dt.date(2026, 3, 20)}
    defaults.update(kw)
    return JudicialTransfer.objects.create(case=case, **defaults)
