"""Loading the reference data of ``shared/data`` (idempotent upserts)."""
from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import Division, Industry, ProductCategory

LEVELS = {"province": Division.Level.PROVINCE, "prefecture": Division.Level.PREFECTURE,
          "county": Division.Level.COUNTY}
RISK = {"高": ProductCategory.RiskClass.HIGH, "中": ProductCategory.RiskClass.MEDIUM,
        "低": ProductCategory.RiskClass.LOW}
# Catalog groups that are producer goods; the rest are consumer goods.
INDUSTRIAL_GROUPS = {"工业生产资料", "农业生产资料"}
# Seasons for the seasonal special checks (节令产品专项抽查): product-name keyword -> months.
# Editable per category afterwards; these are the usual seasons of the national plans.
SEASONS = {
    "电热毯": [10, 11, 12, 1, 2], "取暖": [10, 11, 12, 1, 2], "电暖": [10, 11, 12, 1, 2],
    "暖风": [10, 11, 12, 1, 2], "电风扇": [5, 6, 7, 8], "空调": [5, 6, 7, 8],
    "烟花": [12, 1, 2], "防晒": [5, 6, 7, 8], "泳": [6, 7, 8], "学生": [8, 9],
    "文具": [8, 9], "书包": [8, 9], "头盔": [5, 6, 7], "羽绒": [10, 11, 12],
    "月饼": [8, 9], "粽": [5, 6], "化肥": [3, 4, 9, 10], "农药": [3, 4, 5, 6],
    "种子": [2, 3, 4],
}


def data_dir() -> Path:
    return Path(settings.REFERENCE_DATA_DIR)


def _rows(name: str):
    with open(data_dir() / name, encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def load_divisions() -> int:
    objs = [Division(code=r["code"], name=r["name"], parent_id=r["parent_code"] or None,
                     level=LEVELS[r["level"]]) for r in _rows("divisions_gbt2260_2024.csv")]
    objs.sort(key=lambda d: ["province", "prefecture", "county"].index(d.level))
    Division.objects.bulk_create(objs, batch_size=500, update_conflicts=True,
                                 unique_fields=["code"], update_fields=["name", "parent", "level"])
    return len(objs)


def load_industries() -> int:
    objs = [Industry(code=r["code"], name=r["name"], level=int(r["level"]), section=r["section"],
                     parent_id=r["parent_code"] or None) for r in _rows("industries_gbt4754_2017.csv")]
    objs.sort(key=lambda i: i.level)
    Industry.objects.bulk_create(objs, batch_size=500, update_conflicts=True,
                                 unique_fields=["code"],
                                 update_fields=["name", "level", "section", "parent"])
    return len(objs)


def season_of(name: str) -> list[int]:
    for key, months in SEASONS.items():
        if key in name:
            return months
    return []


def load_catalog() -> int:
    objs = []
    for r in _rows("key_industrial_products_catalog.csv"):
        group = r["category"].strip()
        objs.append(ProductCategory(
            code=f"KP{int(r['seq']):03d}",
            name=r["product_name"].strip(),
            group=group,
            kind=(ProductCategory.Kind.INDUSTRIAL if group in INDUSTRIAL_GROUPS
                  else ProductCategory.Kind.CONSUMER),
            key_supervised=True,
            risk_class=RISK.get(r["risk_level"].strip(), ""),
            seasonal_months=season_of(r["product_name"]),
            licence_required=r["production_license_xk"].strip() == "是",
            ccc_required=r["ccc"].strip() == "是",
            special_requirements=r["special_requirements"].strip()[:255],
        ))
    ProductCategory.objects.bulk_create(
        objs, batch_size=500, update_conflicts=True, unique_fields=["code"],
        update_fields=["name", "group", "kind", "key_supervised", "risk_class",
                       "licence_required", "ccc_required", "special_requirements"])
    return len(objs)


@transaction.atomic
def load_all() -> dict[str, int]:
    return {"divisions": load_divisions(), "industries": load_industries(),
            "product categories": load_catalog()}
