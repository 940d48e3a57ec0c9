"""Demo credit data for ``make run``: registry events, penalties, list entries, and a grading run.

Deterministic for a seed. The demo enterprise account's own enterprise gets an
ordinary penalty published about seven months ago, so that it can try credit repair.
"""
from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from zhijian.registry.models import Enterprise

from . import services_listing as L
from .models import EnterpriseListing, PenaltyPublication, PenaltySeverity
from .registry_events import sync_registry_events

VIOLATIONS = [
    ("生产销售不符合保障人身、财产安全的国家标准的产品", "没收违法生产销售的产品，并处货值金额等值罚款", "《中华人民共和国产品质量法》第四十九条"),
    ("在产品中掺杂、掺假，以次充好", "责令停止生产、销售，没收违法产品，并处罚款", "《中华人民共和国产品质量法》第五十条"),
    ("伪造产品产地、冒用他人厂名厂址", "责令改正，没收违法产品，并处罚款", "《中华人民共和国产品质量法》第五十三条"),
    ("产品标识不符合规定", "责令改正，警告", "《中华人民共和国产品质量法》第五十四条"),
]


@transaction.atomic
def load(*, seed: int = 1, enterprise=None, today: dt.date | None = None) -> dict:
    """Create demo penalties and listings and grade everyone; returns counts."""
    if PenaltyPublication.objects.exists():
        return {}
    today = today or timezone.localdate()
    rng = random.Random(seed)
    counts = {"registry_events": sum(sync_registry_events(today).values())}
    pool = list(Enterprise.objects.filter(division__code__startswith="32").order_by("pk")[:3000])
    picks = rng.sample(pool, min(60, len(pool)))
    if enterprise is not None:
        picks = [enterprise] + [e for e in picks if e.pk != enterprise.pk]
    n_pen = 0
    for i, ent in enumerate(picks[:40]):
        severity = (PenaltySeverity.ORDINARY if i == 0 else
                    rng.choice([PenaltySeverity.MINOR, PenaltySeverity.ORDINARY, PenaltySeverity.ORDINARY,
                                PenaltySeverity.HEAVY]))
        decided = today - dt.timedelta(days=220 if i == 0 else rng.randint(20, 900))
        violation, penalty, basis = VIOLATIONS[i % len(VIOLATIONS)]
        pub = L.register_penalty(ent, decision_number=f"{ent.division.name[:2]}市监处罚〔{decided.year}〕{100 + i}号",
                                 decision_date=decided, authority=f"{ent.division.name}市场监督管理局",
                                 severity=severity, violation=violation, penalty=penalty, legal_basis=basis)
        L.publish_penalty(pub, on=min(decided + dt.timedelta(days=rng.randint(3, 18)), today))
        n_pen += 1
    counts["penalties"] = n_pen
    for ent in picks[40:50]:
        L.enter_listing(ent, EnterpriseListing.Kind.ABNORMAL_OPERATION,
                        today - dt.timedelta(days=rng.randint(30, 1400)),
                        reason="未按规定报送年度报告", legal_basis="《企业信息公示暂行条例》第八条")
    counts["promoted"] = len(L.promote_long_abnormal(today))
    counts["listings"] = EnterpriseListing.objects.count()
    from .jobs import run_grading

    run = run_grading(as_of=today, engine="duckdb", trigger="cli")
    counts["grades"] = run.grade_count
    return counts
