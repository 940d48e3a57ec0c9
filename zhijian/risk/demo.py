"""Demo risk data for ``make run``: sentinel hospitals and a year of injury cases, a major
incident, a serious-risk assessment with its alert, a published consumer warning and a signal run.

Deterministic for a seed; dated relative to the day it is loaded (``today``). Loaded once
(nothing is added when sentinel hospitals exist already).
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from zhijian.registry.models import Division, Enterprise, ProductCategory

from . import services
from .models import InjuryCase, SentinelHospital

# code, name, division, stratum (by size of the emergency department), weight, NEISS PSU number
HOSPITALS = [
    ("SH-NJ01", "南京市第一医院（演示）", "320102", "VL", "18.5", 1),
    ("SH-NJ02", "南京市儿童医院（演示）", "320106", "C", "9.2", 2),
    ("SH-SZ01", "苏州市立医院（演示）", "320508", "L", "22.0", 3),
    ("SH-SZ02", "昆山市第一人民医院（演示）", "320583", "M", "31.4", 4),
    ("SH-SZ03", "苏州大学附属儿童医院（演示）", "320505", "C", "8.7", 5),
    ("SH-WX01", "无锡市人民医院（演示）", "320213", "L", "24.3", 6),
    ("SH-XZ01", "徐州市中心医院（演示）", "320302", "M", "35.8", 7),
    ("SH-CZ01", "常州市第二人民医院（演示）", "320411", "S", "52.6", 8),
]
# (category code, hazard, diagnosis, body part, narrative template, disposition weights)
CASES = [
    ("KP020", "burn", "烫伤", "手部", "患儿{age}岁，在家触碰电暖器外壳，手部烫伤"),
    ("KP134", "fire", "烧伤", "面部", "{sex}{age}岁，电动自行车楼道充电起火，面部烧伤并吸入烟雾"),
    ("KP134", "mechanical", "骨折", "腕部", "{sex}{age}岁，骑电动自行车刹车失灵摔倒，腕部骨折"),
    ("KP169", "choking", "异物", "口腔", "患儿{age}岁，误吞玩具脱落的小零件"),
    ("KP010", "burn", "烫伤", "前臂", "患儿{age}岁，打翻电水壶，开水烫伤前臂"),
    ("KP040", "electric_shock", "电击伤", "手指", "{sex}{age}岁，拔延长线插座时触电，手指麻木"),
    ("KP027", "burn", "低温烫伤", "臀部", "{sex}{age}岁，夜间使用电热毯，臀部低温烫伤"),
    ("KP168", "mechanical", "挫伤", "头部", "患儿{age}岁，童车刹车失效滑下台阶，头部挫伤"),
    ("KP088", "cut", "撕裂伤", "足部", "{sex}{age}岁，淋浴房玻璃自爆，足部割伤"),
    ("KP216", "poisoning", "一氧化碳中毒", "全身大部", "{sex}{age}岁，燃气热水器排烟不畅，头晕乏力"),
]
DISPOSITIONS = (["released"] * 14 + ["observed"] * 3 + ["admitted"] * 2 + ["transferred"])
CASES_PER_YEAR = 320


def _cases(rng, hospitals, categories, today) -> list[InjuryCase]:
    cases = []
    serial: dict[str, int] = {}
    for _i in range(CASES_PER_YEAR):
        h = rng.choice(hospitals)
        code, hazard, diagnosis, body_part, text = rng.choice(CASES)
        children = h.stratum == "C" or text.startswith("患儿")
        age = rng.randint(1, 12) if children else rng.randint(16, 85)
        sex = rng.choice(("male", "female"))
        treated = today - dt.timedelta(days=rng.randint(1, 365))
        serial[h.code] = serial.get(h.code, 0) + 1
        cases.append(InjuryCase(
            hospital=h, case_number=f"{treated:%Y%m%d}-{serial[h.code]:04d}", treated_on=treated, age=age, sex=sex,
            diagnosis=diagnosis, body_part=body_part, disposition=rng.choice(DISPOSITIONS),
            location=rng.choice(("家中", "家中", "道路", "学校/托幼机构", "其他公共场所")),
            fire="fire" if hazard == "fire" else "no", product=categories.get(code), hazard=hazard,
            narrative=text.format(age=age, sex="男" if sex == "male" else "女"), weight=h.weight,
            source=rng.choice(("form", "api", "file"))))
    return cases


@transaction.atomic
def load(user, *, seed: int = 1, today: dt.date | None = None, signals: bool = True) -> dict:
    """Create the demo risk data as ``user`` (a province administrator); returns counts."""
    if SentinelHospital.objects.exists():
        return {}
    today = today or timezone.localdate()
    rng = random.Random(seed)
    divisions = set(Division.objects.filter(pk__in=[h[2] for h in HOSPITALS]).values_list("pk", flat=True))
    hospitals = [SentinelHospital.objects.create(code=code, name=name, division_id=division, stratum=stratum,
                                                 weight=Decimal(weight), psu=psu)
                 for code, name, division, stratum, weight, psu in HOSPITALS if division in divisions]
    if not hospitals:
        return {}
    categories = {c.code: c for c in ProductCategory.objects.filter(code__in={c[0] for c in CASES})}
    cases = _cases(rng, hospitals, categories, today)
    InjuryCase.objects.bulk_create(cases, batch_size=500)
    counts = {"sentinel hospitals": len(hospitals), "injury cases": len(cases)}

    now = timezone.now()
    heater = categories.get("KP020") or ProductCategory.objects.order_by("code").first()
    ebike = categories.get("KP134") or heater
    enterprise = Enterprise.objects.filter(division__pk__startswith="3205").order_by("pk").first()
    if enterprise is not None:
        services.report_incident(
            user, enterprise=enterprise, category=ebike, product_name="电动自行车锂电池组（演示）", batch="B2026-03",
            occurred_at=now - dt.timedelta(days=5, hours=3), division=enterprise.division,
            place="某小区地下车库", description="充电时电池起火，引燃相邻车辆，一人重伤、三人轻伤（演示数据）",
            serious_injuries=1, minor_injuries=3, property_loss=Decimal("36.5"),
            measures="企业已停售同批次产品并排查库存", now=now - dt.timedelta(days=5))
        counts["incidents"] = 1
    suzhou = Division.objects.get(pk="320500")
    scenarios = [{"name": "外壳过热致儿童烫伤", "severity": 2,
                  "steps": [{"description": "温控器失效，外壳温度超限", "probability": "1/10"},
                            {"description": "儿童接触外壳", "probability": "1/2"}]},
                 {"name": "倾倒后引燃织物", "severity": 4,
                  "steps": [{"description": "倾倒断电开关失效", "probability": "1/100"},
                            {"description": "靠近窗帘等可燃物", "probability": "1/5"}]}]
    assessment = services.assess_product(
        user, division=suzhou, category=heater, product="某品牌 NSB-200 电暖器（演示）", hazard="burn",
        scenarios=scenarios, evidence="哨点医院病例 12 例；抽检报告（演示）")
    counts["risk assessments"] = 1
    warning = services.open_alert(user, title="某品牌儿童电动玩具电池过热风险（演示）", division=suzhou,
                                  category=categories.get("KP169") or heater, level="H", product="某品牌 TY-8 玩具车",
                                  hazard="burn", description="哨点医院报告多起电池过热烫伤（演示数据）")
    warning.measures = "企业自愿召回 2026 年 3 月批次"
    warning.save(update_fields=["measures"])
    from django.contrib.auth import get_user_model

    from zhijian.accounts.services import create_user
    from zhijian.core import scope as S

    second = get_user_model().objects.filter(username="suzhou2").first() or create_user(
        "suzhou2", None, S.ROLE_OFFICER, division=suzhou, full_name="风险监测复核人（演示）")
    services.move_alert(warning, second, "validate")
    services.move_alert(warning, user, "publish")
    counts["alerts"] = 1 + assessment.alerts.count() + (1 if enterprise is not None else 0)
    if signals:
        from . import signal_run

        counts["signals"] = sum(signal_run.run_signals(today).values())
    return counts
