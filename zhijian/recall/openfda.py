"""openFDA enforcement reports as a compatibility format: read, validate, import, present.

An openFDA enforcement download (``food/enforcement``, ``drug/enforcement``,
``device/enforcement``: https://open.fda.gov/apis/food/enforcement/) is one JSON
object ``{"meta": {…}, "results": [record, …]}``; each record is an object of strings,
dates as ``YYYYMMDD``. :func:`read` checks the file and every record and turns the
records into :class:`RecallRecord` field values; every problem is a
:class:`~zhijian.core.importing.RowError` whose ``row`` is the record's position in
``results`` (1 = the first) and whose ``field`` is the openFDA field name.

Normalisation (the stored value ← openFDA's spelling):

* ``classification``: ``I`` / ``II`` / ``III`` ← ``Class I`` / ``Class II`` / ``Class III``;
* ``status``: ``ongoing`` / ``completed`` / ``terminated`` / ``pending`` ← ``Ongoing`` …;
* ``voluntary_mandated``: ``voluntary`` ← ``Voluntary: Firm initiated`` / ``Voluntary: FDA
  Requested``; ``ordered`` ← ``FDA Mandated`` (or ``Mandated``);
* ``more_code_info`` (openFDA's continuation of a long ``code_info``) is appended to
  ``code_info``;
* fields the record has no place for (``address_1``, ``address_2``, ``postal_code``,
  ``product_type``, ``openfda``) and fields unknown here are ignored.

:class:`OpenFdaEnforcementImporter` imports such a file through the core import
framework (all records or none, upsert by ``recall_number``, one audit ``import``
entry, ``source=imported``, published); :func:`as_openfda` is the inverse used by the
public API, so that an imported record reads back with the values it came with.
"""
from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from zhijian.core.importing import (
    MODE_UPSERT,
    Choice,
    Date,
    ImportFileError,
    Importer,
    RawTable,
    RowError,
    Text,
    _np_bool,
)
from zhijian.core.scope import scope_for

from .models import RecallRecord

CLASSIFICATIONS = {"class i": "I", "class ii": "II", "class iii": "III", "i": "I", "ii": "II", "iii": "III"}
STATUSES = {"ongoing": "ongoing", "completed": "completed", "terminated": "terminated", "pending": "pending"}
VOLUNTARY_MANDATED = {"voluntary: firm initiated": "voluntary", "voluntary: fda requested": "voluntary",
                      "voluntary": "voluntary", "fda mandated": "ordered", "mandated": "ordered",
                      "ordered": "ordered"}
# openFDA field → RecallRecord field, in openFDA's documented order
TEXT_FIELDS = ("recall_number", "event_id", "product_description", "product_code", "product_quantity",
               "code_info", "reason_for_recall", "distribution_pattern", "recalling_firm", "city", "state",
               "country", "initial_firm_notification")
DATE_FIELDS = ("recall_initiation_date", "center_classification_date", "termination_date", "report_date")
REQUIRED = ("recall_number", "classification", "product_description", "reason_for_recall", "recalling_firm",
            "voluntary_mandated")
IGNORED = ("address_1", "address_2", "postal_code", "product_type", "openfda", "more_code_info")
MAX_RECORDS = 200_000


@dataclass
class Reading:
    """What :func:`read` found: the file's ``meta``, the normalised records (with their
    positions) and the errors."""

    meta: dict = field(default_factory=dict)
    records: list[dict] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _date(text: str) -> datetime.date | None:
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def read_record(raw, row: int, errors: list[RowError]) -> dict | None:
    """One record's ``RecallRecord`` values, or ``None`` (its errors appended)."""
    if not isinstance(raw, dict):
        errors.append(RowError(row, "", type(raw).__name__, _("a record must be a JSON object"), "format"))
        return None
    found = len(errors)
    values: dict = {}

    def bad(name, value, reason, code="invalid"):
        errors.append(RowError(row, name, "" if value is None else str(value)[:200], reason, code))

    strings = {}
    for name in (*TEXT_FIELDS, *DATE_FIELDS, "classification", "status", "voluntary_mandated", "more_code_info"):
        if name not in raw or raw[name] is None:
            strings[name] = ""
            continue
        text = _text(raw[name])
        if text is None:
            bad(name, json.dumps(raw[name], ensure_ascii=False), _("expected a string"), "type")
            text = ""
        strings[name] = text.strip()
    for name in REQUIRED:
        if not strings[name] and not any(e.field == name for e in errors[found:]):
            bad(name, "", _("a value is required"), "required")
    for name in TEXT_FIELDS:
        values[name] = strings[name]
    if strings["more_code_info"]:
        values["code_info"] = " ".join(p for p in (values["code_info"], strings["more_code_info"]) if p)
    for name in DATE_FIELDS:
        text = strings[name]
        values[name] = _date(text) if text else None
        if text and values[name] is None:
            bad(name, text, _("not a date in openFDA's form YYYYMMDD"), "date")
    for name, table, allowed in (
            ("classification", CLASSIFICATIONS, "Class I, Class II, Class III"),
            ("status", STATUSES, "Ongoing, Completed, Terminated, Pending"),
            ("voluntary_mandated", VOLUNTARY_MANDATED,
             "Voluntary: Firm initiated, Voluntary: FDA Requested, FDA Mandated")):
        text = strings[name]
        if not text:
            values[name] = "ongoing" if name == "status" else ""
            continue
        values[name] = table.get(text.casefold())
        if values[name] is None:
            bad(name, text, _("not one of the allowed values: %(allowed)s") % {"allowed": allowed}, "choice")
    return values if len(errors) == found else None


def read(data: bytes) -> Reading:
    """Validate an openFDA enforcement file (bytes of JSON)."""
    reading = Reading()
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("The file is not UTF-8 text (byte %(pos)s).") % {"pos": exc.start + 1},
                              code="encoding") from None
    except json.JSONDecodeError as exc:
        raise ImportFileError(_("The file is not valid JSON: %(msg)s at line %(line)s, column %(col)s.")
                              % {"msg": exc.msg, "line": exc.lineno, "col": exc.colno},
                              code="format", line=exc.lineno) from None
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise ImportFileError(_("Not an openFDA enforcement file: expected an object with a "
                                "“results” list (and “meta”)."), code="format")
    meta = document.get("meta", {})
    if not isinstance(meta, dict):
        raise ImportFileError(_("Not an openFDA enforcement file: “meta” must be an object."), code="format")
    if len(document["results"]) > MAX_RECORDS:
        raise ImportFileError(_("The file holds more than %(n)s records; split it.") % {"n": MAX_RECORDS},
                              code="size")
    reading.meta = meta
    reading.total = len(document["results"])
    for row, raw in enumerate(document["results"], start=1):
        values = read_record(raw, row, reading.errors)
        if values is not None:
            reading.records.append(values)
            reading.rows.append(row)
    return reading


def read_file(path) -> Reading:
    return read(Path(path).read_bytes())


# --------------------------------------------------------------------------- import

_C = RecallRecord.Classification
_S = RecallRecord.Status
_V = RecallRecord.VoluntaryMandated


class OpenFdaEnforcementImporter(Importer):
    """An openFDA enforcement JSON file → published, imported ``RecallRecord`` rows (upsert by
    ``recall_number``). The records have no region of this platform, so only province-wide
    accounts (and the system) may import them."""

    name = "openfda_enforcement"
    model = RecallRecord
    suffixes = (".json",)
    natural_key = ("recall_number",)
    columns = [
        Text("recall_number", "召回编号", required=True),
        Text("event_id", "召回事件编号"),
        Choice("classification", "召回级别", required=True,
               choices={v: (str(label), f"Class {v}") for v, label in _C.choices}),
        Choice("status", "状态", choices={v: (str(label),) for v, label in _S.choices}),
        Text("product_description", "产品描述", required=True),
        Text("product_code", "产品代码"),
        Text("product_quantity", "产品数量"),
        Text("code_info", "批次信息"),
        Text("reason_for_recall", "召回原因", required=True),
        Text("distribution_pattern", "销售范围"),
        Text("recalling_firm", "召回企业", required=True),
        Text("city", "城市"),
        Text("state", "省份"),
        Text("country", "国家"),
        Choice("voluntary_mandated", "主动或责令", required=True,
               choices={v: (str(label),) for v, label in _V.choices}),
        Text("initial_firm_notification", "通知方式"),
        Date("recall_initiation_date", "召回启动日期"),
        Date("center_classification_date", "定级日期"),
        Date("termination_date", "结束日期"),
        Date("report_date", "报告日期"),
    ]

    def __init__(self, user=None, mode: str = MODE_UPSERT):
        super().__init__(user, mode)

    def permission_error(self) -> str | None:
        denied = super().permission_error()
        if denied or self.user is None:
            return denied
        scope = scope_for(self.user)
        if not scope.unrestricted and (scope.prefix is None or len(scope.prefix) > 2):
            return _("Only a province-wide account may import openFDA records (they have no region here).")
        return None

    def read(self, path, file_name, encoding=None) -> RawTable:
        reading = read_file(path)
        keys = [c.key for c in self.columns]
        cells = {k: [] for k in keys}
        for values in reading.records:
            for k in keys:
                value = values.get(k)
                cells[k].append("" if value is None else value.isoformat() if isinstance(value, datetime.date)
                                else str(value))
        return RawTable(headers=keys, columns=[pa.array(cells[k], pa.string()) for k in keys],
                        rownums=np.array(reading.rows, dtype=np.int64), encoding="utf-8",
                        structural_errors=reading.errors)

    def check_rows(self, data, v) -> None:
        numbers = data.get("recall_number")
        if numbers is None or not len(numbers):
            return
        from_cases = set(RecallRecord._base_manager.filter(
            recall_number__in=set(numbers.to_pylist()), source=RecallRecord.Source.CASE)
            .values_list("recall_number", flat=True))
        if from_cases:
            clash = _np_bool(pc.is_in(numbers, value_set=pa.array(sorted(from_cases), pa.string())))
            v.reject("recall_number", clash, numbers,
                     _("this recall number belongs to a recall case on this platform; an import may not "
                       "overwrite it"), "conflict")

    def derived_values(self, data, rows):
        n = int(rows.sum())
        return {"source": pa.array([RecallRecord.Source.IMPORTED.value] * n, pa.string()),
                "published": pa.array([True] * n, pa.bool_())}


# --------------------------------------------------------------------------- presenting

CLASSIFICATION_OUT = {"I": "Class I", "II": "Class II", "III": "Class III"}
STATUS_OUT = {"ongoing": "Ongoing", "completed": "Completed", "terminated": "Terminated", "pending": "Pending"}
VOLUNTARY_MANDATED_OUT = {"voluntary": "Voluntary: Firm initiated", "ordered": "Mandated"}
