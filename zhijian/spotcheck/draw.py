"""The double-random draw (双随机), verifiable by anyone: algorithm ``zhijian-draw/2``.

Pure domain logic with no Django import, so that the ``verify-draw`` command, the
spot-check services and an outsider's script can all use it. ``docs/draw.md`` is the
specification (byte encodings, formulas, ordering, rounding, record schema, a worked
example); this module implements it twice:

* the **reference path** (``engine="reference"``): plain Python and ``hashlib``, row by
  row, written to be read next to the specification; ``verify`` uses it by default;
* the **fast path** (``engine="fast"``): numpy plus compiled kernels
  (``draw_fast.py``) for province-scale pools; the tests prove it produces byte-identical
  records.

In short (DESIGN §5, §6.1):

1. The pool is a canonical CSV (``uscc,division,category,risk_class``, rows sorted by
   (uscc, category), LF line ends); its SHA-256 is the pool hash.
2. Before the draw the bureau publishes ``commitment = SHA-256(secret)``; afterwards
   ``seed = SHA-256(secret || public_value || 0x0A || plan_id)``, where the public value
   (a lottery result, a beacon output) did not exist when the commitment was published.
3. Strata are division unit (county / city / province) x product category. Each row gets
   ``h`` = the first 8 bytes of ``SHA-256(seed_hex || uscc || category)``,
   ``u = (2*(h >> 12) + 1) / 2**53`` and the Efraimidis-Spirakis key ``ln(u) / w`` with
   ``w`` the row's risk-class ratio (or 1); a stratum's quota of largest keys is drawn.
4. Each drawn task gets ``k >= 2`` inspectors qualified for its category whose division
   is the task's county or its city (or the province), avoiding recorded conflicts and
   the inspectors of the enterprise's last check, least loaded first.
5. The draw record (canonical JSON with its own SHA-256) holds everything needed to
   recompute the draw; ``verify(record, pool)`` recomputes it and reports the first
   difference.
"""
from __future__ import annotations

import gc
import hashlib
import io
import json
import math
import re
import secrets as _secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from functools import cmp_to_key
from itertools import chain

import numpy as np

ALGORITHM = "zhijian-draw/2"
POOL_FORMAT = "zhijian-pool/1"
POOL_COLUMNS = ("uscc", "division", "category", "risk_class")
POOL_HEADER = (",".join(POOL_COLUMNS) + "\n").encode("ascii")
RISK_CLASSES = ("A", "B", "C", "D")
DEFAULT_CLASS_RATIOS = {"A": "0.01", "B": "0.02", "C": "0.10", "D": "0.30"}
LEVELS = ("county", "city", "province")
QUOTA_MODES = ("count", "ratio", "risk")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
RATIO_SCALE = 10 ** 9  # ratios have at most 9 decimals; quotas use exact integers
NEAR_TIE = 1e-9  # doubles closer than this (relative) are re-compared exactly
FAST_THRESHOLD = 20_000  # engine="auto" uses the fast path from this many pool rows

_USCC_RE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}\Z")
_DIVISION_RE = re.compile(r"[1-9][0-9]{5}\Z")
_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}\Z")  # category codes, inspector ids
_RATIO_RE = re.compile(r"(0|1)(\.[0-9]{1,9})?\Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}\Z")
_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
TIME_FIELDS = ("committed_at", "public_value_at", "drawn_at")
_TWO53 = 2.0 ** 53
_USCC_LUT = np.zeros(256, np.bool_)
_USCC_LUT[list(USCC_ALPHABET.encode())] = True


class DrawError(ValueError):
    """Bad input to the draw, or a draw that cannot be made (the message says why)."""


class PoolFormatError(DrawError):
    """A pool file or pool rows that are not a valid canonical pool."""


class InspectorShortage(DrawError):
    """A task cannot get the required number of eligible inspectors."""


class RecordError(DrawError):
    """A draw record that cannot be read (not JSON, not canonical, missing fields)."""


# --------------------------------------------------------------------------- pool

def _row_label(i: int, line_base: int | None) -> str:
    return f"line {i + line_base}" if line_base is not None else f"row {i + 1}"


class Pool:
    """The draw's eligible (enterprise, product category) rows in canonical order.

    Columns are numpy arrays: ``uscc`` (``S18``), ``division`` (int32, the 6-digit code),
    ``category`` (int32 index into the sorted tuple ``categories``) and ``risk``
    (uint8, 0..3 for classes A..D). Build one with :meth:`from_rows` (any order),
    :meth:`from_arrays` (vectorised) or :meth:`from_bytes` (a canonical pool file).
    """

    __slots__ = ("uscc", "division", "category", "categories", "risk", "_bytes", "_sha256")

    def __init__(self, uscc, division, category, categories, risk):
        self.uscc = uscc
        self.division = division
        self.category = category
        self.categories = tuple(categories)
        self.risk = risk
        self._bytes = None
        self._sha256 = None

    # -- construction
    @classmethod
    def from_rows(cls, rows: Iterable) -> Pool:
        """Rows as (uscc, division, category, risk_class) sequences or mappings with those
        keys, in any order. Raises :class:`PoolFormatError` naming the row."""
        usccs, divisions, cats, risks = [], [], [], []
        for i, row in enumerate(rows):
            if isinstance(row, Mapping):
                try:
                    values = [row[c] for c in POOL_COLUMNS]
                except KeyError as exc:
                    raise PoolFormatError(f"row {i + 1}: missing field {exc.args[0]}") from None
            else:
                values = list(row)
                if len(values) != 4:
                    raise PoolFormatError(f"row {i + 1}: expected 4 fields {POOL_COLUMNS}, got {len(values)}")
            uscc, division, category, risk = (str(v) for v in values)
            _check_field(f"row {i + 1}", "uscc", uscc)
            _check_field(f"row {i + 1}", "division", division)
            _check_field(f"row {i + 1}", "category", category)
            _check_field(f"row {i + 1}", "risk_class", risk)
            usccs.append(uscc)
            divisions.append(int(division))
            cats.append(category)
            risks.append(RISK_CLASSES.index(risk))
        categories = sorted(set(cats))
        index = {c: i for i, c in enumerate(categories)}
        return cls._build(np.array(usccs, dtype="S18"), np.array(divisions, dtype=np.int32),
                          np.array([index[c] for c in cats], dtype=np.int32), categories,
                          np.array(risks, dtype=np.uint8), presorted=False, line_base=None)

    @classmethod
    def from_arrays(cls, uscc, division, category, risk_class, categories=None, *,
                    presorted: bool = False) -> Pool:
        """Vectorised construction for large pools.

        ``uscc``: ``S18`` array (or strings); ``division``: 6-digit integer codes;
        ``category``: codes, or integer indices into ``categories``; ``risk_class``: letters
        or 0..3. With ``presorted=True`` the rows must already be in canonical order (an
        ``ORDER BY uscc, category`` query): this is checked, not assumed."""
        raw = np.asarray(uscc)
        if raw.dtype.kind not in "SU" or raw.dtype.itemsize // (4 if raw.dtype.kind == "U" else 1) > 18:
            values = raw.tolist()
            lengths = np.array([len(x) for x in values], np.int64)
            if len(lengths) and lengths.max() > 18:
                i = int(np.flatnonzero(lengths > 18)[0])
                raise PoolFormatError(f"row {i + 1}: field uscc: {values[i]!r} is not an 18-character USCC")
        try:
            uscc = np.ascontiguousarray(raw.astype("S18"))
        except UnicodeEncodeError:
            raise PoolFormatError("field uscc: USCCs are ASCII (characters "
                                  f"{USCC_ALPHABET})") from None
        division = np.asarray(division)
        if division.dtype.kind in "SU":
            division = division.astype(np.int64)
        division = np.ascontiguousarray(division, dtype=np.int32)
        if len(division) and (division.min() < 100000 or division.max() > 999999):
            i = int(np.flatnonzero((division < 100000) | (division > 999999))[0])
            raise PoolFormatError(f"row {i + 1}: field division: not a 6-digit GB/T 2260 code: {division[i]}")
        if categories is None:
            cats, idx = np.unique(np.asarray(category).astype(str), return_inverse=True)
            categories = [str(c) for c in cats]
            category = idx.astype(np.int32)
        else:
            categories = list(categories)
            if categories != sorted(set(categories)):
                raise PoolFormatError("categories must be sorted and unique")
            category = np.ascontiguousarray(category, dtype=np.int32)
            if len(category) and (category.min() < 0 or category.max() >= len(categories)):
                raise PoolFormatError("category index out of range")
        for c in categories:
            _check_field("categories", "category", c)
        risk = np.asarray(risk_class)
        if risk.dtype.kind in "SUO":
            lookup = {k: i for i, k in enumerate(RISK_CLASSES)}
            try:
                risk = np.array([lookup[str(r.decode() if isinstance(r, bytes) else r)] for r in risk], np.uint8)
            except KeyError as exc:
                raise PoolFormatError(f"field risk_class: {exc.args[0]!r} is not one of A, B, C, D") from None
        risk = np.ascontiguousarray(risk, dtype=np.uint8)
        if len(risk) and risk.max() > 3:
            i = int(np.flatnonzero(risk > 3)[0])
            raise PoolFormatError(f"row {i + 1}: field risk_class: not one of A, B, C, D")
        if not (len(uscc) == len(division) == len(category) == len(risk)):
            raise PoolFormatError("pool columns have different lengths")
        return cls._build(uscc, division, category, categories, risk, presorted=presorted, line_base=None)

    @classmethod
    def _build(cls, uscc, division, category, categories, risk, *, presorted, line_base):
        n = len(uscc)
        order = None
        if not presorted and n > 1:
            order = np.lexsort((category, uscc))
            uscc, division, category, risk = uscc[order], division[order], category[order], risk[order]
        bad = _check_rows(uscc, category, division, risk)
        if bad is not None:
            i, code = bad
            label = (lambda j: _row_label(j, line_base)) if order is None else \
                (lambda j: _row_label(int(order[j]), None))
            where = label(i)
            u = uscc[i].decode("ascii", "replace")
            if code == 1:
                raise PoolFormatError(f"{where}: field uscc: {u!r} is not an 18-character USCC "
                                      f"(characters {USCC_ALPHABET})")
            prev = label(i - 1)
            key = f"({u}, {categories[category[i]]})"
            if code == 2:
                raise PoolFormatError(f"{where}: rows not in canonical order: {key} must come "
                                      f"before {prev} (rows are sorted by uscc, then category)")
            if code == 3:
                raise PoolFormatError(f"{where}: duplicate row {key} (same as {prev})")
            raise PoolFormatError(f"{where}: enterprise {u} has another division or risk class "
                                  f"than in {prev}")
        return cls(uscc, division, category, categories, risk)

    @classmethod
    def from_bytes(cls, data: bytes) -> Pool:
        """Parse a pool file; anything but the canonical serialisation is rejected."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise PoolFormatError("a pool file is bytes")
        data = bytes(data)
        if not data.startswith(POOL_HEADER):
            first = data.split(b"\n", 1)[0][:80]
            raise PoolFormatError(f"line 1: header must be {POOL_HEADER.decode().strip()!r}, "
                                  f"file has {first.decode('utf-8', 'replace')!r}")
        if data == POOL_HEADER:
            return cls(np.empty(0, "S18"), np.empty(0, np.int32), np.empty(0, np.int32), (),
                       np.empty(0, np.uint8))
        if not data.endswith(b"\n"):
            lines = data.count(b"\n") + 1
            raise PoolFormatError(f"line {lines}: the file must end with a line feed")
        pos = data.find(b"\r")
        if pos >= 0:
            line = data.count(b"\n", 0, pos) + 1
            raise PoolFormatError(f"line {line}: carriage return; lines end with LF only")
        columns = _parse_columns(data)
        pool = cls._build(*columns, presorted=True, line_base=2)
        if pool.to_bytes() != data:  # e.g. stray characters the column parser tolerated
            mine = pool.to_bytes()
            pos = next(i for i in range(min(len(mine), len(data)) + 1)
                       if i >= len(mine) or i >= len(data) or mine[i] != data[i])
            line = data.count(b"\n", 0, pos) + 1
            raise PoolFormatError(f"line {line}: not in canonical form")
        pool._bytes = data
        return pool

    # -- output
    def to_bytes(self) -> bytes:
        """The canonical pool file."""
        if self._bytes is None:
            if len(self) >= FAST_THRESHOLD and _fast_available():
                from . import draw_fast
                self._bytes = draw_fast.serialize_rows(POOL_HEADER, self.uscc, self.division,
                                                       self.category, self.categories, self.risk)
            else:
                self._bytes = POOL_HEADER + "".join(
                    f"{u},{d},{c},{r}\n" for u, d, c, r in self.rows()).encode("ascii")
        return self._bytes

    @property
    def sha256(self) -> str:
        if self._sha256 is None:
            if self._bytes is None and len(self) >= FAST_THRESHOLD and _fast_available():
                from . import draw_fast
                self._sha256 = draw_fast.pool_sha256(POOL_HEADER, self.uscc, self.division, self.category,
                                                     self.categories, self.risk)
            else:
                self._sha256 = hashlib.sha256(self.to_bytes()).hexdigest()
        return self._sha256

    def __len__(self) -> int:
        return len(self.uscc)

    def rows(self):
        """(uscc, division, category, risk_class) strings in canonical order."""
        cats = self.categories
        for u, d, c, r in zip(self.uscc.tolist(), self.division.tolist(), self.category.tolist(),
                              self.risk.tolist()):
            yield u.decode("ascii"), f"{d:06d}", cats[c], RISK_CLASSES[r]


def _check_field(where: str, name: str, value: str) -> None:
    ok = {
        "uscc": _USCC_RE, "division": _DIVISION_RE, "category": _CODE_RE,
    }.get(name)
    if name == "risk_class":
        if value not in RISK_CLASSES:
            raise PoolFormatError(f"{where}: field risk_class: {value!r} is not one of A, B, C, D")
        return
    if not ok.match(value):
        what = {"uscc": "an 18-character USCC", "division": "a 6-digit GB/T 2260 code",
                "category": "a code of 1-32 characters A-Z a-z 0-9 . _ -"}[name]
        raise PoolFormatError(f"{where}: field {name}: {value!r} is not {what}")


def _check_rows(uscc, category, division, risk):
    """First bad row as (index, code) or None; codes as in draw_fast._check_kernel."""
    n = len(uscc)
    if n == 0:
        return None
    if uscc.dtype != np.dtype("S18"):
        raise PoolFormatError("uscc must be 18-character codes")
    if n >= FAST_THRESHOLD and _fast_available():
        from . import draw_fast
        bad = draw_fast.check_rows(uscc, category, division, risk, _USCC_LUT)
        nz = np.flatnonzero(bad)
        return (int(nz[0]), int(bad[nz[0]])) if len(nz) else None
    v = uscc.view(np.uint8).reshape(n, 18)
    bad = np.zeros(n, np.uint8)
    bad[~_USCC_LUT[v].all(axis=1)] = 1
    if n > 1:
        same_u = uscc[1:] == uscc[:-1]
        less_u = uscc[:-1] < uscc[1:]
        c0, c1 = category[:-1], category[1:]
        code = np.zeros(n - 1, np.uint8)
        code[same_u & ((division[1:] != division[:-1]) | (risk[1:] != risk[:-1]))] = 4
        code[same_u & (c0 == c1)] = 3
        code[(~less_u & ~same_u) | (same_u & (c0 > c1))] = 2
        tail = bad[1:]
        tail[tail == 0] = code[tail == 0]
    nz = np.flatnonzero(bad)
    return (int(nz[0]), int(bad[nz[0]])) if len(nz) else None


def _parse_columns(data: bytes):
    """Columns of a pool file body (header already checked) with pyarrow's CSV reader."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=list(POOL_COLUMNS), skip_rows=1),
            parse_options=pacsv.ParseOptions(quote_char=False, escape_char=False, double_quote=False,
                                             newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in POOL_COLUMNS},
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        for i, line in enumerate(data.split(b"\n")[1:-1]):
            if line.count(b",") != 3:
                raise PoolFormatError(f"line {i + 2}: expected 4 comma-separated fields "
                                      f"{POOL_COLUMNS}") from None
        raise PoolFormatError(f"pool file: {exc}") from None
    n = table.num_rows

    def fixed(name, width):
        arr = table.column(name).combine_chunks()
        lengths = pc.binary_length(arr).to_numpy(zero_copy_only=False)
        wrong = np.flatnonzero(lengths != width)
        if len(wrong):
            i = int(wrong[0])
            _check_field(f"line {i + 2}", name, arr[i].as_py())
            raise PoolFormatError(f"line {i + 2}: field {name}: wrong length")
        offsets = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset:arr.offset + n + 1]
        raw = np.frombuffer(arr.buffers()[2], np.uint8)[offsets[0]:offsets[0] + width * n]
        return raw.reshape(n, width), arr

    u8, _ = fixed("uscc", 18)
    uscc = np.ascontiguousarray(u8).view("S18").reshape(n)
    d8, darr = fixed("division", 6)
    digits = d8.astype(np.int32) - 48
    bad = np.flatnonzero(((digits < 0) | (digits > 9)).any(axis=1) | (digits[:, 0] == 0))
    if len(bad):
        i = int(bad[0])
        _check_field(f"line {i + 2}", "division", darr[i].as_py())
    division = (digits * np.array([100000, 10000, 1000, 100, 10, 1], np.int32)).sum(axis=1, dtype=np.int32)
    r8, rarr = fixed("risk_class", 1)
    risk = r8[:, 0].astype(np.int16) - 65
    bad = np.flatnonzero((risk < 0) | (risk > 3))
    if len(bad):
        i = int(bad[0])
        _check_field(f"line {i + 2}", "risk_class", rarr[i].as_py())
    enc = pc.dictionary_encode(table.column("category").combine_chunks())
    values = enc.dictionary.to_pylist()
    for v in values:
        if not _CODE_RE.match(v):
            i = values.index(v)
            row = int(np.flatnonzero(enc.indices.to_numpy() == i)[0])
            _check_field(f"line {row + 2}", "category", v)
    order = sorted(range(len(values)), key=values.__getitem__)
    remap = np.empty(len(values), np.int32)
    remap[order] = np.arange(len(values), dtype=np.int32)
    category = remap[enc.indices.to_numpy()]
    return uscc, division, category, [values[i] for i in order], risk.astype(np.uint8)


def _fast_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is in requirements/base.txt
        return False
    return True


# --------------------------------------------------------------------------- randomness

def make_secret() -> str:
    """A fresh 32-byte secret as 64 lowercase hex characters (keep it until the draw)."""
    return _secrets.token_hex(32)


def _secret_bytes(secret_hex: str) -> bytes:
    if not isinstance(secret_hex, str) or not _HEX64_RE.match(secret_hex):
        raise DrawError("secret: must be 64 lowercase hex characters (32 bytes)")
    return bytes.fromhex(secret_hex)


def commitment_of(secret_hex: str) -> str:
    """The commitment published before the draw: SHA-256 of the 32 secret bytes."""
    return hashlib.sha256(_secret_bytes(secret_hex)).hexdigest()


def derive_seed(secret_hex: str, public_value: str, plan_id: str) -> str:
    """seed = SHA-256(secret (32 bytes) || UTF-8(public_value) || 0x0A || UTF-8(plan_id))."""
    _check_text("public_value", public_value)
    _check_text("plan_id", plan_id)
    msg = _secret_bytes(secret_hex) + public_value.encode("utf-8") + b"\n" + plan_id.encode("utf-8")
    return hashlib.sha256(msg).hexdigest()


def _check_text(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        raise DrawError(f"{name}: must be a non-empty single line of text")
    if value != value.strip():
        raise DrawError(f"{name}: must not begin or end with whitespace (it is hashed exactly as "
                        f"recorded; strip it when it is entered)")


def format_time(moment) -> str:
    """A timezone-aware datetime as the record's time text, UTC to the second:
    ``2026-07-02T13:30:00Z``."""
    import datetime as _dt

    if not isinstance(moment, _dt.datetime) or moment.tzinfo is None:
        raise DrawError("times are timezone-aware datetimes")
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_time(name: str, value) -> None:
    import datetime as _dt

    if not isinstance(value, str) or not _TIME_RE.match(value):
        raise DrawError(f"randomness.{name}: must be a UTC time like 2026-07-02T13:30:00Z, "
                        f"got {value!r}")
    try:
        _dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise DrawError(f"randomness.{name}: {value!r} is not a real date and time") from None


def check_times(committed_at, public_value_at, drawn_at) -> None:
    """The order that makes the public value unforeseeable to whoever committed: the commitment
    comes strictly before the moment the public value is announced, and the draw is made at or
    after that moment (times are UTC texts of one fixed width, so they compare as text)."""
    for name, value in zip(TIME_FIELDS, (committed_at, public_value_at, drawn_at)):
        _check_time(name, value)
    if not committed_at < public_value_at:
        raise DrawError(f"times: the public value was to be announced at {public_value_at}, which is "
                        f"not after the commitment at {committed_at}")
    if not public_value_at <= drawn_at:
        raise DrawError(f"times: the draw at {drawn_at} is before the public value was announced "
                        f"at {public_value_at}")


@dataclass(frozen=True)
class Randomness:
    """The draw's randomness: the committed secret, revealed after the draw, and the public
    value (with where it was published) that did not exist when the commitment was made.

    The three times (UTC texts, :func:`format_time`) are part of the record: when the
    commitment was published, the announced moment the public value was taken from (named
    at the commitment), and when the draw was made. :func:`check_times` gives their order."""

    secret: str
    public_value: str
    public_value_source: str = ""
    committed_at: str | None = None
    public_value_at: str | None = None
    drawn_at: str | None = None

    @property
    def commitment(self) -> str:
        return commitment_of(self.secret)

    def check(self) -> None:
        _check_text("public_value_source", self.public_value_source)
        check_times(self.committed_at, self.public_value_at, self.drawn_at)


# --------------------------------------------------------------------------- parameters

@dataclass(frozen=True)
class DrawParams:
    """A plan's draw parameters (all of them go into the record).

    quota_mode ``risk``: a stratum's quota is round(sum over classes of ratio x eligible rows);
    ``ratio``: round(quota_ratio x eligible rows); ``count``: quota_count. ``quota_overrides``
    gives explicit counts for named strata ("320505/KP012"). ``min_per_stratum`` (ratio and
    risk modes, not overrides) lifts a non-empty stratum's quota to at least that many.
    Quotas never exceed the stratum's eligible rows.
    """

    plan_id: str
    strata_level: str = "county"
    quota_mode: str = "risk"
    quota_ratio: str | None = None
    quota_count: int | None = None
    quota_overrides: Mapping[str, int] = field(default_factory=dict)
    min_per_stratum: int = 1
    risk_weighting: bool = True
    class_ratios: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CLASS_RATIOS))
    inspectors_per_task: int = 2
    inspector_area: str = "city"
    escalate_area: bool = True

    def validate(self) -> None:
        _check_text("plan_id", self.plan_id)
        if self.strata_level not in LEVELS:
            raise DrawError(f"strata_level: must be one of {', '.join(LEVELS)}")
        if self.inspector_area not in LEVELS:
            raise DrawError(f"inspector_area: must be one of {', '.join(LEVELS)}")
        if self.quota_mode not in QUOTA_MODES:
            raise DrawError(f"quota_mode: must be one of {', '.join(QUOTA_MODES)}")
        if self.quota_mode == "ratio":
            _ratio_units("quota_ratio", self.quota_ratio)
        elif self.quota_ratio is not None:
            raise DrawError("quota_ratio: only with quota_mode 'ratio'")
        if self.quota_mode == "count":
            if not _is_int(self.quota_count) or self.quota_count < 0:
                raise DrawError("quota_count: must be an integer >= 0")
        elif self.quota_count is not None:
            raise DrawError("quota_count: only with quota_mode 'count'")
        for name, n in self.quota_overrides.items():
            if not isinstance(name, str) or "/" not in name:
                raise DrawError(f"quota_overrides: {name!r} is not a stratum name like '320505/KP012'")
            unit, cat = name.split("/", 1)
            if not _DIVISION_RE.match(unit) or not _CODE_RE.match(cat):
                raise DrawError(f"quota_overrides: {name!r} is not a stratum name like '320505/KP012'")
            if not _is_int(n) or n < 0:
                raise DrawError(f"quota_overrides: {name}: count must be an integer >= 0")
        if not _is_int(self.min_per_stratum) or self.min_per_stratum < 0:
            raise DrawError("min_per_stratum: must be an integer >= 0")
        if not isinstance(self.risk_weighting, bool) or not isinstance(self.escalate_area, bool):
            raise DrawError("risk_weighting and escalate_area are booleans")
        if sorted(self.class_ratios) != list(RISK_CLASSES):
            raise DrawError("class_ratios: must give a ratio for each of A, B, C, D")
        for c in RISK_CLASSES:
            check_class_ratio(f"class_ratios.{c}", self.class_ratios[c])
        if not _is_int(self.inspectors_per_task) or not 2 <= self.inspectors_per_task <= 20:
            raise DrawError("inspectors_per_task: at least 2 inspectors per task (and at most 20)")

    def to_json(self) -> dict:
        return {
            "plan_id": self.plan_id, "strata_level": self.strata_level, "quota_mode": self.quota_mode,
            "quota_ratio": self.quota_ratio, "quota_count": self.quota_count,
            "quota_overrides": {k: self.quota_overrides[k] for k in sorted(self.quota_overrides)},
            "min_per_stratum": self.min_per_stratum, "risk_weighting": self.risk_weighting,
            "class_ratios": {c: self.class_ratios[c] for c in RISK_CLASSES},
            "inspectors_per_task": self.inspectors_per_task, "inspector_area": self.inspector_area,
            "escalate_area": self.escalate_area,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> DrawParams:
        names = set(cls.__dataclass_fields__)
        unknown = set(data) - names
        if unknown:
            raise RecordError(f"params: unknown fields {sorted(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise RecordError(f"params: {exc}") from None


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def ratio_text(value) -> str:
    """A plan's stored ratio (a JSON number or string) as the engine's decimal string."""
    return format(value, "f") if isinstance(value, float) else str(value)


def check_class_ratio(name: str, value) -> None:
    """The engine's rule for a risk-class ratio: a decimal in (0, 1] with at most 9 decimals."""
    if _ratio_units(name, ratio_text(value)) == 0:
        raise DrawError(f"{name}: must be greater than 0")


def _ratio_units(name: str, value) -> int:
    """A decimal ratio string ("0.02") as an exact integer count of 1e-9 units."""
    if not isinstance(value, str) or not _RATIO_RE.match(value):
        raise DrawError(f"{name}: must be a decimal string between 0 and 1 with at most 9 decimals")
    units = int(Decimal(value) * RATIO_SCALE)
    if units > RATIO_SCALE:
        raise DrawError(f"{name}: must not exceed 1")
    return units


def unit_code(division: int, level: str) -> int:
    """The stratum's division unit: the county code itself, its city (first 4 digits + 00)
    or its province (first 2 digits + 0000)."""
    if level == "county":
        return division
    if level == "city":
        return division // 100 * 100
    return division // 10000 * 10000


def area_divisions(division: int, level: str) -> list[int]:
    """Divisions whose inspectors may take a task in ``division`` at an area level: the
    task's own division, plus its city code (level city), plus its province code
    (level province); duplicates removed, in that order."""
    chain = [division]
    if LEVELS.index(level) >= 1 and division // 100 * 100 not in chain:
        chain.append(division // 100 * 100)
    if LEVELS.index(level) >= 2 and division // 10000 * 10000 not in chain:
        chain.append(division // 10000 * 10000)
    return chain


def stratum_quota(params: DrawParams, name: str, eligible_by_class) -> int:
    """The quota of one stratum from its eligible rows per class (exact integer arithmetic,
    rounding half up)."""
    eligible = sum(eligible_by_class)
    if name in params.quota_overrides:
        return min(params.quota_overrides[name], eligible)
    if params.quota_mode == "count":
        return min(params.quota_count, eligible)
    if params.quota_mode == "ratio":
        scaled = _ratio_units("quota_ratio", params.quota_ratio) * eligible
    else:
        scaled = sum(_ratio_units(c, params.class_ratios[c]) * n
                     for c, n in zip(RISK_CLASSES, eligible_by_class))
    quota = (2 * scaled + RATIO_SCALE) // (2 * RATIO_SCALE)
    if eligible:
        quota = max(quota, params.min_per_stratum)
    return min(quota, eligible)


def _weights(params: DrawParams):
    """Per class: (exact Decimal weight, float weight)."""
    if not params.risk_weighting:
        return [(Decimal(1), 1.0)] * 4
    return [(Decimal(params.class_ratios[c]), float(Decimal(params.class_ratios[c]))) for c in RISK_CLASSES]


# --------------------------------------------------------------------------- keys and ordering

def entity_digest(seed_hex: str, uscc: str, category: str) -> bytes:
    """SHA-256(seed_hex || uscc || category), all ASCII."""
    return hashlib.sha256((seed_hex + uscc + category).encode("ascii")).digest()


def uniform_from_h(h: int) -> float:
    """u in (0, 1) from the 64-bit h: (2 * (h >> 12) + 1) / 2**53, exact in a double."""
    return (2 * (h >> 12) + 1) / _TWO53


def key_of(h: int, w: float) -> float:
    """The Efraimidis-Spirakis key ln(u) / w in double precision."""
    return math.log(uniform_from_h(h)) / w


def inspector_tiebreak(seed_hex: str, inspector_id: str) -> int:
    """t_i: the first 8 bytes of SHA-256(seed_hex || "#" || inspector_id) as an integer."""
    return int.from_bytes(hashlib.sha256((seed_hex + "#" + inspector_id).encode("ascii")).digest()[:8], "big")


def _exact_ln_u(h: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(2 * (h >> 12) + 1) / Decimal(2 ** 53)).ln()


def _exact_cmp(a, b) -> int:
    """Exact order of two candidates (h, w_exact, uscc): the larger key ln(u)/w first; on
    an exact tie (only possible with equal u and w) the smaller USCC first."""
    ha, wa, ua = a
    hb, wb, ub = b
    if wa == wb:
        ma, mb = ha >> 12, hb >> 12
        if ma != mb:
            return -1 if ma > mb else 1
    else:
        with localcontext() as ctx:
            ctx.prec = 60
            left = _exact_ln_u(ha) * wb  # ln(u_a)/w_a > ln(u_b)/w_b  <=>  ln(u_a)*w_b > ln(u_b)*w_a
            right = _exact_ln_u(hb) * wa
        if left != right:
            return -1 if left > right else 1
    return -1 if ua < ub else (1 if ua > ub else 0)


def _near(k1: float, k2: float) -> bool:
    return abs(k1 - k2) <= NEAR_TIE * max(abs(k1), abs(k2))


def exact_order(items: list) -> list:
    """``items``: (key, h, w_exact, uscc, payload) sorted by (-key, uscc). Re-orders every
    run of neighbours whose double keys are within NEAR_TIE of each other by the exact
    comparison, so that the result is the exact order whatever ``log`` the doubles came
    from."""
    out = []
    i = 0
    n = len(items)
    while i < n:
        j = i + 1
        while j < n and _near(items[j - 1][0], items[j][0]):
            j += 1
        run = items[i:j]
        if len(run) > 1:
            run.sort(key=cmp_to_key(lambda a, b: _exact_cmp(a[1:4], b[1:4])))
        out.extend(run)
        i = j
    return out


# --------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class InspectorRow:
    """An inspector in the qualified pool: badge/id, division, qualified categories and the
    current workload (open tasks). No personal data."""

    id: str
    division: str
    categories: tuple
    workload: int = 0


def _normalise_exclusions(exclusions) -> list:
    excl = set()
    for i, row in enumerate(exclusions):
        try:
            uscc, category, plan = (str(v) for v in row)
        except (TypeError, ValueError):
            raise DrawError(f"exclusions[{i}]: expected (uscc, category, higher-level plan id)") from None
        _check_field(f"exclusions[{i}]", "uscc", uscc)
        _check_field(f"exclusions[{i}]", "category", category)
        _check_text(f"exclusions[{i}].plan_id", plan)
        excl.add((uscc, category, plan))
    return sorted(excl)


def _in_pool(pool: Pool, excl: list) -> list:
    """The exclusions whose (uscc, category) pair is in the pool; others cannot change the
    draw and are not recorded (a record that lists one does not verify)."""
    if not excl:
        return excl
    cat_index = {c: i for i, c in enumerate(pool.categories)}
    keep = []
    for uscc, category, plan in excl:
        c = cat_index.get(category)
        if c is None:
            continue
        key = uscc.encode("ascii")
        a = int(np.searchsorted(pool.uscc, key, "left"))
        b = int(np.searchsorted(pool.uscc, key, "right"))
        if a < b and bool((pool.category[a:b] == c).any()):
            keep.append((uscc, category, plan))
    return keep


def _normalise_inspectors(inspectors) -> list:
    insp = {}
    valid_codes: set[str] = set()
    for i, row in enumerate(inspectors):
        if isinstance(row, InspectorRow):
            iid, div, cats, load = row.id, row.division, row.categories, row.workload
        else:
            try:
                iid, div, cats, load = row
            except (TypeError, ValueError):
                raise DrawError(f"inspectors[{i}]: expected (id, division, categories, workload)") from None
        iid, div = str(iid), str(div)
        if not _CODE_RE.match(iid):
            raise DrawError(f"inspectors[{i}]: id {iid!r} is not a code of 1-32 characters A-Z a-z 0-9 . _ -")
        if not _DIVISION_RE.match(div):
            raise DrawError(f"inspectors[{i}] ({iid}): division {div!r} is not a 6-digit GB/T 2260 code")
        if isinstance(cats, (str, bytes)) or not isinstance(cats, Iterable):
            raise DrawError(f"inspectors[{i}] ({iid}): categories must be a list of codes")
        cats = sorted(set(cats))
        for c in cats:
            if c not in valid_codes:
                if not isinstance(c, str) or not _CODE_RE.match(c):
                    raise DrawError(f"inspectors[{i}] ({iid}): category {c!r} is not a valid code")
                valid_codes.add(c)
        if not _is_int(load) or load < 0:
            raise DrawError(f"inspectors[{i}] ({iid}): workload must be an integer >= 0")
        if iid in insp:
            raise DrawError(f"inspectors[{i}]: duplicate inspector id {iid}")
        insp[iid] = [iid, div, cats, load]
    return [insp[k] for k in sorted(insp)]


def _relevant_pairs(rows, name: str, uscc_pos: int, drawn: set) -> list:
    """(inspector id, uscc) or (uscc, inspector id) pairs of the drawn enterprises, checked
    and sorted; pairs of enterprises that were not drawn cannot change the draw and are
    neither checked nor recorded."""
    out = set()
    for i, row in enumerate(rows):
        try:
            a, b = row
        except (TypeError, ValueError):
            raise DrawError(f"{name}[{i}]: expected a pair") from None
        uscc = str(row[uscc_pos])
        if uscc not in drawn:
            continue
        iid = str(row[1 - uscc_pos])
        if not _CODE_RE.match(iid):
            raise DrawError(f"{name}[{i}]: inspector id {iid!r} is not valid")
        out.add((iid, uscc) if uscc_pos == 1 else (uscc, iid))
    return sorted(out)


# --------------------------------------------------------------------------- the draw

def run_draw(pool: Pool, params: DrawParams, randomness: Randomness, *, exclusions=(),
             inspectors=(), conflicts=(), last_inspectors=(), meta: Mapping | None = None,
             engine: str = "auto") -> dict:
    """Make the draw and return its record (a dict; :func:`record_bytes` serialises it).

    ``exclusions``: (uscc, category, higher-level plan id) pairs already sampled by a
    higher-level plan of the same period; ``inspectors``: :class:`InspectorRow` or
    (id, division, categories, workload); ``conflicts``: (inspector id, uscc);
    ``last_inspectors``: (uscc, inspector id) of each enterprise's last check; ``meta``:
    descriptive fields (plan title, period, ...) stored in the record, unused by the draw.
    Raises :class:`DrawError` on bad input and :class:`InspectorShortage` when a task cannot
    get enough inspectors even at the widest allowed area.
    """
    if not isinstance(pool, Pool):
        raise DrawError("pool: expected a Pool")
    # the draw allocates many small lists and no cycles: the cyclic GC only slows it down
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_draw(pool, params, randomness, exclusions, inspectors, conflicts,
                         last_inspectors, meta, engine)
    finally:
        if gc_was_enabled:
            gc.enable()


def _run_draw(pool, params, randomness, exclusions, inspectors, conflicts, last_inspectors, meta, engine):
    params.validate()
    if engine not in ("auto", "reference", "fast"):
        raise DrawError("engine: auto, reference or fast")
    if engine == "auto":
        engine = "fast" if len(pool) >= FAST_THRESHOLD and _fast_available() else "reference"
    seed = derive_seed(randomness.secret, randomness.public_value, params.plan_id)
    randomness.check()
    excl = _in_pool(pool, _normalise_exclusions(exclusions))
    meta = dict(meta or {})
    try:
        json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError):
        raise DrawError("meta: must be JSON data") from None
    hashing = None
    if engine == "fast" and pool._sha256 is None:
        # the pool hash (serialise + SHA-256, 0.5 GB at province scale) runs beside the draw
        hashing = threading.Thread(target=lambda: pool.sha256, name="pool-sha256", daemon=True)
        hashing.start()
    try:
        compute = _result_reference if engine == "reference" else _result_fast
        strata, selected = compute(pool, params, seed, excl)
        drawn = {t[1] for t in selected}
        conf = _relevant_pairs(conflicts, "conflicts", 1, drawn)
        last = _relevant_pairs(last_inspectors, "last_inspectors", 0, drawn)
        insp = _normalise_inspectors(inspectors)
        tasks = _assign(selected, params, seed, insp, conf, last, engine)
    finally:
        if hashing is not None:
            hashing.join()
    result = {
        "strata": strata,
        "tasks": tasks,
        "totals": {"pool": len(pool), "strata": len(strata),
                   "excluded": sum(s["excluded"] for s in strata),
                   "selected": sum(len(s["selected"]) for s in strata)},
    }
    return {
        "algorithm": ALGORITHM,
        "plan_id": params.plan_id,
        "params": params.to_json(),
        "meta": meta,
        "randomness": {"commitment": randomness.commitment, "secret": randomness.secret,
                       "public_value": randomness.public_value,
                       "public_value_source": randomness.public_value_source, "seed": seed,
                       "committed_at": randomness.committed_at,
                       "public_value_at": randomness.public_value_at,
                       "drawn_at": randomness.drawn_at},
        "pool": {"format": POOL_FORMAT, "sha256": pool.sha256, "rows": len(pool)},
        "exclusions": [list(e) for e in excl],
        "inspectors": insp,
        "conflicts": [list(c) for c in conf],
        "last_inspectors": [list(x) for x in last],
        "result": result,
    }


def _selected_entry(item, w_float):
    h, uscc = item[1], item[3]
    return [uscc, f"{h:016x}", repr(key_of(h, w_float))]


def _result_reference(pool: Pool, params: DrawParams, seed: str, excl):
    """Strata and selected rows, row by row with hashlib (the readable definition)."""
    weights = _weights(params)
    excluded = {(u, c) for u, c, _ in excl}
    strata: dict[tuple[int, str], list] = {}
    for uscc, division, category, risk in pool.rows():
        unit = unit_code(int(division), params.strata_level)
        strata.setdefault((unit, category), []).append((uscc, int(division), RISK_CLASSES.index(risk)))
    out, selected = [], []
    for unit, category in sorted(strata):
        name = f"{unit:06d}/{category}"
        rows = strata[(unit, category)]
        eligible = [r for r in rows if (r[0], category) not in excluded]
        by_class = [sum(1 for r in eligible if r[2] == c) for c in range(4)]
        quota = stratum_quota(params, name, by_class)
        items = []
        for uscc, division, risk in eligible:
            h = int.from_bytes(entity_digest(seed, uscc, category)[:8], "big")
            w_exact, w_float = weights[risk]
            items.append((key_of(h, w_float), h, w_exact, uscc, (division, risk)))
        items.sort(key=lambda it: (-it[0], it[3]))
        chosen = exact_order(items)[:quota]
        out.append({"stratum": name, "pool": len(rows), "excluded": len(rows) - len(eligible),
                    "eligible": by_class, "quota": quota,
                    "selected": [_selected_entry(it, weights[it[4][1]][1]) for it in chosen]})
        selected.extend((it[1], it[3], category, it[4][0]) for it in chosen)
    return out, selected


def _result_fast(pool: Pool, params: DrawParams, seed: str, excl):
    """The same strata and selection, vectorised (numpy + compiled kernels)."""
    from . import draw_fast

    n = len(pool)
    if n == 0:
        return [], []
    weights = _weights(params)
    cats = pool.categories
    n_cat = len(cats)
    h = draw_fast.entity_hashes(seed, pool.uscc, pool.category, cats)
    excluded = np.zeros(n, np.bool_)
    if excl:
        cat_index = {c: i for i, c in enumerate(cats)}
        ex_u = np.array([e[0] for e in excl], dtype="S18")
        ex_c = np.array([cat_index.get(e[1], -1) for e in excl], dtype=np.int64)
        lo = np.searchsorted(pool.uscc, ex_u, side="left")
        hi = np.searchsorted(pool.uscc, ex_u, side="right")
        for a, b, c in zip(lo.tolist(), hi.tolist(), ex_c.tolist()):
            if c >= 0 and b > a:
                rows = np.arange(a, b)
                excluded[rows[pool.category[a:b] == c]] = True
    level_unit = {"county": 1, "city": 100, "province": 10000}[params.strata_level]
    w_float = np.array([w[1] for w in weights], np.float64)
    sid, keys, present_units, counts = draw_fast.strata_and_keys(
        pool.division, level_unit, pool.category, n_cat, pool.risk, h, excluded, w_float)
    lut = {int(u): i for i, u in enumerate(present_units.tolist())}
    n_strata = len(present_units) * n_cat
    eligible = ~excluded
    by_class = counts[:, :4]
    eligible_n = by_class.sum(axis=1)
    count_pool = eligible_n + counts[:, 4]
    present = np.flatnonzero(count_pool)
    # quotas, exactly as stratum_quota (vectorised integer arithmetic)
    if params.quota_mode == "count":
        quota = np.minimum(np.int64(params.quota_count), eligible_n)
    else:
        if params.quota_mode == "ratio":
            scaled = _ratio_units("quota_ratio", params.quota_ratio) * eligible_n
        else:
            units = np.array([_ratio_units(c, params.class_ratios[c]) for c in RISK_CLASSES], np.int64)
            scaled = (by_class * units).sum(axis=1)
        quota = (2 * scaled + RATIO_SCALE) // (2 * RATIO_SCALE)
        quota = np.where(eligible_n > 0, np.maximum(quota, params.min_per_stratum), quota)
        quota = np.minimum(quota, eligible_n)
    unit_l = present_units.tolist()
    names = {s: f"{unit_l[s // n_cat]:06d}/{cats[s % n_cat]}" for s in present.tolist()}
    for name, count in params.quota_overrides.items():
        unit_s, cat_s = name.split("/", 1)
        u_i = lut.get(int(unit_s), -1)
        if u_i >= 0 and cat_s in cats:
            s = u_i * n_cat + cats.index(cat_s)
            quota[s] = min(count, int(eligible_n[s]))
    cap = np.where(quota > 0, np.minimum(quota + 1, eligible_n), 0)
    start, size, rows = draw_fast.top_per_stratum(sid, keys, eligible, cap)
    # strata whose top rows hold near-ties are re-ordered exactly from all their rows
    flagged = set()
    if len(rows) > 1:
        k_sorted = keys[np.maximum(rows, 0)]
        owner = np.repeat(np.arange(n_strata), cap)
        same = (owner[1:] == owner[:-1]) & (rows[1:] >= 0) & (rows[:-1] >= 0)
        near = same & (np.abs(k_sorted[1:] - k_sorted[:-1])
                       <= NEAR_TIE * np.maximum(np.abs(k_sorted[1:]), np.abs(k_sorted[:-1])))
        flagged = set(owner[1:][near].tolist())
    out, selected = [], []
    count_l, elig_l, quota_l, start_l = count_pool.tolist(), eligible_n.tolist(), quota.tolist(), start.tolist()
    class_l = by_class.tolist()
    chosen_all = []
    for s in present.tolist():
        q = quota_l[s]
        if s in flagged:
            members = np.flatnonzero((sid == s) & eligible)
            items = [(float(keys[r]), int(h[r]), weights[pool.risk[r]][0], pool.uscc[r].decode(), int(r))
                     for r in members]
            items.sort(key=lambda it: (-it[0], it[3]))
            chosen_all.append([it[4] for it in exact_order(items)[:q]])
        else:
            chosen_all.append(rows[start_l[s]:start_l[s] + q])
    flat = np.concatenate([np.asarray(c, np.int64) for c in chosen_all]) if chosen_all else np.empty(0, np.int64)
    h_l = h[flat].tolist()
    u_l = [u.decode() for u in pool.uscc[flat].tolist()]
    risk_l = pool.risk[flat].tolist()
    div_l = pool.division[flat].tolist()
    w_l = [w[1] for w in weights]
    pos = 0
    for s, chosen in zip(present.tolist(), chosen_all):
        cat = cats[s % n_cat]
        entries = []
        for _ in range(len(chosen)):
            hr = h_l[pos]
            entries.append([u_l[pos], f"{hr:016x}", repr(key_of(hr, w_l[risk_l[pos]]))])
            selected.append((hr, u_l[pos], cat, div_l[pos]))
            pos += 1
        out.append({"stratum": names[s], "pool": count_l[s], "excluded": count_l[s] - elig_l[s],
                    "eligible": class_l[s], "quota": quota_l[s], "selected": entries})
    return out, selected


def _assign(selected, params: DrawParams, seed: str, insp, conf, last, engine: str) -> list:
    """Inspectors for the drawn tasks (see docs/draw.md, "Inspectors").

    Tasks are taken in ascending (h, uscc, category); for each, the candidates are the
    inspectors qualified for the category whose division is in the task's area, minus
    recorded conflicts and the inspectors of the enterprise's last check. The first area
    level with at least k candidates is used (plan level, then wider ones when
    escalate_area). The k candidates with the least running workload are chosen, ties by
    (t_i XOR h, id); each chosen inspector's running workload grows by one."""
    k = params.inspectors_per_task
    tasks = sorted(selected)
    lo = LEVELS.index(params.inspector_area)
    hi = len(LEVELS) - 1 if params.escalate_area else lo
    if not tasks:
        return []
    blocked: dict[str, set] = {}
    for iid, uscc in conf:
        blocked.setdefault(uscc, set()).add(iid)
    for uscc, iid in last:
        blocked.setdefault(uscc, set()).add(iid)
    ids = [row[0] for row in insp]
    tie = [inspector_tiebreak(seed, i) for i in ids]
    if engine == "fast" and len(tasks) > 200:
        return _assign_fast(tasks, insp, ids, tie, blocked, k, lo, hi)
    index: dict[tuple[int, str], list[int]] = {}
    for n_i, (iid, div, cats, _load) in enumerate(insp):
        for c in cats:
            index.setdefault((int(div), c), []).append(n_i)
    load = [row[3] for row in insp]
    out = []
    for h, uscc, category, division in tasks:
        no = blocked.get(uscc, ())
        for lvl in range(lo, hi + 1):
            cands = [n_i for d in area_divisions(division, LEVELS[lvl])
                     for n_i in index.get((d, category), ()) if ids[n_i] not in no]
            if len(cands) >= k:
                break
        else:
            raise _shortage(uscc, category, division, k, len(cands), LEVELS[hi])
        cands.sort(key=lambda n_i: (load[n_i], tie[n_i] ^ h, n_i))
        chosen = cands[:k]
        for n_i in chosen:
            load[n_i] += 1
        out.append([uscc, category, LEVELS[lvl], [ids[n_i] for n_i in chosen]])
    return out


def _shortage(uscc, category, division, k, found, level):
    return InspectorShortage(
        f"task {uscc}/{category} (division {division:06d}): only {found} eligible inspector(s) "
        f"at area level {level!r}, {k} required; add qualified inspectors or widen inspector_area")


def _assign_fast(tasks, insp, ids, tie, blocked, k, lo, hi):
    from . import draw_fast

    cat_names = sorted({t[2] for t in tasks})
    cat_index = {c: i for i, c in enumerate(cat_names)}
    n_cat = len(cat_names)
    per = [[cat_index[c] for c in row[2] if c in cat_index] for row in insp]
    lens = np.array([len(p) for p in per], np.int64)
    pair_i = np.repeat(np.arange(len(insp), dtype=np.int64), lens)
    pair_c = np.array(list(chain.from_iterable(per)), np.int64)
    pair_k = np.repeat(np.array([int(row[1]) for row in insp], np.int64), lens) * n_cat + pair_c
    order = np.lexsort((pair_i, pair_k))
    pair_k, pair_i = pair_k[order], pair_i[order]
    keys, first = np.unique(pair_k, return_index=True)
    pair_start = np.append(first, len(pair_k)).astype(np.int64)
    id_index = {iid: n for n, iid in enumerate(ids)}
    blocked_idx = {u: sorted(id_index[i] for i in v if i in id_index) for u, v in blocked.items()}
    ex_lists = [blocked_idx.get(t[1], ()) for t in tasks]
    ex_start = np.zeros(len(tasks) + 1, np.int64)
    np.cumsum([len(x) for x in ex_lists], out=ex_start[1:])
    ex_rows = list(chain.from_iterable(ex_lists))
    task_h = np.array([t[0] for t in tasks], np.uint64)
    failed, chosen, level = draw_fast.assign(
        np.array([t[3] for t in tasks], np.int64), np.array([cat_index[t[2]] for t in tasks], np.int64),
        task_h, np.array(ex_start, np.int64), np.array(ex_rows, np.int64), keys, pair_start, pair_i,
        n_cat, np.array(tie, np.uint64), np.array([row[3] for row in insp], np.int64), k, lo, hi)
    if failed >= 0:
        h, uscc, category, division = tasks[failed]
        no = blocked.get(uscc, ())
        found = sum(1 for iid, div, cats, _ in insp
                    if int(div) in area_divisions(division, LEVELS[hi]) and category in cats and iid not in no)
        raise _shortage(uscc, category, division, k, found, LEVELS[hi])
    level_names = [LEVELS[i] for i in level.tolist()]
    names = np.array(ids, dtype=object)[chosen].tolist()
    return [[t[1], t[2], lv, nm] for t, lv, nm in zip(tasks, level_names, names)]


# --------------------------------------------------------------------------- record

def _canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _canonical_parts(record: Mapping) -> dict:
    """Each top-level member serialised once: the canonical JSON of an object is
    ``{`` + the sorted ``"key":value`` members joined by commas + ``}``."""
    return {k: _canonical_json(k) + b":" + _canonical_json(v)
            for k, v in record.items() if k != "record_sha256"}


def _join(parts: dict) -> bytes:
    return b"{" + b",".join(parts[k] for k in sorted(parts)) + b"}"


def record_sha256(record: Mapping) -> str:
    """SHA-256 of the canonical JSON of the record without its ``record_sha256`` field."""
    return hashlib.sha256(_join(_canonical_parts(record))).hexdigest()


def record_bytes(record: Mapping) -> bytes:
    """The record file: canonical JSON (sorted keys, no spaces, UTF-8) with its
    ``record_sha256``, and a final line feed."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        parts = _canonical_parts(record)
    finally:
        if gc_was_enabled:
            gc.enable()
    digest = hashlib.sha256(_join(parts)).hexdigest()
    parts["record_sha256"] = _canonical_json("record_sha256") + b":" + _canonical_json(digest)
    return _join(parts) + b"\n"


def load_record(data: bytes) -> dict:
    """Parse a record file; it must be canonical and its ``record_sha256`` must match."""
    try:
        text = bytes(data).decode("utf-8")
        record = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise RecordError(f"record is not UTF-8 JSON: {exc}") from None
    if not isinstance(record, dict):
        raise RecordError("record is not a JSON object")
    if "record_sha256" not in record:
        raise RecordError("record has no record_sha256")
    if _canonical_json(record) + b"\n" != bytes(data):
        raise RecordError("record file is not in canonical form (sorted keys, no spaces, UTF-8, final LF)")
    if record_sha256(record) != record["record_sha256"]:
        raise RecordError("record_sha256 does not match the record's content")
    return record


@dataclass(frozen=True)
class VerifyResult:
    match: bool
    first_difference: str = ""

    def __bool__(self) -> bool:
        return self.match


def recompute(record: Mapping, pool: Pool, engine: str = "reference") -> dict:
    """Re-run the draw from a record's inputs over ``pool``."""
    for name in ("algorithm", "params", "randomness", "exclusions", "inspectors", "conflicts",
                 "last_inspectors", "meta", "plan_id"):
        if name not in record:
            raise RecordError(f"record has no {name!r}")
    params = DrawParams.from_json(record["params"])
    rnd = record["randomness"]
    if not isinstance(rnd, Mapping):
        raise RecordError("randomness is not an object")
    randomness = Randomness(secret=rnd.get("secret"), public_value=rnd.get("public_value"),
                            public_value_source=rnd.get("public_value_source", ""),
                            **{name: rnd.get(name) for name in TIME_FIELDS})
    return run_draw(pool, params, randomness, exclusions=record["exclusions"],
                    inspectors=record["inspectors"], conflicts=record["conflicts"],
                    last_inspectors=record["last_inspectors"], meta=record["meta"], engine=engine)


def verify(record_data, pool_data: bytes, engine: str = "reference") -> VerifyResult:
    """Recompute a published draw from its record file and its pool file.

    Checks, in this order: the record parses; the algorithm version; commitment =
    SHA-256(secret); the seed; the order of the commitment, announcement and draw times;
    the pool file's SHA-256 and row count; the pool file is
    canonical; the recomputed strata, selections and inspector assignments; the record's
    own hash and canonical form. Returns the first difference found; a record so damaged
    that it cannot even be compared is a mismatch too, never an exception."""
    try:
        return _verify(record_data, pool_data, engine)
    except Exception as exc:  # noqa: BLE001 - a verifier reports, it does not crash
        return VerifyResult(False, f"the record cannot be checked: {type(exc).__name__}: {exc}")


def _verify(record_data, pool_data, engine) -> VerifyResult:
    raw = record_data if isinstance(record_data, (bytes, bytearray)) else record_bytes(record_data)
    try:
        record = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return VerifyResult(False, f"record is not UTF-8 JSON: {exc}")
    if not isinstance(record, dict):
        return VerifyResult(False, "record is not a JSON object")
    if record.get("algorithm") != ALGORITHM:
        return VerifyResult(False, f"algorithm: expected {ALGORITHM!r}, record has {record.get('algorithm')!r}")
    rnd = record.get("randomness")
    if not isinstance(rnd, dict):
        return VerifyResult(False, "record has no randomness object")
    try:
        if commitment_of(rnd.get("secret")) != rnd.get("commitment"):
            return VerifyResult(False, "commitment: SHA-256 of the revealed secret is "
                                f"{commitment_of(rnd.get('secret'))}, record has {rnd.get('commitment')}")
        seed = derive_seed(rnd.get("secret"), rnd.get("public_value"), record.get("plan_id"))
    except DrawError as exc:
        return VerifyResult(False, f"randomness: {exc}")
    if seed != rnd.get("seed"):
        return VerifyResult(False, f"seed: expected {seed}, record has {rnd.get('seed')}")
    try:
        check_times(*(rnd.get(name) for name in TIME_FIELDS))
    except DrawError as exc:
        return VerifyResult(False, str(exc))
    pool_info = record.get("pool") if isinstance(record.get("pool"), dict) else {}
    pool_sha = hashlib.sha256(bytes(pool_data)).hexdigest()
    if pool_info.get("format") != POOL_FORMAT:
        return VerifyResult(False, f"pool format: expected {POOL_FORMAT!r}, record has {pool_info.get('format')!r}")
    if pool_sha != pool_info.get("sha256"):
        return VerifyResult(False, f"pool sha256: the pool file hashes to {pool_sha}, "
                            f"record has {pool_info.get('sha256')}")
    try:
        pool = Pool.from_bytes(pool_data)
    except PoolFormatError as exc:
        return VerifyResult(False, f"pool file: {exc}")
    if len(pool) != pool_info.get("rows"):
        return VerifyResult(False, f"pool rows: the pool file has {len(pool)}, record has {pool_info.get('rows')}")
    try:
        expected = recompute(record, pool, engine=engine)
    except DrawError as exc:
        return VerifyResult(False, f"the record's inputs do not give a draw: {exc}")
    diff = _first_difference(expected, record)
    if diff:
        return VerifyResult(False, diff)
    if record.get("record_sha256") != record_sha256(record):
        return VerifyResult(False, f"record_sha256: expected {record_sha256(record)}, "
                            f"record has {record.get('record_sha256')}")
    if record_bytes(record) != bytes(raw):
        return VerifyResult(False, "record file is not in canonical form (sorted keys, no spaces, UTF-8, final LF)")
    return VerifyResult(True, "")


def _keys_equal(a, b) -> bool:
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return isinstance(b, str) and (x == y or abs(x - y) <= 1e-12 * max(abs(x), abs(y)))


def _first_difference(expected: Mapping, record: Mapping) -> str:
    """The first field where the record differs from the recomputed draw."""
    for name in ("plan_id", "params", "meta", "randomness", "pool", "exclusions", "inspectors",
                 "conflicts", "last_inspectors"):
        if expected.get(name) != record.get(name):
            return f"{name}: the record's {name} is not in canonical form or differs from its recomputation"
    exp, got = expected["result"], record.get("result")
    if not isinstance(got, dict):
        return "result: missing"
    es, gs = exp["strata"], got.get("strata")
    if not isinstance(gs, list):
        return "result.strata: missing"
    for i, e in enumerate(es):
        if i >= len(gs):
            return f"stratum {e['stratum']}: expected at position {i + 1}, the record has only {len(gs)} strata"
        g = gs[i]
        if not isinstance(g, dict) or g.get("stratum") != e["stratum"]:
            name = g.get("stratum") if isinstance(g, dict) else g
            return f"strata position {i + 1}: expected stratum {e['stratum']}, record has {name}"
        for f in ("pool", "excluded", "eligible", "quota"):
            if g.get(f) != e[f]:
                return f"stratum {e['stratum']}: {f} expected {e[f]}, record has {g.get(f)}"
        sel = g.get("selected")
        if not isinstance(sel, list):
            return f"stratum {e['stratum']}: selected missing"
        for j, ee in enumerate(e["selected"]):
            if j >= len(sel):
                return f"stratum {e['stratum']}: expected {ee[0]} at position {j + 1}, record has nothing"
            gg = sel[j]
            if not isinstance(gg, list) or len(gg) != 3 or gg[0] != ee[0]:
                shown = gg[0] if isinstance(gg, list) and gg else gg
                return f"stratum {e['stratum']}: expected {ee[0]} at position {j + 1}, record has {shown}"
            if gg[1] != ee[1]:
                return f"stratum {e['stratum']}: {ee[0]} hash prefix expected {ee[1]}, record has {gg[1]}"
            if not _keys_equal(ee[2], gg[2]):
                return f"stratum {e['stratum']}: {ee[0]} key expected {ee[2]}, record has {gg[2]}"
        if len(sel) > len(e["selected"]):
            return (f"stratum {e['stratum']}: expected {len(e['selected'])} selected, record has "
                    f"{len(sel)} (extra {sel[len(e['selected'])]!r})")
        extra = set(g) - set(e)
        if extra:
            return f"stratum {e['stratum']}: unexpected fields {sorted(extra)}"
    if len(gs) > len(es):
        return f"strata: expected {len(es)}, record has {len(gs)} (extra {gs[len(es)]!r})"
    et, gt = exp["tasks"], got.get("tasks")
    if not isinstance(gt, list):
        return "result.tasks: missing"
    for i, e in enumerate(et):
        if i >= len(gt):
            return f"task {i + 1} ({e[0]}/{e[1]}): missing from the record"
        if gt[i] != e:
            return f"task {i + 1}: expected {e[0]}/{e[1]} area {e[2]} inspectors {e[3]}, record has {gt[i]}"
    if len(gt) > len(et):
        return f"tasks: expected {len(et)}, record has {len(gt)}"
    if got.get("totals") != exp["totals"]:
        return f"result.totals: expected {exp['totals']}, record has {got.get('totals')}"
    extra = set(got) - set(exp)
    if extra:
        return f"result: unexpected fields {sorted(extra)}"
    extra = set(record) - set(expected) - {"record_sha256"}
    if extra:
        return f"record: unexpected fields {sorted(extra)}"
    return ""
