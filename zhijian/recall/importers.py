"""Bulk import of the traceability graph (CSV / Excel, through ``zhijian.core.importing``).

* ``lots``: one row per lot — holder (USCC), lot code, category, description, quantity, unit,
  production date; the natural key is (holder, lot code), so ``upsert`` updates a lot.
* ``movements``: one row per movement — the source lot and the target lot, each as holder
  (USCC) + lot code (both lots must be recorded, e.g. imported first), the kind (an input stays
  with one operator, a shipment goes to another), quantity, date, document number.

Every bad value is a row error naming the row and the column; if any row is bad nothing is
written. An importing enterprise user may import its own lots and movements out of its own lots;
officers those of their region.

* ``openfda_enforcement``: an openFDA enforcement JSON file → public recall records
  (``openfda.OpenFdaEnforcementImporter``, see ``docs/recall-api.md``).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from django.utils.translation import gettext as _

from zhijian.core.importing import Choice, Date, DecimalColumn, Importer, Lookup, Text, Uscc
from zhijian.registry import models as rm

from . import models
from .openfda import OpenFdaEnforcementImporter


def _operator(key, header, *, field, aliases=(), **kw):
    return Lookup(key, header, model=rm.Enterprise, by=("uscc",), extra=("division_id",), export_attr="uscc",
                  normalize=Uscc.compact, field=field, aliases=aliases, **kw)


class _EndOperator(Lookup):
    """A movement end's holder (exported from the lot)."""

    def export_value(self, obj):
        return getattr(obj, self.key.split("_")[0]).operator.uscc


class _EndCode(Text):
    def export_value(self, obj):
        return getattr(obj, self.key.split("_")[0]).code


def _end_operator(key, header, aliases=()):
    return _EndOperator(key, header, model=rm.Enterprise, by=("uscc",), extra=("division_id",), export_attr="uscc",
                        normalize=Uscc.compact, field=None, required=True, aliases=aliases)


class LotImporter(Importer):
    name = "lots"
    model = models.Lot
    natural_key = ("operator", "code")
    scope_division = "operator.division_id"
    scope_enterprise = "operator"
    columns = [
        _operator("operator", "持有方统一社会信用代码", field="operator", required=True,
                  aliases=("统一社会信用代码", "企业统一社会信用代码", "uscc", "holder")),
        Text("code", "批次号", required=True, aliases=("批号", "lot", "lot_code", "batch")),
        Lookup("category", "产品类别", model=rm.ProductCategory, by=("code", "name"), export_attr="code",
               field="category", aliases=("产品类别代码", "category_code")),
        Text("description", "描述", aliases=("产品名称", "名称", "品名")),
        DecimalColumn("quantity", "数量", max_digits=16, decimal_places=3, aliases=("批量",)),
        Text("unit", "单位", aliases=("计量单位",)),
        Date("produced_on", "生产日期", aliases=("produced", "production_date")),
    ]
    select_related = ("operator", "category")


KINDS = {"input": ("投料", "原料投入", "投入"), "shipment": ("发货", "销售", "出货", "调拨"),
         "repack": ("分装", "拆分", "合并"), "return": ("退货", "退回")}


class MovementImporter(Importer):
    name = "movements"
    model = models.Movement
    natural_key = ()
    scope_division = "source_operator.division_id"
    scope_enterprise = "source_operator"
    columns = [
        _end_operator("source_operator", "发出方统一社会信用代码", aliases=("来源企业统一社会信用代码", "source_uscc")),
        _EndCode("source_code", "发出批次号", field=None, required=True, aliases=("来源批次号", "source_lot")),
        _end_operator("target_operator", "接收方统一社会信用代码", aliases=("去向企业统一社会信用代码", "target_uscc")),
        _EndCode("target_code", "接收批次号", field=None, required=True, aliases=("去向批次号", "target_lot")),
        Choice("kind", "类型", choices=KINDS, required=True, aliases=("流向类型",)),
        DecimalColumn("quantity", "数量", max_digits=16, decimal_places=3),
        Date("moved_on", "日期", aliases=("发生日期", "date")),
        Text("document", "单据号", aliases=("单号", "凭证号")),
    ]

    def check_rows(self, data, v):
        n = v.n
        self._lots = {"source": np.zeros(n, dtype=np.int64), "target": np.zeros(n, dtype=np.int64)}
        if not all(k in data for k in ("source_operator", "source_code", "target_operator", "target_code")):
            return
        ops, holders = {}, {}
        for end in ("source", "target"):
            ops[end] = data[f"{end}_operator"].to_pylist()
        codes = {end: data[f"{end}_code"].to_pylist() for end in ("source", "target")}
        wanted = {(o, c) for end in ("source", "target") for o, c in zip(ops[end], codes[end]) if o and c}
        found = {}
        by_code: dict[str, set] = {}
        for o, c in wanted:
            by_code.setdefault(c, set()).add(o)
        codes_list = sorted(by_code)
        for i in range(0, len(codes_list), 900):
            for pk, op, code in models.Lot.objects.filter(code__in=codes_list[i:i + 900]).values_list(
                    "pk", "operator_id", "code"):
                if (op, code) in wanted:
                    found[(op, code)] = pk
                    holders[pk] = op
        kinds = data["kind"].to_pylist() if "kind" in data else [""] * n
        for i in range(n):
            if v.bad[i]:
                continue
            ids = {}
            for end in ("source", "target"):
                pk = found.get((ops[end][i], codes[end][i]))
                if pk is None:
                    v.reject_row(i, f"{end}_code", codes[end][i],
                                 _("no lot %(code)s of this operator is recorded (import the lots first)")
                                 % {"code": codes[end][i]}, "unknown")
                ids[end] = pk
            if v.bad[i]:
                continue
            if ids["source"] == ids["target"]:
                v.reject_row(i, "target_code", codes["target"][i], _("a lot cannot move into itself"))
                continue
            same = ops["source"][i] == ops["target"][i]
            if kinds[i] == "input" and not same:
                v.reject_row(i, "kind", kinds[i], _("an input stays with one operator; a lot going to another "
                                                    "operator is a shipment"))
            elif kinds[i] == "shipment" and same:
                v.reject_row(i, "kind", kinds[i], _("a shipment goes to another operator's lot"))
            self._lots["source"][i], self._lots["target"][i] = ids["source"], ids["target"]

    def derived_values(self, data, rows):
        return {"source": pa.array(self._lots["source"][rows]), "target": pa.array(self._lots["target"][rows])}

    def export_queryset(self, queryset):
        return queryset.select_related("source__operator", "target__operator")


IMPORTERS = {"lots": LotImporter, "movements": MovementImporter,
             OpenFdaEnforcementImporter.name: OpenFdaEnforcementImporter}
