"""The registry's reference tables: GB/T 2260 divisions, GB/T 4754 industries, the key product catalog.

The editions in force ship with the project in ``zhijian/registry/data/`` (``ZHIJIAN_REFERENCE_DATA``
overrides the folder). :func:`load_all` loads them at install time (idempotent upserts).

A new edition of one table is applied with :func:`apply_edition` (``zhijian load-reference --file
NEW.csv``): the table is recognised by its header, every row is validated first (an error names
the file's line and the field, and nothing is written), then the differences to the database are
applied in one transaction — codes added, renamed, otherwise changed (e.g. a county moved to
another city), abolished and restored. Abolished codes are never deleted, because enterprises,
plans and complaints point at them: they are kept with ``active = False`` and become active
again when a later edition lists them. One audit entry records the edition (file SHA-256 and
what changed).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from zhijian.core.importing import ImportFileError, RowError, file_sha256, normalize_header, read_table

from .models import Division, Industry, ProductCategory

LEVELS = {"province": Division.Level.PROVINCE, "prefecture": Division.Level.PREFECTURE,
          "county": Division.Level.COUNTY}
LEVEL_RANK = {Division.Level.PROVINCE: 0, Division.Level.PREFECTURE: 1, Division.Level.COUNTY: 2}
RISK = {"高": ProductCategory.RiskClass.HIGH, "中": ProductCategory.RiskClass.MEDIUM,
        "低": ProductCategory.RiskClass.LOW}
YES_NO = {"是": True, "否": False, "": False}
# Catalog groups that are producer goods; the rest are consumer goods.
INDUSTRIAL_GROUPS = {"工业生产资料", "农业生产资料"}
# Seasons for the seasonal special checks (节令产品专项抽查): product-name keyword -> months.
# Set when a category is created, editable per category afterwards (a new edition keeps the
# edited months); these are the usual seasons of the national plans.
SEASONS = {
    "电热毯": [10, 11, 12, 1, 2], "取暖": [10, 11, 12, 1, 2], "电暖": [10, 11, 12, 1, 2],
    "暖风": [10, 11, 12, 1, 2], "电风扇": [5, 6, 7, 8], "空调": [5, 6, 7, 8],
    "烟花": [12, 1, 2], "防晒": [5, 6, 7, 8], "泳": [6, 7, 8], "学生": [8, 9],
    "文具": [8, 9], "书包": [8, 9], "头盔": [5, 6, 7], "羽绒": [10, 11, 12],
    "月饼": [8, 9], "粽": [5, 6], "化肥": [3, 4, 9, 10], "农药": [3, 4, 5, 6],
    "种子": [2, 3, 4],
}
# How many codes of each kind of change the audit entry and the report list by name.
LISTED = 200


def data_dir() -> Path:
    return Path(settings.REFERENCE_DATA_DIR)


def season_of(name: str) -> list[int]:
    for key, months in SEASONS.items():
        if key in name:
            return months
    return []


class RowProblem(ValueError):
    """A bad cell found while parsing one row: ``field`` is the file's column name."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


# --------------------------------------------------------------------------- the three tables


def _division(r: dict) -> dict:
    code = r["code"]
    if not re.fullmatch(r"\d{6}", code):
        raise RowProblem("code", "a GB/T 2260 code has six digits")
    if r["level"] not in LEVELS:
        raise RowProblem("level", f"one of {', '.join(LEVELS)}")
    level = LEVELS[r["level"]]
    if not r["name"]:
        raise RowProblem("name", "required")
    parent = r["parent_code"] or None
    if (parent is None) != (level == Division.Level.PROVINCE):
        raise RowProblem("parent_code", "a province has no parent; every other division has one")
    return {"code": code, "name": r["name"], "level": level, "parent_id": parent}


def _industry(r: dict) -> dict:
    if not re.fullmatch(r"[A-T]|\d{2,4}", r["code"]):
        raise RowProblem("code", "a GB/T 4754 code is a section letter or 2 to 4 digits")
    if r["level"] not in {"1", "2", "3", "4"}:
        raise RowProblem("level", "1 (section) to 4 (class)")
    if not r["name"]:
        raise RowProblem("name", "required")
    if not re.fullmatch(r"[A-T]", r["section"]):
        raise RowProblem("section", "a section letter A-T")
    level, parent = int(r["level"]), r["parent_code"] or None
    if (parent is None) != (level == 1):
        raise RowProblem("parent_code", "a section has no parent; every other level has one")
    return {"code": r["code"], "name": r["name"], "level": level, "section": r["section"],
            "parent_id": parent}


def _category(r: dict) -> dict:
    if not r["seq"].isdigit() or int(r["seq"]) < 1:
        raise RowProblem("seq", "a positive whole number")
    name, group = r["product_name"], r["category"]
    if not name:
        raise RowProblem("product_name", "required")
    if not group:
        raise RowProblem("category", "required")
    if r["risk_level"] and r["risk_level"] not in RISK:
        raise RowProblem("risk_level", "one of 高, 中, 低 or empty")
    flags = {}
    for col in ("production_license_xk", "ccc"):
        # "是(车用汽油)": required for the products named in brackets — counted as required.
        flags[col] = YES_NO.get(r[col][:1] if r[col][1:2] in ("", "(", "（") else r[col])
        if flags[col] is None:
            raise RowProblem(col, "是 or 否 (optionally followed by the products in brackets)")
    return {
        "code": f"KP{int(r['seq']):03d}", "name": name, "group": group,
        "kind": (ProductCategory.Kind.INDUSTRIAL if group in INDUSTRIAL_GROUPS
                 else ProductCategory.Kind.CONSUMER),
        "key_supervised": True, "risk_class": RISK.get(r["risk_level"], ""),
        "licence_required": flags["production_license_xk"], "ccc_required": flags["ccc"],
        "special_requirements": r["special_requirements"][:255],
        "seasonal_months": season_of(name),
    }


@dataclass(frozen=True)
class Table:
    """One reference table: where its edition lives, how a row reads, which rows it owns."""

    key: str
    label: str
    model: type
    filename: str
    columns: tuple[str, ...]
    parse: Callable[[dict], dict]
    compared: tuple[str, ...]  # fields a new edition updates
    create_only: tuple[str, ...] = ()  # fields set on creation and then left to the users
    owned_prefix: str = ""  # rows of the model this table owns (others are users' own rows)
    parent_rank: Callable[[dict], int] | None = None

    def owned(self):
        qs = self.model.objects.all()
        return qs.filter(code__startswith=self.owned_prefix) if self.owned_prefix else qs


DIVISIONS = Table(
    "divisions", "GB/T 2260 divisions", Division, "divisions_gbt2260_2024.csv",
    ("code", "name", "parent_code", "level"), _division, ("name", "level", "parent_id"),
    parent_rank=lambda row: LEVEL_RANK[row["level"]])
INDUSTRIES = Table(
    "industries", "GB/T 4754 industries", Industry, "industries_gbt4754_2017.csv",
    ("code", "name", "level", "section", "parent_code"), _industry,
    ("name", "level", "section", "parent_id"), parent_rank=lambda row: row["level"])
CATALOG = Table(
    "catalog", "key-supervised product catalog", ProductCategory, "key_industrial_products_catalog.csv",
    ("category", "seq", "product_name", "production_license_xk", "ccc", "special_requirements",
     "risk_level"), _category,
    ("name", "group", "kind", "key_supervised", "risk_class", "licence_required", "ccc_required",
     "special_requirements"), create_only=("seasonal_months",), owned_prefix="KP")
TABLES = {t.key: t for t in (DIVISIONS, INDUSTRIES, CATALOG)}


def table_for(headers: list[str]) -> Table:
    """The table whose columns the header names (column order free, extra columns ignored)."""
    have = {normalize_header(h) for h in headers}
    matches = [t for t in TABLES.values() if {normalize_header(c) for c in t.columns} <= have]
    if matches:  # the industries' header holds the divisions' columns too: the fullest match wins
        return max(matches, key=lambda t: len(t.columns))
    expected = "; ".join(f"{t.label}: {', '.join(t.columns)}" for t in TABLES.values())
    raise ImportFileError(f"the header matches no reference table (expected {expected})",
                          code="header", line=1, expected=[c for t in TABLES.values() for c in t.columns])


# --------------------------------------------------------------------------- reading an edition


class EditionError(Exception):
    """An edition with bad rows: nothing was written."""

    def __init__(self, path, errors: list[RowError]):
        self.path, self.errors = path, errors
        lines = [f"line {e.row}, {e.field or 'file'}: {e.reason}" + (f" ({e.value!r})" if e.value else "")
                 for e in errors[:50]]
        more = f"\n... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{path}: {len(errors)} bad row(s), nothing written\n" + "\n".join(lines) + more)


def read_edition(path, table: Table | None = None) -> tuple[Table, list[dict]]:
    """Parse and validate a whole edition; raise :class:`EditionError` listing every bad row."""
    try:
        raw = read_table(Path(path))
    except ImportFileError as exc:
        raise EditionError(path, [exc.as_row_error()]) from exc
    try:
        table = table or table_for(raw.headers)
    except ImportFileError as exc:
        raise EditionError(path, [exc.as_row_error()]) from exc
    index = {normalize_header(h): i for i, h in enumerate(raw.headers)}
    cols = {c: raw.columns[index[normalize_header(c)]].to_pylist() for c in table.columns}
    errors, rows, lines = list(raw.structural_errors), [], {}
    for i, line in enumerate(raw.rownums.tolist()):
        cells = {c: (cols[c][i] or "").strip() for c in table.columns}
        try:
            row = table.parse(cells)
        except RowProblem as exc:
            errors.append(RowError(line, exc.field, cells.get(exc.field, ""), exc.reason))
            continue
        if row["code"] in lines:
            key = "seq" if table is CATALOG else "code"
            errors.append(RowError(line, key, cells[key], f"repeats line {lines[row['code']]}",
                                   "duplicate"))
            continue
        lines[row["code"]] = line
        row["_line"] = line
        rows.append(row)
    if table.parent_rank:
        by_code = {r["code"]: r for r in rows}
        for r in rows:
            parent = by_code.get(r["parent_id"]) if r["parent_id"] else None
            if r["parent_id"] and parent is None:
                errors.append(RowError(r["_line"], "parent_code", r["parent_id"],
                                       "no row of this edition has this code", "unknown"))
            elif parent and table.parent_rank(parent) >= table.parent_rank(r):
                errors.append(RowError(r["_line"], "parent_code", r["parent_id"],
                                       "the parent must be of a higher level", "invalid"))
    if not rows and not errors:
        errors.append(RowError(2, "", "", "the edition has no rows", "empty"))
    if errors:
        raise EditionError(path, sorted(errors, key=lambda e: e.row))
    return table, rows


# --------------------------------------------------------------------------- applying it


@dataclass
class EditionReport:
    """What an edition changes (or changed): codes with their names."""

    table: Table
    path: str = ""
    sha256: str = ""
    rows: int = 0
    added: list[tuple[str, str]] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # code, old, new
    changed: list[tuple[str, list[str]]] = field(default_factory=list)  # code, fields
    abolished: list[tuple[str, str]] = field(default_factory=list)
    restored: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def has_changes(self) -> bool:
        return any((self.added, self.renamed, self.changed, self.abolished, self.restored))

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in ("added", "renamed", "changed", "abolished", "restored")}

    def as_dict(self) -> dict:
        return {"table": self.table.key, "file": Path(self.path).name, "sha256": self.sha256,
                "rows": self.rows, **{f"{k}_count": n for k, n in self.counts().items()},
                **{k: [list(x) for x in getattr(self, k)[:LISTED]]
                   for k in ("added", "renamed", "changed", "abolished", "restored")}}

    def lines(self) -> list[str]:
        out = [f"{self.table.label}: {self.rows} rows in {Path(self.path).name}"
               + (" (dry run, nothing written)" if self.dry_run else "")]
        out.append(", ".join(f"{k} {n}" for k, n in self.counts().items()))
        for code, name in self.added[:LISTED]:
            out.append(f"  + {code} {name}")
        for code, old, new in self.renamed[:LISTED]:
            out.append(f"  ~ {code} {old} -> {new}")
        for code, fields in self.changed[:LISTED]:
            out.append(f"  ~ {code} changed: {', '.join(fields)}")
        for code, name in self.abolished[:LISTED]:
            out.append(f"  - {code} {name} (abolished, kept as not in force)")
        for code, name in self.restored[:LISTED]:
            out.append(f"  ^ {code} {name} (in force again)")
        return out


def _diff(table: Table, rows: list[dict], *, abolish: bool, report: EditionReport):
    existing = {o.code: o for o in table.owned()}
    create, update, seen = [], [], set()
    for row in rows:
        seen.add(row["code"])
        values = {k: v for k, v in row.items() if k != "_line"}
        obj = existing.get(row["code"])
        if obj is None:
            create.append(table.model(**values, active=True))
            report.added.append((row["code"], row["name"]))
            continue
        fields = [f for f in table.compared if getattr(obj, f) != values[f]]
        if "name" in fields:
            report.renamed.append((obj.code, obj.name, values["name"]))
        if [f for f in fields if f != "name"]:
            report.changed.append((obj.code, [f.removesuffix("_id") for f in fields if f != "name"]))
        if not obj.active:
            report.restored.append((obj.code, values["name"]))
            fields.append("active")
            obj.active = True
        if fields:
            for f in fields:
                if f != "active":
                    setattr(obj, f, values[f])
            update.append(obj)
    if abolish:
        for code, obj in existing.items():
            if code not in seen and obj.active:
                report.abolished.append((code, obj.name))
                obj.active = False
                update.append(obj)
    if table.parent_rank:
        create.sort(key=lambda o: table.parent_rank({"level": o.level}))
    return create, update


def apply_edition(path, *, table: Table | None = None, abolish: bool = True, dry_run: bool = False,
                  audit: bool = True) -> EditionReport:
    """Validate ``path`` as a whole, then apply its differences in one transaction.

    ``abolish``: codes of the table missing from the edition are set not in force.
    ``dry_run``: only report. ``audit``: one audit entry for the edition (when it changes
    anything).
    """
    table, rows = read_edition(path, table)
    report = EditionReport(table, str(path), file_sha256(path), len(rows), dry_run=dry_run)
    with transaction.atomic():
        create, update = _diff(table, rows, abolish=abolish, report=report)
        if dry_run:
            return report
        table.model.objects.bulk_create(create, batch_size=500)
        if update:
            fields = [f.removesuffix("_id") for f in table.compared] + ["active"]
            table.model.objects.bulk_update(update, fields, batch_size=500)
        if audit and report.has_changes:
            from zhijian.accounts import audit as audit_log
            from zhijian.accounts.audit import object_type_of
            audit_log.append("import", object_type=object_type_of(table.model),
                             object_repr=f"{table.label}: {Path(path).name}",
                             postchange=report.as_dict())
    return report


def load_table(table: Table) -> int:
    """Upsert the shipped edition of ``table`` (nothing is abolished)."""
    return apply_edition(data_dir() / table.filename, table=table, abolish=False, audit=False).rows


def load_divisions() -> int:
    return load_table(DIVISIONS)


def load_industries() -> int:
    return load_table(INDUSTRIES)


def load_catalog() -> int:
    return load_table(CATALOG)


@transaction.atomic
def load_all() -> dict[str, int]:
    return {"divisions": load_divisions(), "industries": load_industries(),
            "product categories": load_catalog()}
