"""Exchange files with the provincial credit platform (format: ``docs/credit-exchange.md``).

Export: grades, list memberships and penalty publications that changed since the
last export, as three CSV files + ``manifest.json`` (+ its Ed25519 signature and
the JSON schemas), in a directory under ``VAR_DIR/exchange/`` and as a zip of it.
A row "changed" in the window ``(since, until]`` when it was created or updated
in it, when a date made it enter or leave publication in it (a penalty's
publication started or ended, a listing started or ended), or when it was
deleted in it (found in the audit chain). Rows that left publication are
exported with ``action = remove`` so that the platform takes them down.

Import: records of other agencies, through the core import framework
(``credit.importers.ExternalCreditRecordImporter``).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone

from zhijian.accounts import audit
from zhijian.accounts.models import AuditEntry
from zhijian.registry.models import Enterprise

from . import agency
from .models import EnterpriseListing, ExchangeExport, Grade, PenaltyPublication
from .publication import active_listing_q, published_penalties_q

FORMAT_VERSION = "1"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
CHUNK = 5000

GRADE_COLUMNS = ["record_id", "uscc", "name", "grade", "score", "risk_class", "method_version",
                 "as_of", "computed_at"]
LISTING_COLUMNS = ["record_id", "action", "status", "uscc", "name", "list", "start", "planned_end",
                   "end", "removal", "reason", "legal_basis", "last_updated"]
PENALTY_COLUMNS = ["record_id", "action", "status", "uscc", "name", "decision_number", "decision_date",
                   "authority", "severity", "sector", "violation", "penalty", "legal_basis",
                   "published_on", "publish_until", "withdrawn_on", "withdrawal_reason", "last_updated"]
FILES = {"grades.csv": GRADE_COLUMNS, "listings.csv": LISTING_COLUMNS, "penalties.csv": PENALTY_COLUMNS}
SCHEMAS = ("manifest.schema.json", "grades.schema.json", "listings.schema.json",
           "penalties.schema.json", "external_records.schema.json")


def exchange_dir() -> Path:
    return Path(settings.VAR_DIR) / "exchange"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _CsvFile:
    """A CSV file (UTF-8, no BOM, RFC 4180, CRLF) with its header, counting rows and hashing bytes."""

    def __init__(self, path: Path, columns: list[str]):
        self.path = path
        self.columns = columns
        self.fh = open(path, "w", encoding="utf-8", newline="")
        self.writer = csv.writer(self.fh, lineterminator="\r\n")
        self.writer.writerow(columns)
        self.rows = 0

    def write(self, row: dict) -> None:
        self.writer.writerow([_text(row.get(c)) for c in self.columns])
        self.rows += 1

    def close(self) -> None:
        self.fh.close()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------- which rows


def _queryset(model, user):
    return model.objects.restrict(user, "view") if user is not None else model._base_manager.all()


def _window(field: str, since, until) -> Q:
    q = Q(**{f"{field}__lte": until})
    return q & Q(**{f"{field}__gt": since}) if since is not None else q


def _date_window(field: str, since, until) -> Q:
    """``field`` (a date) passed in the window: after since's day, up to until's day."""
    q = Q(**{f"{field}__lte": timezone.localdate(until)})
    if since is not None:
        q &= Q(**{f"{field}__gt": timezone.localdate(since)})
    return q


def _deleted(model, since, until) -> list[AuditEntry]:
    """Rows of ``model`` deleted in the window, from the audit chain."""
    if since is None:
        return []
    opts = model._meta
    return list(AuditEntry.objects.filter(action="delete", object_type=f"{opts.app_label}.{opts.model_name}",
                                          time__gt=since, time__lte=until).order_by("seq"))


def _usccs(enterprise_ids) -> dict[int, tuple[str, str]]:
    ids = [i for i in set(enterprise_ids) if i is not None]
    found = {}
    for k in range(0, len(ids), 900):
        for pk, uscc, name in Enterprise._base_manager.filter(pk__in=ids[k:k + 900]).values_list(
                "pk", "uscc", "name"):
            found[pk] = (uscc, name)
    return found


def write_grades(out: _CsvFile, user, since, until) -> None:
    """Grades of published methods computed in the window (the newest per USCC is current)."""
    qs = (_queryset(Grade, user).filter(_window("computed_at", since, until), method__published=True)
          .order_by("computed_at", "id")
          .values_list("id", "enterprise__uscc", "enterprise__name", "grade", "score", "risk_class",
                       "method__version", "as_of", "computed_at"))
    for row in qs.iterator(chunk_size=CHUNK):
        out.write(dict(zip(GRADE_COLUMNS, row)))


def _flag(q: Q):
    """A boolean column: whether the row satisfies ``q`` (the definitions of ``publication``)."""
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def write_listings(out: _CsvFile, user, since, until) -> None:
    on = timezone.localdate(until)
    changed = Q()
    if since is not None:
        changed = (_window("last_updated", since, until) | _date_window("start", since, until)
                   | _date_window("end", since, until))
    qs = (_queryset(EnterpriseListing, user).filter(changed, start__lte=on)
          .annotate(in_force=_flag(active_listing_q(on)))
          .select_related("enterprise").order_by("last_updated", "id"))
    for x in qs.iterator(chunk_size=CHUNK):
        status = "in_force" if x.in_force else "removed"
        out.write({"record_id": x.pk, "action": "publish" if x.in_force else "remove",
                   "status": status, "uscc": x.enterprise.uscc, "name": x.enterprise.name,
                   "list": x.kind, "start": x.start, "planned_end": x.planned_end, "end": x.end,
                   "removal": x.removal, "reason": x.reason, "legal_basis": x.legal_basis,
                   "last_updated": x.last_updated})
    _write_deleted(out, EnterpriseListing, since, until, {"list": "kind", "start": "start"})


def penalty_status(p) -> str:
    if p.is_published:
        return "published"
    return "withdrawn" if p.withdrawn_on is not None else "expired"


def write_penalties(out: _CsvFile, user, since, until) -> None:
    """Penalty publications that were ever published (drafts never leave) and changed."""
    on = timezone.localdate(until)
    qs = _queryset(PenaltyPublication, user).filter(published_on__isnull=False, published_on__lte=on)
    if since is not None:
        # publish_until + 1 day is the first day off publication
        expired = Q(publish_until__gte=timezone.localdate(since), publish_until__lt=on)
        qs = qs.filter(_window("last_updated", since, until) | _date_window("published_on", since, until)
                       | expired)
    qs = (qs.annotate(is_published=_flag(published_penalties_q(on)))
          .select_related("enterprise").order_by("last_updated", "id"))
    for p in qs.iterator(chunk_size=CHUNK):
        status = penalty_status(p)
        out.write({"record_id": p.pk, "action": "publish" if p.is_published else "remove",
                   "status": status, "uscc": p.enterprise.uscc, "name": p.enterprise.name,
                   "decision_number": p.decision_number, "decision_date": p.decision_date,
                   "authority": p.authority, "severity": p.severity, "sector": p.sector,
                   "violation": p.violation, "penalty": p.penalty, "legal_basis": p.legal_basis,
                   "published_on": p.published_on, "publish_until": p.publish_until,
                   "withdrawn_on": p.withdrawn_on, "withdrawal_reason": p.withdrawal_reason,
                   "last_updated": p.last_updated})
    _write_deleted(out, PenaltyPublication, since, until, {"decision_number": "decision_number"})


def _write_deleted(out: _CsvFile, model, since, until, keep: dict) -> None:
    entries = _deleted(model, since, until)
    names = _usccs([(e.prechange or {}).get("enterprise_id") for e in entries])
    for e in entries:
        pre = e.prechange or {}
        uscc, name = names.get(pre.get("enterprise_id"), ("", ""))
        row = {"record_id": e.object_id, "action": "remove", "status": "deleted", "uscc": uscc,
               "name": name, "last_updated": e.time}
        row.update({col: pre.get(attr, "") for col, attr in keep.items()})
        out.write(row)


# --------------------------------------------------------------------------- the export


@dataclass
class ExportResult:
    export: ExchangeExport
    directory: Path
    archive: Path
    manifest: dict


def last_export() -> ExchangeExport | None:
    return ExchangeExport.objects.order_by("-until", "-id").first()


def export(since: dt.datetime | None = None, *, full: bool = False, user=None,
           until: dt.datetime | None = None) -> ExportResult:
    """Write an export of the changes in ``(since, until]`` and record it.

    ``since`` defaults to the end of the last export (incremental); ``full`` exports
    everything (``since`` = none). ``user``: rows are read within the user's scope
    (the command line reads province-wide).
    """
    until = until or timezone.now()
    if full:
        since = None
    elif since is None:
        previous = last_export()
        since = previous.until if previous is not None else None
    if since is not None and since >= until:
        raise ValueError("since must be before until")
    stamp = until.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = exchange_dir()
    base.mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        record = ExchangeExport.objects.create(since=since, until=until, user=user, path="")
        directory = base / f"{stamp}-{record.pk}"
        tmp = base / f".{directory.name}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            counts, hashes = {}, {}
            for name, columns, writer in (("grades.csv", GRADE_COLUMNS, write_grades),
                                          ("listings.csv", LISTING_COLUMNS, write_listings),
                                          ("penalties.csv", PENALTY_COLUMNS, write_penalties)):
                out = _CsvFile(tmp / name, columns)
                try:
                    writer(out, user, since, until)
                finally:
                    out.close()
                counts[name.removesuffix(".csv")] = out.rows
                hashes[name] = file_sha256(tmp / name)
            (tmp / "schemas").mkdir()
            for schema in SCHEMAS:
                shutil.copyfile(SCHEMA_DIR / schema, tmp / "schemas" / schema)
                hashes[f"schemas/{schema}"] = file_sha256(tmp / "schemas" / schema)
            manifest = {
                "format": "zhijian-credit-exchange",
                "format_version": FORMAT_VERSION,
                "export_id": record.pk,
                "province": settings.ZHIJIAN_PROVINCE_CODE,
                "since": _text(since) or None,
                "until": _text(until),
                "full": since is None,
                "created_at": _text(timezone.now()),
                "files": {name: {"sha256": hashes[name],
                                 **({"rows": counts[name.removesuffix(".csv")],
                                     "columns": FILES[name]} if name in FILES else {})}
                          for name in hashes},
                "counts": counts,
                "signature": {"algorithm": agency.ALGORITHM, "key_id": agency.key_id(),
                              "file": "manifest.json.sig",
                              "public_key_url": "/api/credit/agency/public-key/"},
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            (tmp / "manifest.json").write_bytes(body)
            (tmp / "manifest.json.sig").write_text(agency.sign(body) + "\n")
            os.replace(tmp, directory)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        archive = directory.with_suffix(".zip")
        try:
            _zip(directory, archive)
            record.path = str(directory)
            record.sha256 = file_sha256(archive)
            record.counts = counts
            record.save(update_fields=["path", "sha256", "counts"])
            audit.append("create", object_type="credit.exchangeexport", object_id=record.pk,
                         object_repr=directory.name,
                         postchange={"since": _text(since) or None, "until": _text(until),
                                     "counts": counts, "zip_sha256": record.sha256,
                                     "manifest_sha256": hashlib.sha256(body).hexdigest(),
                                     "path": str(directory)})
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            archive.unlink(missing_ok=True)
            raise
    return ExportResult(record, directory, archive, manifest)


def _zip(directory: Path, archive: Path) -> None:
    tmp = archive.with_name(f".{archive.name}.partial")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                zf.write(path, f"{directory.name}/{path.relative_to(directory).as_posix()}")
    os.replace(tmp, archive)


def archive_path(record: ExchangeExport) -> Path | None:
    """The zip of an export, if its files are still there."""
    if not record.path:
        return None
    path = Path(record.path).with_suffix(".zip")
    return path if path.is_file() else None


def export_file(record: ExchangeExport, name: str) -> Path | None:
    """One file of an export by its name in the manifest (never a path outside the export)."""
    if not record.path or name not in {*FILES, "manifest.json", "manifest.json.sig",
                                       *(f"schemas/{s}" for s in SCHEMAS)}:
        return None
    path = Path(record.path) / name
    return path if path.is_file() else None


# --------------------------------------------------------------------------- import


def import_records(path, *, user=None, encoding: str | None = None, source: str = "cli", progress=None):
    """Import a file of other agencies' records (upsert, all rows or none): ``(job, result)``."""
    from zhijian.core.jobs import create_job, process_job

    from .importers import DEFAULT_MODE, ExternalCreditRecordImporter

    job = create_job(ExternalCreditRecordImporter.name, path, user=user, mode=DEFAULT_MODE, source=source,
                     encoding=encoding or "")
    result = process_job(job.pk, progress=progress)
    job.refresh_from_db()
    return job, result
