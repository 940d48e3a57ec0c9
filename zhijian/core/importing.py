"""A generic import framework: CSV / Excel files in, validated rows out, all or nothing.

The pieces, in the order an import runs:

1. :func:`read_table` reads a CSV file (UTF-8, UTF-8 with BOM or GBK / GB18030,
   detected; an undecodable file is an :class:`ImportFileError` naming the line)
   or an ``.xlsx`` workbook (first sheet, openpyxl read-only) into columns of
   strings, each data row carrying the row number a user sees in Excel
   (header = row 1). CSV is parsed with ``pyarrow.csv`` (multi-threaded C++);
   files whose rows do not all have the header's number of cells are re-read
   with Python's ``csv`` module so every such row is reported exactly.
2. :func:`map_headers` maps the header to the importer's column keys: the
   English key (``uscc``), the Chinese header (``统一社会信用代码``), listed
   aliases, or the export form ``统一社会信用代码 (uscc)``; full-width and
   half-width forms are equal (NFKC). Missing required columns and unknown
   columns are one file-level error listing them and the expected columns.
3. Each :class:`Column` validates its whole column at once (Arrow compute and
   numpy, no per-row Python on the happy path) and reports each bad value as a
   :class:`RowError` ``(row, field, value, reason, code)``.
4. The :class:`Importer` adds cross-field checks, duplicates inside the file
   and against the database (by natural key), and the importing user's scope
   (a row outside it is a row error).
5. If any row is bad nothing is written. Otherwise, inside one transaction
   that locks the table (PostgreSQL ``LOCK TABLE``; SQLite's ``BEGIN
   IMMEDIATE``), new rows are inserted in large batches (PostgreSQL ``COPY``,
   SQLite ``executemany``, other engines ``bulk_create``), existing rows are
   updated (``--mode upsert``) through the ORM so that each update is audited
   with its before values, and one ``import`` entry is appended to the audit
   chain. Bulk inserts bypass the per-row save signals on purpose: the import
   entry (file SHA-256, row count, id range) stands for the created rows.

Nothing here knows the registry: apps declare importers in ``<app>/importers.py``
(``IMPORTERS = {"enterprises": EnterpriseImporter, ...}``), found by
:func:`importers`.
"""
from __future__ import annotations

import csv
import datetime
import decimal
import hashlib
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.registry import uscc as gb32100

from .scope import ROLE_ENTERPRISE, ROLE_HOSPITAL, ROLE_LAB, province_prefix, scope_for

MODE_CREATE = "create"
MODE_UPSERT = "upsert"
MODES = (MODE_CREATE, MODE_UPSERT)

UTF8_BOM = b"\xef\xbb\xbf"
WRITE_BATCH = 50_000
SQLITE_CACHE_KIB = 512 * 1024  # page cache for large SQLite imports (KiB)
# Characters that make spreadsheet programs evaluate a cell; exported text cells starting
# with one are prefixed with "'" (and the importer removes that prefix again).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

ProgressCallback = Callable[[str, int, int], None]  # (phase, done, total)


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class RowError:
    """One bad value: ``row`` is the row number in Excel (header = 1), ``field`` the column key."""

    row: int
    field: str
    value: str
    reason: str
    code: str = "invalid"

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "value": self.value,
                "reason": self.reason, "code": self.code}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (encoding, format, header)."""

    def __init__(self, message: str, *, code: str = "file", line: int | None = None,
                 missing: Iterable[str] = (), unknown: Iterable[str] = (),
                 expected: Iterable[str] = ()):
        super().__init__(message)
        self.message = message
        self.code = code
        self.line = line
        self.missing = list(missing)
        self.unknown = list(unknown)
        self.expected = list(expected)

    def as_row_error(self) -> RowError:
        return RowError(self.line or 1, "", "", self.message, self.code)


# --------------------------------------------------------------------------- reading


@dataclass
class RawTable:
    """The cells of a file as strings; ``rownums[i]`` is the Excel row of data row ``i``."""

    headers: list[str]
    columns: list[pa.Array]
    rownums: np.ndarray
    encoding: str = ""
    structural_errors: list[RowError] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.rownums)


def _line_of(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def _decode_error(data: bytes, exc: UnicodeDecodeError, label: str) -> str:
    line = _line_of(data, exc.start)
    bad = data[exc.start:exc.start + 2].hex(" ")
    return _("line %(line)d is not valid %(encoding)s (bytes %(bytes)s)") % {
        "line": line, "encoding": label, "bytes": bad}


ENCODING_ALIASES = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf8-sig": "utf-8-sig",
    # GB18030 is a superset of GBK and GB2312: a GBK file always decodes as GB18030.
    "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030", "cp936": "gb18030",
}


def decode_bytes(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode a CSV file: ``(text, encoding)``; an undecodable file names its line."""
    if encoding:
        enc = ENCODING_ALIASES.get(encoding.lower().replace("_", "-"))
        if enc is None:
            raise ImportFileError(_("Unsupported encoding %(enc)s; use UTF-8 or GBK.") % {"enc": encoding},
                                  code="encoding")
        if enc == "utf-8" and data.startswith(UTF8_BOM):
            enc = "utf-8-sig"
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            line = _line_of(data, exc.start)
            raise ImportFileError(
                _("The file cannot be read as %(enc)s: %(detail)s. Save it as UTF-8 or GBK, or "
                  "choose the right encoding.") % {"enc": encoding.upper(), "detail": _decode_error(data, exc, encoding.upper())},
                code="encoding", line=line) from exc
    if data.startswith(UTF8_BOM):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("The file starts with a UTF-8 byte-order mark but %(detail)s.")
                % {"detail": _decode_error(data, exc, "UTF-8")},
                code="encoding", line=_line_of(data, exc.start)) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_exc:
        first_line = data.split(b"\n", 1)[0]
        try:
            header_utf8 = first_line.decode("utf-8")
        except UnicodeDecodeError:
            header_utf8 = None
        if header_utf8 is not None and not header_utf8.isascii():
            # A UTF-8 header with a broken line further down: not a GBK file.
            raise ImportFileError(
                _("The file is UTF-8 but %(detail)s. Fix or re-save that line as UTF-8.")
                % {"detail": _decode_error(data, utf8_exc, "UTF-8")},
                code="encoding", line=_line_of(data, utf8_exc.start)) from utf8_exc
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as gb_exc:
            raise ImportFileError(
                _("The file is neither UTF-8 (%(utf8)s) nor GBK/GB18030 (%(gbk)s).") % {
                    "utf8": _decode_error(data, utf8_exc, "UTF-8"),
                    "gbk": _decode_error(data, gb_exc, "GBK/GB18030")},
                code="encoding", line=_line_of(data, max(utf8_exc.start, gb_exc.start))) from gb_exc


def _is_xlsx(path: Path, name: str) -> bool:
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return True
    if suffix == ".xls":
        raise ImportFileError(_("Old Excel .xls files are not supported: save the sheet as .xlsx "
                                "or CSV."), code="format")
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def read_table(path, name: str | None = None, encoding: str | None = None) -> RawTable:
    """Read a CSV or .xlsx file into a :class:`RawTable` (all cells as strings)."""
    path = Path(path)
    name = name or path.name
    if _is_xlsx(path, name):
        return read_xlsx(path)
    data = path.read_bytes()
    if not data.strip():
        raise ImportFileError(_("The file is empty."), code="empty")
    text, enc = decode_bytes(data, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    if enc == "utf-8":
        raw = data
    elif enc == "utf-8-sig":
        raw = data[len(UTF8_BOM):]
    else:
        raw = text.encode("utf-8")
    table = read_csv_text(text, raw)
    table.encoding = enc
    return table


def _delimiter(first_line: str) -> str:
    if "\t" in first_line and "," not in first_line:
        return "\t"
    return ","


def read_csv_text(text: str, raw: bytes | None = None) -> RawTable:
    """Parse CSV text; ``raw`` is the same text as UTF-8 bytes (spares one encode)."""
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delim = _delimiter(first_line)
    headers = next(csv.reader([first_line], delimiter=delim), [])
    if not any(h.strip() for h in headers):
        raise ImportFileError(_("The first row must be the column headers; it is empty."),
                              code="header", line=1)
    ncols = len(headers)
    raw = raw if raw is not None else text.encode("utf-8")
    invalid = []

    def on_invalid(row):
        invalid.append(row)
        return "skip"

    names = [f"c{i}" for i in range(ncols)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delim, ignore_empty_lines=False,
                                             newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        invalid.append(None)
        table = None
    if invalid or table is None:
        # Ragged rows: re-read with the csv module, which knows each row's number.
        return _read_csv_python(text, delim, headers)
    columns = [table.column(i).combine_chunks() for i in range(ncols)]
    rownums = np.arange(2, table.num_rows + 2, dtype=np.int64)
    return RawTable(headers=headers, columns=columns, rownums=rownums)


def _read_csv_python(text: str, delim: str, headers: list[str]) -> RawTable:
    ncols = len(headers)
    cells: list[list[str]] = [[] for _ in range(ncols)]
    rownums = []
    errors = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    next(reader, None)
    for rownum, rec in enumerate(reader, start=2):
        if len(rec) != ncols:
            if len(rec) > ncols and not any(c.strip() for c in rec[ncols:]):
                rec = rec[:ncols]
            elif not any(c.strip() for c in rec):
                continue
            else:
                errors.append(RowError(rownum, "", "", _(
                    "the row has %(found)d cells, the header has %(expected)d (check for a "
                    "missing or extra separator or quote)") % {"found": len(rec), "expected": ncols},
                    "cells"))
                continue
        for i, c in enumerate(rec):
            cells[i].append(c)
        rownums.append(rownum)
    return RawTable(headers=headers, columns=[pa.array(c, pa.string()) for c in cells],
                    rownums=np.array(rownums, dtype=np.int64), structural_errors=errors)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def read_xlsx(path: Path) -> RawTable:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("The file is not a valid Excel .xlsx workbook (%(err)s).")
                              % {"err": exc}, code="format") from exc
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None or not any(_cell_text(c).strip() for c in header_row):
            raise ImportFileError(_("The first row must be the column headers; it is empty."),
                                  code="header", line=1)
        headers = [_cell_text(c) for c in header_row]
        while headers and not headers[-1].strip():
            headers.pop()
        ncols = len(headers)
        cells: list[list[str]] = [[] for _ in range(ncols)]
        rownums = []
        errors = []
        for rownum, rec in enumerate(rows, start=2):
            values = [_cell_text(c) for c in rec]
            if len(values) > ncols:
                if any(v.strip() for v in values[ncols:]):
                    errors.append(RowError(rownum, "", "", _(
                        "the row has values right of the last column with a header"), "cells"))
                    continue
                values = values[:ncols]
            values += [""] * (ncols - len(values))
            for i, v in enumerate(values):
                cells[i].append(v)
            rownums.append(rownum)
    finally:
        wb.close()
    return RawTable(headers=headers, columns=[pa.array(c, pa.string()) for c in cells],
                    rownums=np.array(rownums, dtype=np.int64), encoding="xlsx",
                    structural_errors=errors)


# --------------------------------------------------------------------------- header mapping


def normalize_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").replace("\u200b", "")
    return " ".join(text.split()).lower()


_COMPOSITE = re.compile(r"^(?P<label>.*?)\s*[(\[](?P<key>[a-z][a-z0-9_]*)[)\]]$")


def map_headers(headers: list[str], columns: list["Column"], ignore=()) -> dict[str, int]:
    """``{column key: index in the file}``; raises :class:`ImportFileError` listing problems."""
    by_name: dict[str, Column] = {}
    by_key = {c.key: c for c in columns}
    for col in columns:
        for name in col.header_names():
            by_name.setdefault(normalize_header(name), col)
    mapping: dict[str, int] = {}
    unknown: list[str] = []
    duplicate: list[str] = []
    for i, header in enumerate(headers):
        if i in ignore:
            continue
        norm = normalize_header(header)
        if not norm:
            unknown.append(_("(column %(n)d, no header)") % {"n": i + 1})
            continue
        col = by_name.get(norm)
        if col is None:
            m = _COMPOSITE.match(norm)
            if m and m.group("key") in by_key:
                col = by_key[m.group("key")]
        if col is None:
            unknown.append(header.strip())
            continue
        if col.key in mapping:
            duplicate.append(f"{headers[mapping[col.key]].strip()} / {header.strip()} → {col.key}")
            continue
        mapping[col.key] = i
    missing = [c for c in columns if c.required and c.key not in mapping]
    if unknown or missing or duplicate:
        expected = [c.describe() for c in columns]
        parts = []
        if missing:
            parts.append(_("missing required columns: %(cols)s")
                         % {"cols": ", ".join(c.describe() for c in missing)})
        if unknown:
            parts.append(_("unknown columns: %(cols)s") % {"cols": ", ".join(unknown)})
        if duplicate:
            parts.append(_("columns given twice: %(cols)s") % {"cols": "; ".join(duplicate)})
        message = _("The header row does not match: %(problems)s. Expected columns: %(expected)s.") % {
            "problems": "; ".join(parts), "expected": ", ".join(expected)}
        raise ImportFileError(message, code="header", line=1, missing=[c.key for c in missing],
                              unknown=unknown, expected=[c.key for c in columns])
    return mapping


# --------------------------------------------------------------------------- validation


def _np_bool(arr) -> np.ndarray:
    """A boolean Arrow array (nulls = False) as numpy."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


class Validation:
    """Collects row errors while columns are checked; ``bad[i]``: data row ``i`` has an error."""

    def __init__(self, rownums: np.ndarray, user=None, mode: str = MODE_CREATE):
        self.rownums = rownums
        self.n = len(rownums)
        self.errors: list[RowError] = []
        self.bad = np.zeros(self.n, dtype=bool)
        self.user = user
        self.mode = mode
        self.extras: dict[str, dict[str, pa.Array]] = {}  # column key -> extra attribute -> values
        self.m2m: dict[str, list[list]] = {}  # column key -> per-row lists of related pks

    def reject(self, key: str, where, values, reason, code: str = "invalid") -> None:
        """Report ``values[i]`` for every row ``i`` in ``where`` (a bool mask or index list)."""
        idx = np.flatnonzero(where) if isinstance(where, np.ndarray) and where.dtype == bool \
            else np.asarray(list(where), dtype=np.int64)
        if not len(idx):
            return
        for i in idx:
            i = int(i)
            value = values[i]
            value = value.as_py() if isinstance(value, pa.Scalar) else value
            value = "" if value is None else str(value)
            text = reason(value) if callable(reason) else reason
            self.errors.append(RowError(int(self.rownums[i]), key, value, str(text), code))
        self.bad[idx] = True

    def reject_row(self, i: int, key: str, value, reason: str, code: str = "invalid") -> None:
        self.errors.append(RowError(int(self.rownums[i]), key, "" if value is None else str(value),
                                    str(reason), code))
        self.bad[i] = True


class Column:
    """One column of an import file (and of an export).

    ``key``: the canonical English key; ``header``: the Chinese header written in
    exports and templates; ``field``: the model field it fills (``None``: not stored).
    """

    kind = "text"

    def __init__(self, key: str, header: str, *, field: str | None = "", required: bool = False,
                 aliases: Iterable[str] = (), help: str = "", export: bool = True):
        self.key = key
        self.header = header
        self.field = key if field == "" else field
        self.required = required
        self.aliases = tuple(aliases)
        self.help = help
        self.export = export
        self.model = None  # set by Importer.__init_subclass__

    def __repr__(self):
        return f"<{type(self).__name__} {self.key}>"

    def header_names(self) -> list[str]:
        return [self.key, self.header, *self.aliases]

    def describe(self) -> str:
        return f"{self.header} ({self.key})"

    def export_header(self) -> str:
        return f"{self.header} ({self.key})"

    @property
    def model_field(self):
        return self.model._meta.get_field(self.field) if self.model and self.field else None

    # import -----------------------------------------------------------------
    def prepare(self, importer) -> None:
        """Load whatever the column needs (lookups) once per import."""

    def clean(self, values: pa.Array, v: Validation) -> pa.Array:
        """Validate a column of stripped strings; return DB-ready values (null = empty)."""
        return self.check_required(values, v)

    def check_required(self, values: pa.Array, v: Validation) -> pa.Array:
        if self.required:
            v.reject(self.key, _np_bool(pc.equal(values, "")), values, _("a value is required"),
                     "required")
        return values

    def empty_mask(self, values: pa.Array) -> np.ndarray:
        return _np_bool(pc.equal(values, ""))

    def python_value(self, value):
        """A cleaned value as the ORM wants it (for updates through ``save()``)."""
        return value

    # export -----------------------------------------------------------------
    def export_value(self, obj):
        value = getattr(obj, self.field)
        return "" if value is None else value


class Text(Column):
    def __init__(self, key, header, *, max_length: int | None = None, **kw):
        super().__init__(key, header, **kw)
        self._max_length = max_length

    @property
    def max_length(self):
        if self._max_length is not None:
            return self._max_length
        f = self.model_field
        return getattr(f, "max_length", None) if f is not None else None

    def clean(self, values, v):
        values = self.check_required(values, v)
        limit = self.max_length
        if limit:
            too_long = _np_bool(pc.greater(pc.utf8_length(values), limit))
            v.reject(self.key, too_long, values,
                     _("longer than %(n)d characters") % {"n": limit}, "too_long")
        return values

    def export_value(self, obj):
        value = getattr(obj, self.field)
        value = "" if value is None else str(value)
        return "'" + value if value.startswith(FORMULA_START) else value


class Choice(Column):
    """A choice field: the canonical value or any of its labels (case-insensitive)."""

    kind = "choice"

    def __init__(self, key, header, *, choices: dict[str, Iterable[str]], **kw):
        super().__init__(key, header, **kw)
        self.choices = {k: tuple(labels) for k, labels in choices.items()}
        lookup = {}
        for canonical, labels in self.choices.items():
            for label in (canonical, *labels):
                lookup[normalize_header(label)] = canonical
        self._keys = pa.array(list(lookup), pa.string())
        self._vals = pa.array(list(lookup.values()), pa.string())

    def allowed(self) -> str:
        return ", ".join(f"{k}/{'/'.join(labels)}" if labels else k for k, labels in self.choices.items())

    def default(self):
        f = self.model_field
        if f is not None and f.has_default():
            return f.get_default()
        return ""

    def clean(self, values, v):
        values = self.check_required(values, v)
        norm = pc.utf8_lower(values)
        idx = pc.index_in(norm, value_set=self._keys)
        unknown = _np_bool(pc.and_(pc.is_null(idx), pc.not_equal(values, "")))
        v.reject(self.key, unknown, values,
                 _("not one of the allowed values: %(allowed)s") % {"allowed": self.allowed()},
                 "choice")
        out = pc.take(self._vals, idx)
        return pc.fill_null(out, self.default())

    def export_value(self, obj):
        value = getattr(obj, self.field)
        labels = self.choices.get(value)
        return labels[0] if labels else (value or "")


_DATE_RE = (r"^(?P<y>\d{4})(?:[-/.]|年)(?P<m>\d{1,2})(?:[-/.]|月)(?P<d>\d{1,2})日?"
            r"(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$")
_DATE8_RE = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
_SERIAL_RE = r"^(?P<s>\d{5})(?:\.0+)?$"
EXCEL_EPOCH = np.datetime64("1899-12-30")


class Date(Column):
    """YYYY-MM-DD; also YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD and Excel date serials."""

    kind = "date"

    def clean(self, values, v):
        values = self.check_required(values, v)
        n = len(values)
        y = np.zeros(n, np.int64)
        m = np.zeros(n, np.int64)
        d = np.zeros(n, np.int64)
        matched = np.zeros(n, dtype=bool)
        for pattern in (_DATE_RE, _DATE8_RE):
            parts = pc.extract_regex(values, pattern)
            ok = _np_bool(pc.is_valid(parts)) & ~matched
            if ok.any():
                for name, target in (("y", y), ("m", m), ("d", d)):
                    col = pc.struct_field(parts, name)
                    nums = pc.cast(pc.if_else(pa.array(ok), col, "0"), pa.int64())
                    target[ok] = nums.to_numpy(zero_copy_only=False)[ok]
                matched |= ok
        result = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        valid = matched & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31) & (y >= 1800)
        if valid.any():
            months = ((y[valid] - 1970) * 12 + (m[valid] - 1)).astype("datetime64[M]")
            days = months.astype("datetime64[D]") + (d[valid] - 1)
            same_month = days.astype("datetime64[M]") == months
            idx = np.flatnonzero(valid)
            result[idx[same_month]] = days[same_month]
            valid[idx[~same_month]] = False
        serial = pc.extract_regex(values, _SERIAL_RE)
        s_ok = _np_bool(pc.is_valid(serial)) & ~matched
        if s_ok.any():
            nums = pc.cast(pc.if_else(pa.array(s_ok), pc.struct_field(serial, "s"), "0"), pa.int64())
            result[s_ok] = EXCEL_EPOCH + nums.to_numpy(zero_copy_only=False)[s_ok].astype("timedelta64[D]")
            valid |= s_ok
        empty = self.empty_mask(values)
        v.reject(self.key, ~valid & ~empty, values,
                 _("not a valid date (use YYYY-MM-DD)"), "date")
        return pa.array(result, type=pa.date32(), mask=~valid)

    def python_value(self, value):
        return value

    def export_value(self, obj):
        value = getattr(obj, self.field)
        return value.isoformat() if value else ""


class DecimalColumn(Column):
    kind = "decimal"

    def __init__(self, key, header, *, max_digits: int = 14, decimal_places: int = 2, **kw):
        super().__init__(key, header, **kw)
        self.max_digits = max_digits
        self.decimal_places = decimal_places

    def clean(self, values, v):
        values = self.check_required(values, v)
        plain = pc.replace_substring_regex(values, r"[,，\s]", "")
        whole = self.max_digits - self.decimal_places
        pattern = rf"^\d{{1,{whole}}}(?:\.\d{{0,{self.decimal_places}}}0*)?$"
        ok = _np_bool(pc.match_substring_regex(plain, pattern))
        empty = self.empty_mask(values)
        v.reject(self.key, ~ok & ~empty, values, _(
            "not a number ≥ 0 with at most %(whole)d digits before and %(places)d after the "
            "decimal point") % {"whole": whole, "places": self.decimal_places}, "number")
        return pc.if_else(pa.array(ok), plain, pa.scalar(None, pa.string()))

    def python_value(self, value):
        return None if value is None else decimal.Decimal(value)

    def export_value(self, obj):
        value = getattr(obj, self.field)
        return "" if value is None else format(value, "f")


class Integer(Column):
    kind = "integer"

    def __init__(self, key, header, *, min_value: int | None = None, max_value: int | None = None, **kw):
        super().__init__(key, header, **kw)
        self.min_value, self.max_value = min_value, max_value

    def clean(self, values, v):
        values = self.check_required(values, v)
        ok = _np_bool(pc.match_substring_regex(values, r"^-?\d{1,12}$"))
        nums = pc.cast(pc.if_else(pa.array(ok), values, "0"), pa.int64()).to_numpy()
        if self.min_value is not None:
            ok &= nums >= self.min_value
        if self.max_value is not None:
            ok &= nums <= self.max_value
        empty = self.empty_mask(values)
        v.reject(self.key, ~ok & ~empty, values, _("not a whole number in the allowed range"), "number")
        return pa.array(nums, pa.int64(), mask=~ok)


class Boolean(Column):
    kind = "boolean"
    TRUE = ("1", "true", "yes", "y", "是", "有", "√")
    FALSE = ("0", "false", "no", "n", "否", "无", "×")

    def clean(self, values, v):
        norm = pc.utf8_lower(values)
        is_true = _np_bool(pc.is_in(norm, value_set=pa.array(self.TRUE)))
        is_false = _np_bool(pc.is_in(norm, value_set=pa.array(self.FALSE)))
        empty = self.empty_mask(values)
        v.reject(self.key, ~(is_true | is_false | empty), values, _("not yes/no (是/否)"), "boolean")
        return pa.array(is_true)

    def export_value(self, obj):
        return "是" if getattr(obj, self.field) else "否"


class Uscc(Column):
    """统一社会信用代码 (GB 32100-2015), checked column-wise by the standard's rules.

    The whole column is checked at once with numpy (charset, registration-authority /
    category pair, division digits, the GB 11714 organisation-code check, the final
    check character); the few rows that fail get their reason from the one validator,
    ``registry.uscc.parse``, which names the wrong part.

    A code that fails GB 32100 but has 18 characters of the charset is accepted when a
    registered enterprise carries it as a legacy code (``Enterprise.uscc_legacy``), so
    rows about such an enterprise import like any other. ``legacy_decided_by_importer``:
    leave such codes to the importer instead (the enterprise importer, whose rows carry
    the legacy flag and reason): their reasons go to ``v.extras[key]["gb32100"]``.
    """

    kind = "uscc"
    # the standard's data, from the one validator (a plain module: no models, no registry app)
    ALPHABET = gb32100.CHARSET
    WEIGHTS = np.array(gb32100.WEIGHTS, np.int64)
    ORG_WEIGHTS = np.array(gb32100.ORG_WEIGHTS, np.int64)
    _LUT = np.full(256, -1, np.int64)
    for _i, _c in enumerate(ALPHABET):
        _LUT[ord(_c)] = _i
    # GB 11714 character values: 0-9 -> 0-9, A-Z -> 10-35.
    _ORG_LUT = np.full(256, -1, np.int64)
    for _i in range(36):
        _ORG_LUT[ord("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[_i])] = _i
    del _i, _c

    def __init__(self, key, header, *, legacy_decided_by_importer: bool = False, **kw):
        super().__init__(key, header, **kw)
        self.legacy_decided_by_importer = legacy_decided_by_importer

    @classmethod
    def compact(cls, values: pa.Array) -> pa.Array:
        # registry.uscc.compact: drop spaces and hyphens, upper-case.
        return pc.utf8_upper(pc.replace_substring_regex(values, r"[ \-]", ""))

    @classmethod
    def _pairs(cls) -> np.ndarray:
        """A (31, 31) table: is (authority, category) a pair of GB 32100?"""
        table = np.zeros((len(cls.ALPHABET), len(cls.ALPHABET)), dtype=bool)
        for authority, (_name, categories) in gb32100.AUTHORITIES.items():
            for category in categories:
                table[cls.ALPHABET.index(authority), cls.ALPHABET.index(category)] = True
        return table

    @classmethod
    def valid_mask(cls, codes: pa.Array) -> np.ndarray:
        """Vectorised ``registry.uscc.is_valid`` for already compacted codes."""
        codes = codes.combine_chunks() if isinstance(codes, pa.ChunkedArray) else codes
        n = len(codes)
        ok = _np_bool(pc.and_(pc.equal(pc.binary_length(codes), 18), pc.string_is_ascii(codes)))
        idx = np.flatnonzero(ok)
        if not len(idx):
            return ok
        sub = pc.take(codes, pa.array(idx))
        offsets = np.frombuffer(sub.buffers()[1], dtype=np.int32)[sub.offset:sub.offset + len(sub) + 1]
        raw = np.frombuffer(sub.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[0] + 18 * len(sub)]
        raw = raw.reshape(len(sub), 18)
        vals = cls._LUT[raw]
        good = (vals >= 0).all(axis=1)
        safe = np.where(vals >= 0, vals, 0)
        good &= cls._pairs()[safe[:, 0], safe[:, 1]]
        division = safe[:, 2:8]
        good &= (division <= 9).all(axis=1)
        province = division[:, 0] * 10 + division[:, 1]
        national = (division == np.array([1, 0, 0, 0, 0, 0])).all(axis=1)
        good &= ((province >= 11) & (province <= 82)) | national
        org = cls._ORG_LUT[raw[:, 8:16]]
        check = 11 - (np.where(org >= 0, org, 0) @ cls.ORG_WEIGHTS) % 11
        good &= raw[:, 16] == np.where(check == 11, ord("0"), np.where(check == 10, ord("X"), check + 48))
        total = (safe[:, :17] * cls.WEIGHTS).sum(axis=1)
        good &= safe[:, 17] == (31 - total % 31) % 31
        result = np.zeros(n, dtype=bool)
        result[idx[good]] = True
        return result

    @staticmethod
    def registered_legacy(codes) -> set[str]:
        """The codes among ``codes`` that registered enterprises carry as legacy codes."""
        model = apps.get_model("registry.Enterprise")
        found: set[str] = set()
        for chunk in _chunks(sorted(set(codes)), Lookup.CHUNK):
            found.update(model._base_manager.filter(uscc__in=chunk, uscc_legacy=True)
                         .values_list("uscc", flat=True))
        return found

    def clean(self, values, v):
        values = self.check_required(values, v)
        codes = self.compact(values)
        ok = self.valid_mask(codes)
        empty = self.empty_mask(values)
        failing = {}
        for i in np.flatnonzero(~ok & ~empty):
            info = gb32100.parse(codes[int(i)].as_py())
            if info.valid:  # cannot happen unless the two checks disagree: trust the validator
                ok[i] = True
            elif not info.well_formed:
                v.reject_row(int(i), self.key, values[int(i)].as_py(), " ".join(info.messages),
                             "invalid_uscc")
            else:
                failing[int(i)] = info
        reasons = [None] * v.n
        if failing:
            legacy = set() if self.legacy_decided_by_importer else \
                self.registered_legacy(info.code for info in failing.values())
            for i, info in failing.items():
                if self.legacy_decided_by_importer:
                    reasons[i] = " ".join(info.messages)
                    ok[i] = True
                elif info.code in legacy:
                    ok[i] = True
                else:
                    v.reject_row(i, self.key, values[i].as_py(), " ".join(info.messages), "invalid_uscc")
        if self.legacy_decided_by_importer:
            v.extras.setdefault(self.key, {})["gb32100"] = reasons
        return pc.if_else(pa.array(ok), codes, pa.scalar(None, pa.string()) if not self._blank() else "")

    def _blank(self) -> bool:
        f = self.model_field
        return f is not None and not f.null

    def export_value(self, obj):
        return getattr(obj, self.field) or ""


def _chunks(seq, size):
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


class Lookup(Column):
    """A reference to another table by one of its natural keys (code, then name...).

    ``model``: the table; ``by``: the fields tried in order; ``extra``: further
    attributes of the found row, kept for checks (e.g. an enterprise's division).
    The stored value is the row's primary key.
    """

    kind = "lookup"
    CHUNK = 900

    def __init__(self, key, header, *, model, by=("code",), extra=(), export_attr=None,
                 normalize: Callable[[pa.Array], pa.Array] | None = None, **kw):
        super().__init__(key, header, **kw)
        self.target = model
        self.by = tuple(by)
        self.extra = tuple(extra)
        self.export_attr = export_attr or self.by[0]
        self.normalize = normalize

    def target_model(self):
        return apps.get_model(self.target) if isinstance(self.target, str) else self.target

    def resolve(self, values: Iterable[str]) -> dict[str, tuple]:
        """``{value: (pk, *extra)}`` for the values that exist."""
        model = self.target_model()
        wanted = sorted(set(values) - {""})
        found: dict[str, tuple] = {}
        self.ambiguous: set[str] = set()
        for by in self.by:
            rest = [w for w in wanted if w not in found and w not in self.ambiguous]
            unique = model._meta.get_field(by).unique
            for chunk in _chunks(rest, self.CHUNK):
                for row in model._base_manager.filter(**{f"{by}__in": chunk}).values_list(
                        by, "pk", *self.extra):
                    value = str(row[0])
                    if not unique and value in found and found[value][0] != row[1]:
                        self.ambiguous.add(value)
                    found.setdefault(value, tuple(row[1:]))
        for value in self.ambiguous:
            found.pop(value, None)
        return found

    def not_found(self, value: str) -> str:
        model = self.target_model()
        if value in getattr(self, "ambiguous", ()):
            return _("%(value)s matches several %(what)s; use the code") % {
                "value": value, "what": model._meta.verbose_name_plural}
        return _("unknown %(what)s: %(value)s") % {"what": model._meta.verbose_name, "value": value}

    def clean(self, values, v):
        values = self.check_required(values, v)
        if self.normalize is not None:
            values = self.normalize(values)
        uniq = pc.unique(values).to_pylist()
        found = self.resolve(uniq)
        keys = list(found)
        key_arr = pa.array(keys, pa.string())
        idx = pc.index_in(values, value_set=key_arr)
        missing = _np_bool(pc.and_(pc.is_null(idx), pc.not_equal(values, "")))
        v.reject(self.key, missing, values, self.not_found, "unknown")
        pks = [found[k][0] for k in keys]
        pk_type = pa.int64() if all(isinstance(p, int) for p in pks) else pa.string()
        out = pc.take(pa.array(pks, pk_type), idx)
        v.extras[self.key] = {
            name: pc.take(pa.array([found[k][j + 1] for k in keys]), idx)
            for j, name in enumerate(self.extra)
        }
        return out

    def export_value(self, obj):
        related = getattr(obj, self.field)
        if related is None:
            return ""
        return getattr(related, self.export_attr)


class DivisionLookup(Lookup):
    """A GB/T 2260 division by code (the key itself; no join needed to export it)."""

    def __init__(self, key, header, **kw):
        kw.setdefault("model", "registry.Division")
        kw.setdefault("by", ("code",))
        super().__init__(key, header, **kw)

    def not_found(self, value):
        return _("unknown administrative division code %(value)s (GB/T 2260)") % {"value": value}

    def export_value(self, obj):
        return getattr(obj, f"{self.field}_id") or ""


SEPARATORS = r"[;；]"


class MultiLookup(Lookup):
    """Several references in one cell, separated by ``;`` or ``；`` (many-to-many)."""

    kind = "multi"

    def clean(self, values, v):
        values = self.check_required(values, v)
        pylist = values.to_pylist()
        parts = [[p.strip() for p in re.split(SEPARATORS, s) if p.strip()] for s in pylist]
        found = self.resolve({p for row in parts for p in row})
        result = []
        for i, row in enumerate(parts):
            missing = [p for p in row if p not in found]
            if missing:
                v.reject_row(i, self.key, pylist[i], "; ".join(self.not_found(p) for p in missing),
                             "unknown")
            result.append(sorted({found[p][0] for p in row if p in found}))
        v.m2m[self.key] = result
        return pa.array([";".join(map(str, r)) for r in result], pa.string())

    def export_value(self, obj):
        return ";".join(sorted(str(getattr(o, self.export_attr)) for o in getattr(obj, self.field).all()))


# --------------------------------------------------------------------------- importers


@dataclass
class ImportResult:
    importer: str
    file_name: str
    mode: str = MODE_CREATE
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    file_error: ImportFileError | None = None
    sha256: str = ""
    encoding: str = ""
    first_id: int | None = None
    last_id: int | None = None
    audit_seq: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.file_error is None


class Importer:
    """An importable (and exportable) table.

    Subclasses set ``name`` (``enterprises``), ``model``, ``columns``,
    ``natural_key`` (column keys that identify a row) and say where a row's
    scope is: ``scope_division`` (a column key whose value is a division code,
    or ``"<key>.<extra>"`` for an extra attribute of a lookup) and
    ``scope_enterprise`` (a column key whose value is the enterprise id).
    """

    name = ""
    model: type[models.Model] = None
    columns: list[Column] = []
    natural_key: tuple[str, ...] = ()
    importable = True
    scope_division: str | None = None
    scope_enterprise: str | None = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    # file names the import pages accept (an importer of another format overrides ``read`` too)
    suffixes: tuple[str, ...] = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        for col in cls.columns:
            col.model = cls.model

    def __init__(self, user=None, mode: str = MODE_CREATE):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.user = user
        self.mode = mode

    @classmethod
    def verbose_name(cls):
        return cls.model._meta.verbose_name_plural

    @classmethod
    def object_type(cls) -> str:
        return f"{cls.model._meta.app_label}.{cls.model._meta.model_name}"

    @classmethod
    def column(cls, key) -> Column:
        return next(c for c in cls.columns if c.key == key)

    # ------------------------------------------------------------------ permission and scope
    def permission_error(self) -> str | None:
        if self.user is None:
            return None
        opts = self.model._meta
        needed = ["add"] + (["change"] if self.mode == MODE_UPSERT else [])
        for action in needed:
            if not self.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
                return _("You are not allowed to import %(what)s (%(mode)s).") % {
                    "what": opts.verbose_name_plural, "mode": self.mode}
        return None

    def scope(self):
        """``(division prefix | None, enterprise id | None)`` the rows must fall in."""
        if self.user is None:
            return province_prefix(), None
        s = scope_for(self.user)
        if s.unrestricted:
            return None, None
        if s.role == ROLE_ENTERPRISE:
            return None, s.enterprise_id if s.enterprise_id is not None else -1
        if s.role in (ROLE_LAB, ROLE_HOSPITAL):
            return "-", None  # no lab or hospital may import registry rows
        return (s.prefix or "-"), None

    def _values_at(self, spec: str, data, v):
        if "." in spec:
            key, extra = spec.split(".", 1)
            return v.extras.get(key, {}).get(extra)
        return data.get(spec)

    def check_scope(self, data, v: Validation) -> None:
        prefix, enterprise_id = self.scope()
        if prefix and self.scope_division:
            divisions = self._values_at(self.scope_division, data, v)
            if divisions is not None:
                key = self.scope_division.split(".")[0]
                divisions = pc.cast(divisions, pa.string())
                outside = _np_bool(pc.invert(pc.starts_with(divisions, prefix))) & \
                    _np_bool(pc.is_valid(divisions)) & ~v.bad
                v.reject(key, outside, data[key] if key in data else divisions,
                         _("outside your region (%(prefix)s…): you may not import rows for this "
                           "division") % {"prefix": prefix}, "scope")
        if enterprise_id is not None and self.scope_enterprise:
            ent = data.get(self.scope_enterprise)
            if ent is not None:
                other = _np_bool(pc.not_equal(ent, enterprise_id)) & ~v.bad
                v.reject(self.scope_enterprise, other, self._raw[self.scope_enterprise],
                         _("you may only import rows of your own enterprise"), "scope")

    # ------------------------------------------------------------------ hooks
    def check_rows(self, data: dict[str, pa.Array], v: Validation) -> None:
        """Cross-field checks of a subclass."""

    def derived_values(self, data, rows: np.ndarray) -> dict[str, pa.Array]:
        """Values of model fields that no column fills, computed from the rows (subclasses):
        ``{field name: array over the rows in ``rows``, in row order}``."""
        return {}

    def before_update(self, obj, changed: list[str]) -> None:
        """Called before an existing row is saved by an upsert (subclasses)."""

    def audit_details(self, data, v: Validation) -> dict:
        """Further facts for the import's audit entry (subclasses)."""
        return {}

    def export_queryset(self, queryset):
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    # ------------------------------------------------------------------ natural keys
    def key_fields(self) -> list[str]:
        return [self.column(k).model_field.attname for k in self.natural_key]

    def has_key(self, data) -> bool:
        return bool(self.natural_key) and self.natural_key[0] in data

    def key_tuples(self, data) -> list[tuple]:
        """Natural keys per row; an absent optional key column counts as empty."""
        n = len(data[self.natural_key[0]])
        cols = [data[k].to_pylist() if k in data else [""] * n for k in self.natural_key]
        return list(zip(*cols))

    def check_duplicates(self, data, v: Validation) -> None:
        keys = self.key_tuples(data)
        seen: dict[tuple, int] = {}
        first = self.natural_key[0]
        raw = self._raw[first]
        for i, key in enumerate(keys):
            if v.bad[i] or any(k is None or k == "" and j == 0 for j, k in enumerate(key)):
                continue
            j = seen.get(key)
            if j is None:
                seen[key] = i
            else:
                v.reject_row(i, first, raw[i].as_py(),
                             _("duplicate row: the same %(key)s as row %(row)d") % {
                                 "key": " + ".join(self.natural_key), "row": int(v.rownums[j])},
                             "duplicate")

    def existing(self, keys: list[tuple]) -> dict[tuple, int]:
        """``{natural key: pk}`` of the rows already in the database."""
        model = self.model
        fields = self.key_fields()
        wanted = {k for k in keys if k[0] not in (None, "")}
        if not wanted:
            return {}
        found: dict[tuple, int] = {}
        total = model._base_manager.count()
        if total <= 4 * len(wanted):
            rows = model._base_manager.values_list(*fields, "pk").iterator(chunk_size=20_000)
            for row in rows:
                if tuple(row[:-1]) in wanted:
                    found[tuple(row[:-1])] = row[-1]
            return found
        firsts = sorted({k[0] for k in wanted})
        for chunk in _chunks(firsts, Lookup.CHUNK):
            for row in model._base_manager.filter(**{f"{fields[0]}__in": chunk}).values_list(
                    *fields, "pk"):
                if tuple(row[:-1]) in wanted:
                    found[tuple(row[:-1])] = row[-1]
        return found

    # ------------------------------------------------------------------ running
    def read(self, path: Path, file_name: str, encoding: str | None = None) -> RawTable:
        """The file's cells (CSV / Excel); an importer of another format overrides this."""
        return read_table(path, file_name, encoding)

    def validate(self, table: RawTable, progress: ProgressCallback | None = None) -> tuple[dict, Validation]:
        blank = {i for i, h in enumerate(table.headers)
                 if not h.strip() and (i >= len(table.columns) or not table.n_rows
                                       or _np_bool(pc.equal(pc.utf8_trim_whitespace(table.columns[i]), "")).all())}
        mapping = map_headers(table.headers, self.columns, ignore=blank)
        n = table.n_rows
        stripped = {}
        for key, idx in mapping.items():
            col = pc.utf8_trim_whitespace(table.columns[idx])
            # A leading ' written by exports before =, +, -, @ (formula protection).
            col = pc.replace_substring_regex(col, r"^'([=+\-@])", r"\1")
            stripped[key] = col
        # Rows that are empty in every mapped column are ignored (Excel leaves them).
        if stripped and n:
            nonempty = np.zeros(n, dtype=bool)
            for col in stripped.values():
                nonempty |= ~_np_bool(pc.equal(col, ""))
            if not nonempty.all():
                keep = pa.array(np.flatnonzero(nonempty))
                stripped = {k: pc.take(c, keep) for k, c in stripped.items()}
                table.rownums = table.rownums[nonempty]
                n = len(table.rownums)
        self._raw = stripped
        v = Validation(table.rownums, self.user, self.mode)
        v.errors.extend(table.structural_errors)
        data: dict[str, pa.Array] = {}
        present = [c for c in self.columns if c.key in stripped]
        for i, col in enumerate(present):
            col.prepare(self)
            data[col.key] = col.clean(stripped[col.key], v)
            if progress:
                progress("validate", int(n * (i + 1) / len(present)), n)
        self.check_rows(data, v)
        if self.has_key(data):
            self.check_duplicates(data, v)
        self.check_scope(data, v)
        return data, v

    def run(self, path, file_name: str | None = None, *, encoding: str | None = None,
            progress: ProgressCallback | None = None, job_id=None) -> ImportResult:
        """Import a file: validate everything, then write all rows or none."""
        started = time.perf_counter()
        path = Path(path)
        file_name = file_name or path.name
        result = ImportResult(importer=self.name, file_name=file_name, mode=self.mode,
                              sha256=file_sha256(path))
        try:
            denied = self.permission_error()
            if denied:
                raise ImportFileError(denied, code="permission")
            if progress:
                progress("read", 0, 0)
            table = self.read(path, file_name, encoding)
            result.encoding = table.encoding
            result.total = table.n_rows
            data, v = self.validate(table, progress)
            result.total = v.n
            self._write(data, v, result, progress, job_id)
        except ImportFileError as exc:
            result.file_error = exc
            result.errors = [exc.as_row_error()]
            result.error_count = 1
        result.seconds = time.perf_counter() - started
        return result

    def _write(self, data, v: Validation, result: ImportResult, progress, job_id) -> None:
        if progress:
            progress("check", 0, v.n)
        with transaction.atomic():
            lock_table(self.model)
            keys = self.key_tuples(data) if self.has_key(data) else []
            existing = self.existing(keys) if keys else {}
            exist_idx = np.zeros(v.n, dtype=bool)
            existing_pk = {}
            if existing:
                for i, key in enumerate(keys):
                    pk = existing.get(key)
                    if pk is not None and not v.bad[i]:
                        exist_idx[i] = True
                        existing_pk[i] = pk
            first = self.natural_key[0] if self.natural_key else ""
            if exist_idx.any():
                if self.mode == MODE_CREATE:
                    v.reject(first, exist_idx, self._raw[first],
                             _("already in the registry (use the upsert mode to update existing rows)"),
                             "exists")
                else:
                    allowed = self._changeable(list(existing_pk.values()))
                    for i, pk in existing_pk.items():
                        if pk not in allowed:
                            v.reject_row(i, first, self._raw[first][i].as_py(),
                                         _("exists outside your scope: you may not change it"),
                                         "scope")
            result.errors = sorted(v.errors, key=self._error_order)
            result.error_count = len(v.errors)
            if v.errors:
                transaction.set_rollback(True)
                return
            new = ~exist_idx
            before = max_pk(self.model)
            result.created = int(new.sum())
            if result.created:
                self.insert(data, new, v, progress)
                result.first_id, result.last_id = pk_range(self.model, before)
            if existing_pk:
                result.updated, result.unchanged = self.update(data, existing_pk, v, progress)
            from zhijian.accounts import audit

            entry = audit.append(
                "import", object_type=self.object_type(),
                object_id=job_id if job_id is not None else "", object_repr=result.file_name,
                postchange={"sha256": result.sha256, "rows": v.n, "created": result.created,
                            "updated": result.updated, "first_id": result.first_id,
                            "last_id": result.last_id, "mode": self.mode, "importer": self.name,
                            **self.audit_details(data, v)})
            result.audit_seq = entry.seq

    def _error_order(self, e: RowError):
        order = {c.key: i for i, c in enumerate(self.columns)}
        return (e.row, order.get(e.field, -1))

    def _changeable(self, pks: list[int]) -> set[int]:
        if self.user is None:
            qs = self.model._base_manager.all()
        else:
            qs = self.model.objects.restrict(self.user, "change")
        allowed = set()
        for chunk in _chunks(pks, Lookup.CHUNK):
            allowed.update(qs.filter(pk__in=chunk).values_list("pk", flat=True))
        return allowed

    # ------------------------------------------------------------------ writing
    def db_columns(self, data, rows: np.ndarray) -> tuple[list[models.Field], list]:
        """The model's concrete fields and, per field, the values (Arrow array or constant)."""
        present = {c.field: c for c in self.columns if c.key in data and c.field
                   and not c.model_field.many_to_many}
        now = timezone.now()
        idx = np.flatnonzero(rows)
        if self.natural_key and self.natural_key[0] in data:
            # Rows go in natural-key order: the key's unique index then grows at its right
            # edge instead of splitting pages at random (twice as fast on PostgreSQL).
            order = pc.sort_indices(pc.take(data[self.natural_key[0]], pa.array(idx)))
            idx = idx[order.to_numpy()]
        keep = pa.array(idx)
        derived = self.derived_values(data, rows)
        if derived:
            # derived arrays follow the rows' file order; put them in the insert order
            position = np.empty(len(rows), dtype=np.int64)
            position[np.flatnonzero(rows)] = np.arange(int(rows.sum()))
            derived = {k: pc.take(a, pa.array(position[idx])) for k, a in derived.items()}
        fields, values = [], []
        for f in self.model._meta.concrete_fields:
            if f.primary_key and isinstance(f, models.AutoField):
                continue
            fields.append(f)
            if f.name in derived:
                values.append(derived[f.name])
            elif f.name in present:
                values.append(pc.take(data[present[f.name].key], keep))
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                values.append(now)
            else:
                values.append(f.get_default())
        return fields, values

    def insert(self, data, rows: np.ndarray, v: Validation, progress) -> None:
        n = int(rows.sum())
        if progress:
            progress("write", 0, n)
        fields, values = self.db_columns(data, rows)
        bulk_insert(self.model, fields, values, n,
                    progress=(lambda done: progress("write", done, n)) if progress else None)
        m2m_cols = [c for c in self.columns if c.key in v.m2m and c.model_field.many_to_many]
        if m2m_cols:
            self._insert_m2m(data, rows, v, m2m_cols)

    def _insert_m2m(self, data, rows, v, m2m_cols) -> None:
        idx = np.flatnonzero(rows)
        all_keys = self.key_tuples(data)
        keys = [all_keys[i] for i in idx]
        fields = self.key_fields()
        new_pk = {}
        for chunk in _chunks(sorted({k[0] for k in keys}), Lookup.CHUNK):
            for row in self.model._base_manager.filter(**{f"{fields[0]}__in": chunk}).values_list(
                    *fields, "pk"):
                new_pk[tuple(row[:-1])] = row[-1]
        for col in m2m_cols:
            mf = col.model_field
            through = mf.remote_field.through
            src = mf.m2m_field_name() + "_id"
            dst = mf.m2m_reverse_field_name() + "_id"
            links = [through(**{src: new_pk[key], dst: rel})
                     for key, i in zip(keys, idx) for rel in v.m2m[col.key][i]]
            through._base_manager.bulk_create(links, batch_size=5000)

    def update(self, data, existing_pk: dict[int, int], v: Validation, progress) -> tuple[int, int]:
        """Update existing rows one by one through the ORM: each change is audited."""
        cols = [c for c in self.columns if c.key in data and c.field and c.key not in self.natural_key]
        pylists = {c.key: data[c.key].to_pylist() for c in cols if not c.model_field.many_to_many}
        updated = unchanged = 0
        items = sorted(existing_pk.items())
        total = len(items)
        for n, chunk in enumerate(_chunks(items, 500)):
            objs = self.model._base_manager.in_bulk([pk for _, pk in chunk])
            for i, pk in chunk:
                obj = objs[pk]
                changed = []
                for c in cols:
                    mf = c.model_field
                    if mf.many_to_many:
                        continue
                    new = c.python_value(pylists[c.key][i])
                    if new is None and not mf.null:
                        new = mf.get_default()
                    if getattr(obj, mf.attname) != new:
                        setattr(obj, mf.attname, new)
                        changed.append(mf.name)
                m2m_changed = []
                for c in cols:
                    if c.model_field.many_to_many and c.key in v.m2m:
                        have = sorted(getattr(obj, c.field).values_list("pk", flat=True))
                        if have != v.m2m[c.key][i]:
                            m2m_changed.append(c)
                self.before_update(obj, changed)
                if changed:
                    auto = [f.name for f in self.model._meta.concrete_fields if getattr(f, "auto_now", False)]
                    obj.save(update_fields=changed + auto)
                for c in m2m_changed:
                    getattr(obj, c.field).set(v.m2m[c.key][i])
                if changed or m2m_changed:
                    updated += 1
                else:
                    unchanged += 1
            if progress:
                progress("update", min((n + 1) * 500, total), total)
        return updated, unchanged


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------- bulk writing


def lock_table(model) -> None:
    """Keep other writers off the table until the import commits (PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already holds the database write lock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} "
                        "IN SHARE ROW EXCLUSIVE MODE")


def max_pk(model) -> int:
    return model._base_manager.aggregate(m=models.Max("pk"))["m"] or 0


def pk_range(model, after: int) -> tuple[int | None, int | None]:
    agg = model._base_manager.filter(pk__gt=after).aggregate(a=models.Min("pk"), b=models.Max("pk"))
    return agg["a"], agg["b"]


def _as_array(value, n: int) -> pa.Array:
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return value.combine_chunks() if isinstance(value, pa.ChunkedArray) else value
    return pa.repeat(pa.scalar(value), n) if value is not None else pa.nulls(n, pa.string())


def _text_for_db(field, arr: pa.Array) -> pa.Array:
    """A column as the text the database accepts (COPY / SQLite)."""
    t = arr.type
    if pa.types.is_timestamp(t) or isinstance(t, pa.TimestampType):
        return pa.array([None if x is None else x.isoformat() for x in arr.to_pylist()], pa.string())
    if pa.types.is_date(t):
        return pc.cast(arr, pa.string())
    if pa.types.is_boolean(t):
        return pc.cast(pc.cast(arr, pa.int8()), pa.string()) if connection.vendor == "sqlite" else pc.cast(arr, pa.string())
    if pa.types.is_decimal(t):
        return pc.cast(arr, pa.string())
    return arr


def _constant_for_db(field, value):
    if isinstance(value, datetime.datetime):
        if connection.vendor == "sqlite":
            return connection.ops.adapt_datetimefield_value(value)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value) if connection.vendor == "sqlite" else ("true" if value else "false")
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value)
    return value


def bulk_insert(model, fields: list[models.Field], values: list, n: int,
                progress: Callable[[int], None] | None = None) -> None:
    """Insert ``n`` rows: ``values[j]`` is an Arrow array (or a constant) for ``fields[j]``."""
    if n == 0:
        return
    if progress:
        progress(0)
    vendor = connection.vendor
    columns = []
    for f, value in zip(fields, values):
        if isinstance(value, (pa.Array, pa.ChunkedArray)):
            columns.append(_text_for_db(f, _as_array(value, n)))
        else:
            columns.append(_constant_for_db(f, value))
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    names = [qn(f.column) for f in fields]
    if vendor == "postgresql":
        _copy_postgres(table, fields, names, columns, n, progress)
    elif vendor == "sqlite":
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
        with connection.cursor() as cur, _sqlite_cache(cur, n):
            for start in range(0, n, WRITE_BATCH):
                stop = min(n, start + WRITE_BATCH)
                cols = [c.slice(start, stop - start).to_pylist() if isinstance(c, pa.Array)
                        else [c] * (stop - start) for c in columns]
                cur.executemany(sql, list(zip(*cols)))
                if progress:
                    progress(stop)
    else:  # any other engine: the ORM's bulk_create
        for start in range(0, n, WRITE_BATCH):
            stop = min(n, start + WRITE_BATCH)
            cols = [c.slice(start, stop - start).to_pylist() if isinstance(c, pa.Array)
                    else [c] * (stop - start) for c in columns]
            objs = [model(**{f.attname: val for f, val in zip(fields, row)}) for row in zip(*cols)]
            model._base_manager.bulk_create(objs, batch_size=1000)
            if progress:
                progress(stop)


@contextmanager
def _sqlite_cache(cur, n: int):
    """A larger page cache while inserting many rows: index pages stay in memory."""
    if n < 50_000:
        yield
        return
    cur.execute("PRAGMA cache_size")
    old = cur.fetchone()[0]
    cur.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        cur.execute(f"PRAGMA cache_size = {int(old)}")


def _copy_postgres(table, fields, names, columns, n, progress) -> None:
    arrays = [c if isinstance(c, pa.Array) else
              (pa.nulls(n, pa.string()) if c is None else pa.repeat(pa.scalar(str(c) if not isinstance(c, (int, str)) else c), n))
              for c in columns]
    tbl = pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))])
    force_not_null = [name for name, f in zip(names, fields) if not f.null]
    options = "FORMAT csv"
    if force_not_null:
        options += f", FORCE_NOT_NULL ({', '.join(force_not_null)})"
    sql = f"COPY {table} ({', '.join(names)}) FROM STDIN WITH ({options})"
    with connection.cursor() as cur:
        with cur.cursor.copy(sql) as copy:
            for start in range(0, n, WRITE_BATCH * 2):
                stop = min(n, start + WRITE_BATCH * 2)
                buf = io.BytesIO()
                pacsv.write_csv(tbl.slice(start, stop - start), buf,
                                pacsv.WriteOptions(include_header=False))
                copy.write(buf.getvalue())
                if progress:
                    progress(stop)


# --------------------------------------------------------------------------- error files


def write_errors_csv(errors: Iterable[RowError], target, columns: list[Column] | None = None) -> None:
    """Write row errors as CSV (UTF-8 with BOM, for Excel) to a path or a binary file."""
    headers = {c.key: c.header for c in columns or []}
    own = isinstance(target, (str, Path))
    fh = open(target, "wb") if own else target
    try:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="", write_through=True)
        w = csv.writer(text)
        w.writerow(["row", "field", "column", "value", "reason", "code"])
        for e in errors:
            w.writerow([e.row, e.field, headers.get(e.field, ""), e.value, e.reason, e.code])
        text.flush()
        text.detach()
    finally:
        if own:
            fh.close()


# --------------------------------------------------------------------------- discovery


def importers(include_export_only: bool = False) -> dict[str, type[Importer]]:
    """Every app's ``importers.IMPORTERS``: ``{name: Importer class}``."""
    found: dict[str, type[Importer]] = {}
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.importers")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.importers":
                raise
            continue
        for name, cls in getattr(module, "IMPORTERS", {}).items():
            if cls.importable or include_export_only:
                found[name] = cls
    return found


def get_importer(name: str, include_export_only: bool = False) -> type[Importer]:
    table = importers(include_export_only)
    try:
        return table[name.replace("-", "_")]
    except KeyError:
        raise LookupError(_("Unknown import type %(name)s; choose one of: %(names)s") % {
            "name": name, "names": ", ".join(sorted(table))}) from None
