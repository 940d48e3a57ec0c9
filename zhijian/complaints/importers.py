"""Bulk import of 12315-style complaint and report exports (CSV UTF-8 / GBK / GB18030, XLSX).

Runs through the core import framework (:mod:`zhijian.core.importing`): the file is read
with Arrow, the columns are checked column-wise, and then every row goes through the
same intake check as the web form and the officer's form (``services.validate_intake``),
so a row is bad here exactly when it would be refused there. Errors name the row (as
Excel numbers it), the column and the reason; any error and nothing is written.

What an import writes, in one transaction, with the case table locked:

* the cases (``channel = 12315``, status *received*, the clocks of §6.2 computed with one
  working-day calendar; a ticket number per case, generated unique in memory and checked
  against the database; **no verification code**: the complainant follows the case on the
  12315 platform, where it was filed),
* one ``Complainant`` row per case (the personal data, stored once),
* two ``CaseEvent`` rows per case (``received`` and ``routed``),
* one ``import`` entry in the audit chain (file SHA-256, row count, case id range).

The handling bureau is the respondent's division when the USCC matches a registered
enterprise (looked up in chunks, one query per 900 codes), else the row's division code
(所属区域 / 行政区划代码); a row with neither is an error. The bureau must be inside the
importing user's region. ``external_id`` (登记编号) identifies a row: a second row with the
same id in the file, or an id already imported, is a row error (``duplicate`` / ``exists``);
there is no update mode (a case is handled after intake; an import never overwrites it).

Columns the importer does not know (12315 exports carry many: 处理结果, 承办单位 …) are
ignored and listed in the result. See ``docs/complaints-data.md``.
"""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core.importing import (
    MODE_CREATE,
    Boolean,
    Choice,
    Date,
    DecimalColumn,
    ImportFileError,
    Importer,
    Lookup,
    Text,
    Uscc,
    _chunks,
    bulk_insert,
    map_headers,
    max_pk,
    normalize_header,
)

from zhijian.registry.models import Enterprise

from . import services
from .models import Case, CaseEvent, Channel, Complainant, Kind

CHUNK = 900
CLASSIFY_BATCH = 1000


class DateTime(Date):
    """A date, or a date and time as 12315 exports write them (``2024-03-05 14:23:11``)."""

    def clean(self, values, v):
        values = pc.replace_substring_regex(
            values, r"^(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", r"\1")
        return super().clean(values, v)


KIND_CHOICES = {Kind.COMPLAINT.value: ("投诉",), Kind.REPORT.value: ("举报",)}


class ComplaintImporter(Importer):
    name = "complaints"
    model = Case
    natural_key = ("external_id",)
    columns = [
        Text("external_id", "登记编号", required=True, max_length=64,
             aliases=("工单编号", "投诉举报编号", "诉求编号", "编号", "12315编号")),
        DateTime("received_on", "登记时间", required=True,
                 aliases=("受理时间", "登记日期", "接收时间", "诉求时间", "投诉时间", "举报时间")),
        DateTime("assigned_on", "分派时间", aliases=("派发时间", "分送时间", "转办时间", "下派时间")),
        Choice("kind", "诉求类型", choices=KIND_CHOICES,
               aliases=("诉求类型(投诉/举报)", "类型", "诉求类别", "业务类型")),
        Text("complainant_name", "投诉人姓名", field=None, max_length=100,
             aliases=("投诉人", "举报人", "举报人姓名", "投诉举报人", "投诉举报人姓名", "姓名")),
        Text("complainant_phone", "联系电话", field=None, max_length=32,
             aliases=("电话", "手机号码", "手机", "联系方式", "投诉人电话", "举报人电话")),
        Text("complainant_id_number", "证件号码", field=None, max_length=32,
             aliases=("身份证号", "身份证号码", "投诉人证件号码")),
        Text("complainant_address", "投诉人地址", field=None, max_length=255,
             aliases=("联系地址", "举报人地址", "投诉举报人地址")),
        Boolean("real_name", "是否实名", field=None, aliases=("实名", "实名举报")),
        Text("respondent_name", "被投诉人名称", required=True, max_length=200,
             aliases=("涉事主体", "涉事主体名称", "被投诉人", "被投诉单位", "被举报人", "被举报人名称",
                      "被投诉举报人", "被投诉举报人名称")),
        Uscc("respondent_uscc", "统一社会信用代码",
             aliases=("被投诉人统一社会信用代码", "涉事主体统一社会信用代码", "社会信用代码", "信用代码",
                      "uscc")),
        Text("respondent_address", "被投诉人地址", max_length=255,
             aliases=("涉事主体地址", "被举报人地址", "被投诉举报人地址", "经营地址")),
        Lookup("division", "所属区域", model="registry.Division", by=("code", "name"), field="division",
               aliases=("行政区划代码", "区划代码", "行政区划", "所属区划", "涉事主体所属区域",
                        "division_code")),
        Text("product", "商品/服务名称", max_length=200,
             aliases=("商品名称", "服务名称", "商品或服务名称", "产品名称", "商品服务名称")),
        Text("facts", "诉求内容", required=True,
             aliases=("投诉内容", "举报内容", "投诉举报内容", "问题描述", "内容", "事实和理由")),
        Text("request", "消费者诉求", aliases=("诉求", "投诉诉求", "投诉人诉求", "投诉要求", "具体诉求")),
        DecimalColumn("amount_claimed", "涉及金额", max_digits=12, decimal_places=2,
                      aliases=("涉及金额(元)", "涉案金额", "金额", "投诉金额")),
    ]

    def __init__(self, user=None, mode: str = MODE_CREATE):
        super().__init__(user=user, mode=mode)
        self.ignored_headers: list[str] = []
        self.rows: dict[int, dict] = {}
        # The clocks of a new case depend only on its kind and the day the bureau received it.
        self.clocks: dict[tuple, Case | None] = {}

    def permission_error(self) -> str | None:
        if self.mode != MODE_CREATE:
            return _("Complaints are imported in create mode only: an import never changes a case.")
        return super().permission_error()

    # ------------------------------------------------------------------ reading
    def validate(self, table, progress=None):
        """Columns this importer does not know are dropped (12315 exports carry many); when an
        export has several columns for one field (登记编号 and 工单编号, 登记时间 and 受理时间),
        the column under the field's own header is used, else the first one."""
        target: dict[str, tuple[str, bool]] = {}
        for col in self.columns:
            for n in col.header_names():
                own = normalize_header(n) in (normalize_header(col.header), col.key)
                target.setdefault(normalize_header(n), (col.key, own))
        chosen: dict[str, tuple[int, bool]] = {}
        for i, h in enumerate(table.headers):
            hit = target.get(normalize_header(h))
            if hit is None:
                continue
            key, own = hit
            if key not in chosen or (own and not chosen[key][1]):
                chosen[key] = (i, own)
        keep = sorted(i for i, _own in chosen.values())
        self.ignored_headers = [h.strip() for i, h in enumerate(table.headers) if i not in keep and h.strip()]
        if not keep:
            map_headers(table.headers, self.columns)  # raises: which columns are missing
        table.headers = [table.headers[i] for i in keep]
        table.columns = [table.columns[i] for i in keep if i < len(table.columns)]
        return super().validate(table, progress)

    # ------------------------------------------------------------------ row checks
    def existing(self, keys):
        # Checked in check_rows with a message naming the case, and again under the lock.
        return {}

    def _imported(self, external_ids) -> dict[str, str]:
        """``{external_id: ticket}`` of the cases already in the database."""
        found = {}
        for chunk in _chunks(sorted(set(external_ids) - {""}), CHUNK):
            found.update(Case._base_manager.filter(external_id__in=chunk).values_list("external_id", "ticket"))
        return found

    def check_rows(self, data, v):
        n = v.n
        raw = self._raw
        cols = {k: data[k].to_pylist() for k in data}
        empty, nothing = [""] * n, [None] * n
        bad_before = {(e.row, e.field) for e in v.errors}
        for key in ("received_on", "assigned_on", "amount_claimed", "division"):
            cols.setdefault(key, nothing)

        def col(key):
            return cols.get(key, empty)

        # Registered respondents by USCC: one query per chunk of codes.
        usccs = [u for u in col("respondent_uscc") if u]
        registered: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(sorted(set(usccs)), CHUNK):
            for uscc, pk, division in Enterprise._base_manager.filter(
                    uscc__in=chunk).values_list("uscc", "pk", "division_id"):
                registered[uscc] = (pk, division)
        imported = self._imported(col("external_id"))
        prefix, _enterprise = self.scope()
        calendar = services.WorkdayCalendar.load()
        try:
            services.handling_division(None, None)
        except ValidationError as exc:
            no_division = exc.message_dict["division"][0]
        real_given = "real_name" in data and "real_name" in raw
        real_raw = raw["real_name"].to_pylist() if real_given else None
        kinds, names, phones = col("kind"), col("complainant_name"), col("complainant_phone")
        for i in range(n):
            rownum = int(v.rownums[i])
            ext = cols["external_id"][i] if "external_id" in cols else ""
            if ext and ext in imported:
                v.reject_row(i, "external_id", ext, _("already imported as case %(ticket)s") % {
                    "ticket": imported[ext]}, "exists")
            name, phone = names[i], phones[i]
            kind = kinds[i] or Kind.COMPLAINT
            if real_given and real_raw[i] != "":
                real_name = bool(cols["real_name"][i])
            else:
                # 12315 reports may be anonymous: real-name when the reporter left a name or phone.
                real_name = kind == Kind.COMPLAINT or bool(name or phone)
            d = {
                "kind": kind, "channel": Channel.PLATFORM_12315, "real_name": real_name,
                "respondent_name": col("respondent_name")[i], "respondent_uscc": col("respondent_uscc")[i] or "",
                "respondent_address": col("respondent_address")[i], "product": col("product")[i],
                "facts": col("facts")[i], "request": col("request")[i], "external_id": ext,
                "received_on": col("received_on")[i], "amount_claimed": col("amount_claimed")[i],
                "complainant_name": name, "complainant_phone": phone,
                "complainant_id_number": col("complainant_id_number")[i],
                "complainant_address": col("complainant_address")[i],
            }
            try:
                clean = services.validate_intake(d)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    if (rownum, field) in bad_before:
                        continue
                    value = raw[field][i].as_py() if field in raw else ""
                    code = "required" if not value else "invalid"
                    v.reject_row(i, field, value, "; ".join(messages), code)
                continue
            if v.bad[i]:
                continue
            respondent = registered.get(clean["respondent_uscc"])
            division = respondent[1] if respondent else col("division")[i]
            if not division:
                v.reject_row(i, "division", "", no_division, "required")
                continue
            if prefix and not str(division).startswith(prefix):
                key = "respondent_uscc" if respondent else "division"
                v.reject_row(i, key, raw[key][i].as_py(), _(
                    "the case would go to the bureau of %(division)s, outside your region (%(prefix)s…)")
                    % {"division": division, "prefix": prefix}, "scope")
                continue
            assigned = col("assigned_on")[i] or clean["received_on"]
            if assigned < clean["received_on"]:
                v.reject_row(i, "assigned_on", raw["assigned_on"][i].as_py(),
                             _("earlier than the date of receipt"), "invalid")
                continue
            key = (clean["kind"], assigned)
            if key not in self.clocks:
                try:
                    self.clocks[key] = services.compute_clocks(
                        Case(kind=clean["kind"], received_on=clean["received_on"], assigned_on=assigned,
                             status=Case.Status.RECEIVED), calendar)
                except LookupError:
                    self.clocks[key] = None
            if self.clocks[key] is None:
                field = "assigned_on" if "assigned_on" in raw and raw["assigned_on"][i].as_py() else "received_on"
                v.reject_row(i, field, raw[field][i].as_py(), _(
                    "no legal time limit is recorded for this date (the time limits table starts later); "
                    "cases received before it cannot be imported"), "invalid")
                continue
            clean["division"] = division
            clean["respondent"] = respondent[0] if respondent else None
            clean["assigned_on"] = assigned
            self.rows[i] = clean

    # ------------------------------------------------------------------ writing
    def insert(self, data, rows, v, progress) -> None:
        idx = [int(i) for i in np.flatnonzero(rows)]
        n = len(idx)
        if progress:
            progress("write", 0, n)
        rows_ = [self.rows[i] for i in idx]
        taken = self._imported([r["external_id"] for r in rows_])
        if taken:  # imported by another import since the rows were checked
            raise ImportFileError(_("%(n)d rows were imported by another import meanwhile (e.g. %(id)s); "
                                    "import the file again to see them as errors.")
                                  % {"n": len(taken), "id": next(iter(taken))}, code="exists")
        tickets = self._tickets(rows_)
        # Rows go in ticket order: the ticket's unique index then grows at its right edge
        # (as the registry importers insert in natural-key order); ids follow that order.
        order = sorted(range(n), key=tickets.__getitem__)
        rows_ = [rows_[j] for j in order]
        tickets = [tickets[j] for j in order]
        now = timezone.now()
        per_field: dict[str, list] = {name: [] for name in (
            "ticket", "kind", "external_id", "received_on", "real_name", "respondent_name", "respondent_uscc",
            "respondent_address", "respondent_id", "respondent_match", "division_id", "product", "facts",
            "request", "amount_claimed", "assigned_on", "accept_due", "clue_due", "next_due", "next_due_kind")}
        for r, ticket in zip(rows_, tickets):
            proto = self.clocks[(r["kind"], r["assigned_on"])]
            per_field["ticket"].append(ticket)
            for f in ("kind", "external_id", "received_on", "real_name", "respondent_name", "respondent_uscc",
                      "respondent_address", "product", "facts", "request", "assigned_on"):
                per_field[f].append(r[f])
            per_field["respondent_id"].append(r["respondent"])
            per_field["respondent_match"].append(Case.Match.USCC if r["respondent"] else Case.Match.UNMATCHED)
            per_field["division_id"].append(r["division"])
            per_field["amount_claimed"].append(None if r["amount_claimed"] is None else str(r["amount_claimed"]))
            for f in ("accept_due", "clue_due", "next_due", "next_due_kind"):
                per_field[f].append(getattr(proto, f))
        types = {"received_on": pa.date32(), "assigned_on": pa.date32(), "accept_due": pa.date32(),
                 "clue_due": pa.date32(), "next_due": pa.date32(), "real_name": pa.bool_(),
                 "respondent_id": pa.int64()}
        constants = {"channel": Channel.PLATFORM_12315, "code_hash": "", "status": Case.Status.RECEIVED,
                     "created": now, "last_updated": now}
        fields, values = [], []
        for f in Case._meta.concrete_fields:
            if f.primary_key:
                continue
            fields.append(f)
            if f.attname in per_field:
                values.append(pa.array(per_field[f.attname], types.get(f.attname, pa.string())))
            elif f.name in constants:
                values.append(constants[f.name])
            else:
                values.append(f.get_default())
        before = max_pk(Case)
        bulk_insert(Case, fields, values, n,
                    progress=(lambda done: progress("write", done, n)) if progress else None)
        pk_of = dict(Case._base_manager.filter(pk__gt=before).values_list("ticket", "pk"))
        case_ids = [pk_of[t] for t in tickets]
        # Personal data, stored once.
        cfields = [Complainant._meta.get_field(f) for f in ("case", "name", "phone", "id_number", "address",
                                                            "email")]
        person = [r["person"] for r in rows_]
        bulk_insert(Complainant, cfields, [pa.array(case_ids, pa.int64())] + [
            pa.array([p[f] for p in person], pa.string()) for f in ("name", "phone", "id_number", "address",
                                                                     "email")], n)
        # Two events per case, as receive() writes them.
        actor = self.user.pk if self.user is not None and self.user.is_authenticated else None
        efields = [CaseEvent._meta.get_field(f) for f in ("case", "type", "date", "user", "parameters")]
        ev_case, ev_type, ev_params = [], [], []
        for cid, r, ticket in zip(case_ids, rows_, tickets):
            ev_case += [cid, cid]
            ev_type += [CaseEvent.Type.RECEIVED, CaseEvent.Type.ROUTED]
            ev_params.append(json.dumps({"channel": Channel.PLATFORM_12315, "ticket": ticket,
                                         "external_id": r["external_id"]}, ensure_ascii=False))
            ev_params.append(json.dumps({"division": r["division"], "respondent_match":
                                         Case.Match.USCC if r["respondent"] else Case.Match.UNMATCHED,
                                         "respondent": r["respondent"]}, ensure_ascii=False))
        bulk_insert(CaseEvent, efields, [pa.array(ev_case, pa.int64()), pa.array(ev_type, pa.string()), now,
                                         actor, pa.array(ev_params, pa.string())], 2 * n)

    def _tickets(self, rows: list[dict]) -> list[str]:
        """One new ticket per row: unique among themselves and against the database."""
        tickets = [services.new_ticket(r["kind"], r["received_on"]) for r in rows]
        for _attempt in range(10):
            counts = Counter(tickets)
            clash = {t for t, c in counts.items() if c > 1}
            for chunk in _chunks(sorted(counts), CHUNK):
                clash.update(Case._base_manager.filter(ticket__in=chunk).values_list("ticket", flat=True))
            if not clash:
                return tickets
            used = set(tickets)
            for j, t in enumerate(tickets):
                if t in clash:
                    new = services.new_ticket(rows[j]["kind"], rows[j]["received_on"])
                    while new in used:
                        new = services.new_ticket(rows[j]["kind"], rows[j]["received_on"])
                    used.add(new)
                    tickets[j] = new
        raise ImportFileError(_("Could not allocate ticket numbers; try again."), code="file")

    # ------------------------------------------------------------------ after the import
    def run(self, path, file_name=None, *, encoding=None, progress=None, job_id=None):
        result = super().run(path, file_name, encoding=encoding, progress=progress, job_id=job_id)
        result.ignored_headers = list(self.ignored_headers)
        result.classified = 0
        if result.ok and result.created and getattr(settings, "ZHIJIAN_COMPLAINT_IMPORT_CLASSIFY", True):
            result.classified = classify_range(result.first_id, result.last_id, progress=progress)
        return result


def classify_range(first_id: int, last_id: int, *, progress=None, batch: int = CLASSIFY_BATCH) -> int:
    """Suggest category and hazard labels for the cases ``first_id``…``last_id`` (not yet labelled).

    Runs after the import has committed: a label is a suggestion an officer confirms, so a
    classifier that is missing or fails leaves the imported cases unlabelled, never unimported.
    Returns the number of cases classified (0 when no classifier is installed).
    """
    label_fields = ["category", "category_confidence", "category_group", "category_level",
                    "hazard", "hazard_confidence"]
    qs = (Case._base_manager.filter(pk__gte=first_id, pk__lte=last_id, labels_confirmed=False,
                                    category__isnull=True, hazard="")
          .only("id", "kind", "product", "facts", "request", *label_fields).order_by("pk"))
    total = qs.count()
    done = 0
    last = first_id - 1
    while True:
        cases = list(qs.filter(pk__gt=last)[:batch])
        if not cases:
            return done
        try:
            services.classify(cases)  # stores the suggestions (bulk update, no audit entry per row)
        except ImportError:
            return done
        done += len(cases)
        last = cases[-1].pk
        if progress:
            progress("write", done, total)  # the job page shows "writing" (labels are written)


IMPORTERS = {"complaints": ComplaintImporter}

