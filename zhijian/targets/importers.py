"""Import of entered data values (CSV / Excel) through the core import framework.

Every row is checked (element code known and not computed, period code well formed and of the
element's period type, division code known and inside the importer's region, value a number);
all rows or none are written; a row for an existing element × division × period updates it
(upsert). Imported values await the province's approval like entered ones.
"""
from __future__ import annotations

import decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from zhijian.core.importing import MODE_UPSERT, DecimalColumn, DivisionLookup, Importer, Lookup, Text, _np_bool

from . import periods
from .models import DataElement, DataValue, PeriodType


class SignedDecimal(DecimalColumn):
    """A decimal that may be negative (a change from the year before)."""

    def clean(self, values, v):
        values = self.check_required(values, v)
        plain = pc.replace_substring_regex(values, r"[,，\s]", "")
        whole = self.max_digits - self.decimal_places
        pattern = rf"^-?\d{{1,{whole}}}(?:\.\d{{0,{self.decimal_places}}}0*)?$"
        ok = _np_bool(pc.match_substring_regex(plain, pattern))
        empty = self.empty_mask(values)
        v.reject(self.key, ~ok & ~empty, values, _(
            "not a number with at most %(whole)d digits before and %(places)d after the decimal point") % {
            "whole": whole, "places": self.decimal_places}, "number")
        return pc.if_else(pa.array(ok), plain, pa.scalar(None, pa.string()))

    def python_value(self, value):
        return None if value is None else decimal.Decimal(value)


class DataValueImporter(Importer):
    name = "data_values"
    model = DataValue
    natural_key = ("element", "division", "period")
    scope_division = "division"
    columns = [
        Lookup("element", "数据元代码", model=DataElement, by=("code",), extra=("kind", "period_type"),
               required=True, aliases=("数据元", "指标代码")),
        DivisionLookup("division", "行政区划代码", required=True, aliases=("区划代码",)),
        Text("period", "期间", required=True, max_length=6, aliases=("统计期", "period code")),
        SignedDecimal("value", "数值", required=True, max_digits=20, decimal_places=4, aliases=("值",)),
        Text("source", "来源", max_length=255, aliases=("数据来源",)),
        Text("note", "备注", aliases=("说明",)),
    ]

    def check_rows(self, data, v) -> None:
        kinds = v.extras.get("element", {}).get("kind")
        ptypes = v.extras.get("element", {}).get("period_type")
        per = data["period"].to_pylist()
        raw = self._raw["period"]
        for i in range(v.n):
            if v.bad[i]:
                continue
            try:
                ptype = periods.kind(per[i])
            except periods.PeriodError:
                v.reject_row(i, "period", raw[i].as_py(), _("not a period code (2026, 2026Q2 or 202605)"), "period")
                continue
            if kinds is not None and kinds[i].as_py() == DataElement.Kind.COMPUTED:
                v.reject_row(i, "element", self._raw["element"][i].as_py(),
                             _("computed by the platform; it is not imported"), "computed")
            elif ptypes is not None and ptypes[i].as_py() != ptype:
                v.reject_row(i, "period", raw[i].as_py(), _("the element is reported per %(type)s") % {
                    "type": PeriodType(ptypes[i].as_py()).label}, "period_type")
        # A figure is kept at one level: no value above or below the row's division (file or database).
        from .services import _overlap

        elements, divisions = data["element"].to_pylist(), data["division"].to_pylist()
        keys = {(elements[i], divisions[i], per[i]) for i in range(v.n) if not v.bad[i]}
        for i in range(v.n):
            if v.bad[i]:
                continue
            e, d, p = elements[i], str(divisions[i]), per[i]
            prefix = d[:2] if d.endswith("0000") else d[:4] if d.endswith("00") else d
            above = {d[:2] + "0000", d[:4] + "00"} - {d}
            clash = next((k[1] for k in keys if k[0] == e and k[2] == p and k[1] != d
                          and (k[1] in above or str(k[1]).startswith(prefix))), None)
            if clash is None:
                element = DataElement(pk=e)
                other = _overlap(element, d, p)
                clash = other.division_id if other is not None else None
            if clash is not None:
                v.reject_row(i, "division", d, _("a value for this element and period is already given for "
                                                 "division %(other)s; a figure is kept at one level only") % {
                    "other": clash}, "level")

    def derived_values(self, data, rows: np.ndarray) -> dict:
        n = int(rows.sum())
        user_id = getattr(self.user, "pk", None)
        return {"origin": pa.array([DataValue.Origin.IMPORT] * n, pa.string()),
                "status": pa.array([DataValue.Status.PENDING] * n, pa.string()),
                "entered_by": pa.array([user_id] * n, pa.int64())}

    def before_update(self, obj, changed: list[str]) -> None:
        if changed:
            obj.status, obj.origin = DataValue.Status.PENDING, DataValue.Origin.IMPORT
            obj.reviewed_by = obj.reviewed_at = None
            obj.review_comment = ""
            changed += ["status", "origin", "reviewed_by", "reviewed_at", "review_comment"]


IMPORTERS = {"data_values": DataValueImporter}
DEFAULT_MODE = MODE_UPSERT
