"""Import of credit records from other agencies (tax, customs, courts …), see ``docs/credit-exchange.md``.

Through the core import framework: CSV (UTF-8 / GBK) or .xlsx, every row checked
(USCC check character, dates, lengths, duplicates in the file), all rows or none,
upsert by ``(source_agency, record_id)``.

A record whose USCC is not (yet) in the registry is kept with no enterprise: the
other agency's record stays true whether or not the enterprise is registered
here; it is linked when a later import of the same record finds the enterprise,
and the staff list shows records by USCC. Only a province-wide account may import
such records (their region is unknown); a narrower account may import records of
enterprises of its region only.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from zhijian.core.importing import (
    MODE_UPSERT,
    Date,
    Importer,
    Lookup,
    Text,
    Uscc,
    _chunks,
    _np_bool,
)
from zhijian.core.scope import province_prefix
from zhijian.registry.models import Enterprise

from .models import ExternalCreditRecord


class ExternalCreditRecordImporter(Importer):
    name = "external_credit_records"
    model = ExternalCreditRecord
    natural_key = ("source_agency", "record_id")
    columns = [
        Text("source_agency", "来源机关", required=True,
             aliases=("来源单位", "数据来源", "提供机关", "source")),
        Text("record_id", "记录编号", required=True, aliases=("记录ID", "编号", "id")),
        Uscc("uscc", "统一社会信用代码", required=True, aliases=("信用代码", "社会信用代码", "USCC")),
        Text("kind", "记录类型", required=True, aliases=("类型", "类别", "信用类别")),
        Date("date", "认定日期", required=True, aliases=("日期", "决定日期", "列入日期")),
        Date("valid_until", "有效期至", aliases=("有效期", "截止日期", "移出日期")),
        Text("description", "内容", aliases=("说明", "事由", "描述")),
    ]

    # ------------------------------------------------------------------ checks
    def check_rows(self, data, v) -> None:
        n = v.n
        # valid_until, when given, is not before the date
        if "valid_until" in data and "date" in data:
            before = _np_bool(pc.less(data["valid_until"], data["date"])) & ~v.bad
            v.reject("valid_until", before, self._raw["valid_until"],
                     _("before the date of the record"), "date_order")
        # the enterprise of each valid USCC (None: not in the registry)
        codes = data["uscc"].to_pylist()
        found: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(sorted({c for c in codes if c}), Lookup.CHUNK):
            for uscc, pk, division in Enterprise._base_manager.filter(uscc__in=chunk).values_list(
                    "uscc", "pk", "division_id"):
                found[uscc] = (pk, division)
        ids = [found.get(c, (None, None))[0] if c else None for c in codes]
        divisions = [found.get(c, (None, None))[1] if c else None for c in codes]
        self._enterprise = pa.array(ids, pa.int64()) if n else pa.array([], pa.int64())
        # scope: the user's region (a province-wide account may keep unknown enterprises)
        prefix, _enterprise = self.scope()
        if prefix is None:
            return
        province_wide = prefix == province_prefix()
        for i in range(n):
            if v.bad[i] or not codes[i]:
                continue
            if divisions[i] is None:
                if not province_wide:
                    v.reject_row(i, "uscc", codes[i],
                                 _("not in the registry: only a province-wide account may import "
                                   "records of enterprises not registered here"), "scope")
            elif not str(divisions[i]).startswith(prefix):
                v.reject_row(i, "uscc", codes[i],
                             _("outside your region (%(prefix)s…): you may not import rows for this "
                               "division") % {"prefix": prefix}, "scope")

    # ------------------------------------------------------------------ writing
    def _write(self, data, v, result, progress, job_id) -> None:
        self._job_id = job_id
        return super()._write(data, v, result, progress, job_id)

    def db_columns(self, data, rows: np.ndarray):
        fields, values = super().db_columns(data, rows)
        # The rows in the order the framework inserts them (see Importer.db_columns).
        idx = np.flatnonzero(rows)
        order = pc.sort_indices(pc.take(data[self.natural_key[0]], pa.array(idx)))
        keep = pa.array(idx[order.to_numpy()])
        for j, f in enumerate(fields):
            if f.name == "enterprise":
                values[j] = pc.take(self._enterprise, keep)
            elif f.name == "import_job":
                values[j] = getattr(self, "_job_id", None)
        return fields, values

    def update(self, data, existing_pk: dict[int, int], v, progress) -> tuple[int, int]:
        """Update the existing records through the ORM (each change audited), the link included."""
        cols = [c for c in self.columns if c.key in data and c.key not in self.natural_key]
        values = {c.key: data[c.key].to_pylist() for c in cols}
        enterprise = self._enterprise.to_pylist()
        job_id = getattr(self, "_job_id", None)
        updated = unchanged = 0
        items = sorted(existing_pk.items())
        for n, chunk in enumerate(_chunks(items, 500)):
            objs = self.model._base_manager.in_bulk([pk for _, pk in chunk])
            for i, pk in chunk:
                obj = objs[pk]
                changed = []
                for c in cols:
                    f = c.model_field
                    new = c.python_value(values[c.key][i])
                    if new is None and not f.null:
                        new = f.get_default()
                    if getattr(obj, f.attname) != new:
                        setattr(obj, f.attname, new)
                        changed.append(f.name)
                if obj.enterprise_id != enterprise[i]:
                    obj.enterprise_id = enterprise[i]
                    changed.append("enterprise")
                if changed:
                    obj.import_job_id = job_id
                    obj.save(update_fields=[*changed, "import_job", "last_updated"])
                    updated += 1
                else:
                    unchanged += 1
            if progress:
                progress("update", min((n + 1) * 500, len(items)), len(items))
        return updated, unchanged


IMPORTERS = {"external_credit_records": ExternalCreditRecordImporter}
DEFAULT_MODE = MODE_UPSERT
