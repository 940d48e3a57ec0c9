"""Deterministic generator of realistic registry data (demo, city and province scale).

* ``enterprise_table(n, seed)`` -- ``n`` market entities as an Arrow table with the
  importer's column names (``ENTERPRISE_COLUMNS``).
* ``load_demo(seed)`` -- about 20,000 enterprises with products, standards,
  declarations, certifications, inspectors, labs, awards and brands, bulk-loaded
  into the database in one transaction with one audit entry; idempotent.
* ``write_parquet(out_dir, scale=..., seed=...)`` -- city or province scale
  (14 million entities) as Parquet files, written in row groups of about a
  million rows, without the ORM.

Everything is drawn from numpy ``Generator(PCG64)`` streams derived from the
seed, so the same seed gives byte-identical Parquet files and identical database
rows. Columns are built vectorised (numpy over character codes, pyarrow compute
for string concatenation); no Python loop runs per enterprise. The province comes
from ``settings.ZHIJIAN_PROVINCE_CODE``; divisions, industries and the product
catalog come from the reference data (CSV files for Parquet output, the database
tables for the demo load). The tables of weights and words are in
``generator_data``.
"""
from __future__ import annotations

import csv
import datetime
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import generator_data as D
from . import uscc as gb32100
from .identifiers import make_uscc

GENERATOR_VERSION = 1
#: Parquet output draws its dates relative to this fixed day (not "today"), so the same seed
#: gives the same bytes on any day. The demo load (``load_demo``) passes today instead, so the
#: demo data looks current whenever it is loaded.
REFERENCE_DATE = datetime.date(2025, 12, 31)
_EPOCH = datetime.date(1970, 1, 1)

#: Rows per generation chunk and Parquet row group. Fixed: output depends on it.
CHUNK_ROWS = 1_000_000
SCALES = ("demo", "city", "province")
DEMO_ENTERPRISES = 20_000

ENTERPRISE_COLUMNS = ["uscc", "name", "division", "industry", "address", "legal_representative",
                      "established_on", "registered_capital", "scale", "status", "phone"]
ENTERPRISE_SCHEMA = pa.schema([
    ("uscc", pa.string()), ("name", pa.string()), ("division", pa.string()),
    ("industry", pa.string()), ("address", pa.string()), ("legal_representative", pa.string()),
    ("established_on", pa.date32()), ("registered_capital", pa.float64()),
    ("scale", pa.string()), ("status", pa.string()), ("phone", pa.string()),
])
PRODUCT_SCHEMA = pa.schema([
    ("enterprise_uscc", pa.string()), ("category", pa.string()), ("name", pa.string()),
    ("brand", pa.string()), ("model_number", pa.string()), ("barcode", pa.string()),
])
INSPECTOR_SCHEMA = pa.schema([
    ("badge_number", pa.string()), ("name", pa.string()), ("division", pa.string()),
    ("categories", pa.list_(pa.string())), ("status", pa.string()), ("phone", pa.string()),
])
LAB_SCHEMA = pa.schema([
    ("accreditation_number", pa.string()), ("name", pa.string()), ("uscc", pa.string()),
    ("division", pa.string()), ("level", pa.string()), ("scope_text", pa.string()),
    ("categories", pa.list_(pa.string())), ("accredited_until", pa.date32()),
    ("status", pa.string()),
])

# USCC serials: enterprises use 10^7 .. 10^8-1 (a seeded affine permutation of the
# row number, so every row has its own); lab serials start at LAB_SERIAL_BASE;
# serials below that are left to hand-made rows (tests, imports).
SERIAL_BASE = 10_000_000
SERIAL_SPACE = 90_000_000
LAB_SERIAL_BASE = 5_000_000

# Independent random streams: (seed, stream[, chunk]) -> PCG64.
_S_SERIAL, _S_ENTERPRISE, _S_PRODUCT, _S_INSPECTOR, _S_LAB, _S_DEMO = range(1, 7)

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ASCII_VALUE = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(_USCC_ALPHABET):
    _ASCII_VALUE[ord(_c)] = _i
_ALPHABET_ASCII = np.frombuffer(_USCC_ALPHABET.encode(), dtype=np.uint8)


def _rng(seed: int, *keys: int) -> np.random.Generator:
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, *keys])))


def _pick(rng: np.random.Generator, shares, n: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) shares."""
    cum = np.cumsum(np.asarray(shares, dtype=np.float64))
    return np.searchsorted(cum / cum[-1], rng.random(n), side="right").clip(0, len(cum) - 1)


# --------------------------------------------------------------------------- string building


def _ascii_strings(mat: np.ndarray) -> pa.StringArray:
    """Rows of an (n, w) uint8 matrix of ASCII codes as an Arrow string array (no copy per row)."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    n, w = mat.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets),
                                                   pa.py_buffer(mat.reshape(-1))])


def _digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of ``values`` as ASCII codes, shape (n, width)."""
    pows = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((np.asarray(values, dtype=np.int64)[:, None] // pows) % 10 + 48).astype(np.uint8)


def _digits(values: np.ndarray, width: int) -> pa.StringArray:
    return _ascii_strings(_digit_matrix(values, width))


def _take(vocab: pa.Array, idx: np.ndarray) -> pa.Array:
    return vocab.take(pa.array(np.asarray(idx, dtype=np.int64)))


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _vocab(values: Iterable[str]) -> pa.StringArray:
    return pa.array(list(values), type=pa.string())


def uscc_check_chars(first17: np.ndarray) -> np.ndarray:
    """GB 32100 check characters (ASCII codes) of an (n, 17) matrix of ASCII codes."""
    values = _ASCII_VALUE[first17.astype(np.int64)]
    if (values < 0).any():
        raise ValueError("characters outside the USCC alphabet")
    total = values @ _USCC_WEIGHTS
    return _ALPHABET_ASCII[(31 - total % 31) % 31]


def _uscc_matrix(division_ascii: np.ndarray, serials: np.ndarray, authority="9", kind="1"):
    """Valid USCCs as an (n, 18) ASCII matrix: authority, kind, division, GB 11714 code, check."""
    n = len(serials)
    mat = np.empty((n, 18), dtype=np.uint8)
    mat[:, 0] = ord(authority)
    mat[:, 1] = ord(kind)
    mat[:, 2:8] = division_ascii
    body = _digit_matrix(serials, 8)
    mat[:, 8:16] = body
    check = 11 - ((body.astype(np.int64) - 48) @ _ORG_WEIGHTS) % 11
    mat[:, 16] = np.where(check == 11, 48, np.where(check == 10, ord("X"), check + 48))
    mat[:, 17] = uscc_check_chars(mat[:, :17])
    return mat


def _verify_sample(usccs: pa.Array, k: int = 64) -> None:
    """Cross-check the vectorised codes against the GB 32100 validator on a sample."""
    n = len(usccs)
    for i in sorted({0, n - 1, *range(0, n, max(1, n // k))}):
        if n == 0:
            break
        code = usccs[i].as_py()
        if not gb32100.is_valid(code):
            raise RuntimeError(f"generated USCC {code} (row {i}) fails GB 32100 validation")


# --------------------------------------------------------------------------- reference data


def _csv_rows(name: str):
    from .reference import data_dir

    with open(data_dir() / name, encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def _short_place(name: str) -> str:
    """苏州市 -> 苏州, 吴中区 -> 吴中, 丰县 -> 丰县, 江苏省 -> 江苏."""
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市",
                   "区", "县"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def county_type(code: str) -> str:
    """GB/T 2260 county-level type from the code's last two digits."""
    last = int(code[-2:])
    if 1 <= last <= 20:
        return "district"
    if last >= 81:
        return "city"
    return "county"


@dataclass
class Geography:
    """The province's leaf divisions (where entities register) and their weights."""

    province_code: str
    province_name: str
    unit_codes: list[str]       # prefecture-level cities (or counties directly under the province)
    unit_names: list[str]
    unit_shares: np.ndarray
    leaf_codes: list[str]       # county-level divisions (or a city without counties)
    leaf_names: list[str]
    leaf_unit: np.ndarray
    leaf_shares: np.ndarray

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str, str]], province_code: str,
              city: str | None = None) -> "Geography":
        """From (code, name, parent_code, level) rows of GB/T 2260."""
        by_code, children = {}, {}
        for code, name, parent, level in rows:
            by_code[code] = (name, level)
            children.setdefault(parent or "", []).append(code)
        if province_code not in by_code or by_code[province_code][1] != "province":
            raise ValueError(f"{province_code} is not a province code in the division table")
        units = sorted(children.get(province_code, []))
        if not units:
            raise ValueError(f"province {province_code} has no divisions below it")
        raw = D.CITY_WEIGHTS.get(province_code, {})
        known = [raw[u] for u in units if u in raw]
        fallback = float(np.mean(known)) if known else 1.0
        unit_w = np.array([raw.get(u, fallback) for u in units], dtype=np.float64)
        if city is not None:
            if city not in units:
                raise ValueError(f"{city} is not a city of province {province_code}")
            unit_w = np.where(np.array(units) == city, 1.0, 0.0)
        unit_shares = unit_w / unit_w.sum()
        leaf_codes, leaf_unit, leaf_w = [], [], []
        for ui, unit in enumerate(units):
            if unit_shares[ui] == 0:
                continue
            leaves = sorted(c for c in children.get(unit, []) if by_code[c][1] == "county")
            if by_code[unit][1] == "county" or not leaves:
                leaves = [unit]
            weights = np.array([1.0 if leaf == unit else D.COUNTY_TYPE_WEIGHTS[county_type(leaf)]
                                for leaf in leaves])
            leaf_codes += leaves
            leaf_unit += [ui] * len(leaves)
            leaf_w += list(unit_shares[ui] * weights / weights.sum())
        leaf_w = np.array(leaf_w)
        return cls(province_code, by_code[province_code][0], units, [by_code[u][0] for u in units],
                   unit_shares, leaf_codes, [by_code[c][0] for c in leaf_codes],
                   np.array(leaf_unit, dtype=np.int64), leaf_w / leaf_w.sum())

    @classmethod
    def from_csv(cls, province_code: str, city: str | None = None) -> "Geography":
        prefix = province_code[:2]
        rows = [(r["code"], r["name"], r["parent_code"], r["level"])
                for r in _csv_rows("divisions_gbt2260_2024.csv") if r["code"].startswith(prefix)]
        return cls.build(rows, province_code, city)

    @classmethod
    def from_db(cls, province_code: str, city: str | None = None) -> "Geography":
        from .models import Division

        rows = Division.objects.filter(code__startswith=province_code[:2]).values_list(
            "code", "name", "parent_id", "level")
        return cls.build(rows, province_code, city)


def _expand_division_keys(table: dict[str, list]) -> dict[str, list]:
    out = {}
    for key, value in table.items():
        lo, _, hi = key.partition("-")
        for d in range(int(lo), int(hi or lo) + 1):
            out[f"{d:02d}"] = value
    return out


@dataclass
class Industries:
    """GB/T 4754 level-4 classes with sampling shares and name words."""

    codes: list[str]
    sections: np.ndarray  # one-letter section per class
    shares: np.ndarray
    word_vocab: pa.StringArray
    word_offset: np.ndarray
    word_count: np.ndarray

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str]]) -> "Industries":
        """From (level-4 code, section) rows."""
        rows = sorted(rows)
        codes = [c for c, _ in rows]
        sections = np.array([s for _, s in rows])
        divs = [c[:2] for c in codes]
        n_in_div, div_w_sum = {}, {}
        for d, s in zip(divs, sections):
            n_in_div[d] = n_in_div.get(d, 0) + 1
        div_w = {d: (D.DIVISION_WEIGHTS.get(d, 1.0) if s == "C" else 1.0)
                 for d, s in zip(divs, sections)}
        for d, s in zip(divs, sections):
            div_w_sum.setdefault(s, {})[d] = div_w[d]
        shares = np.array([D.SECTION_WEIGHTS.get(s, 0.0) * div_w[d] / sum(div_w_sum[s].values())
                           / n_in_div[d] for d, s in zip(divs, sections)])
        if shares.sum() <= 0:
            raise ValueError("no industry classes with a positive weight")
        words = _expand_division_keys(D.INDUSTRY_WORDS)
        vocab, offset, count = [], [], []
        for d in divs:
            ws = words.get(d, ["实业"])
            offset.append(len(vocab))
            count.append(len(ws))
            vocab += ws
        return cls(codes, sections, shares / shares.sum(), _vocab(vocab),
                   np.array(offset, dtype=np.int64), np.array(count, dtype=np.int64))

    @classmethod
    def from_csv(cls) -> "Industries":
        return cls.build((r["code"], r["section"]) for r in _csv_rows("industries_gbt4754_2017.csv")
                         if r["level"] == "4")

    @classmethod
    def from_db(cls) -> "Industries":
        from .models import Industry

        return cls.build(Industry.objects.filter(level=4).values_list("code", "section"))


def _short_product_name(name: str) -> str:
    for bracket in ("(", "（"):
        name = name.split(bracket)[0]
    return name.strip()


@dataclass
class Catalog:
    """Key-supervised product categories, and which industries make them."""

    codes: list[str]
    names: list[str]
    groups: list[str]
    ccc: np.ndarray
    licence: np.ndarray
    group_names: list[str]
    group_of: np.ndarray  # category -> group index

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, str, bool, bool]]) -> "Catalog":
        """From (code, name, group, ccc_required, licence_required) rows."""
        rows = sorted(rows)
        if not rows:
            raise ValueError("the key-supervised product catalog is empty (load reference data)")
        groups = [r[2] for r in rows]
        group_names = sorted(set(groups))
        return cls([r[0] for r in rows], [r[1] for r in rows], groups,
                   np.array([bool(r[3]) for r in rows]), np.array([bool(r[4]) for r in rows]),
                   group_names, np.array([group_names.index(g) for g in groups], dtype=np.int64))

    @classmethod
    def from_csv(cls) -> "Catalog":
        from .reference import CATALOG, data_dir, read_edition

        _, rows = read_edition(data_dir() / CATALOG.filename, CATALOG)
        return cls.build((r["code"], r["name"], r["group"], r["ccc_required"], r["licence_required"])
                         for r in rows)

    @classmethod
    def from_db(cls) -> "Catalog":
        from .models import ProductCategory

        return cls.build(ProductCategory.objects.filter(key_supervised=True).values_list(
            "code", "name", "group", "ccc_required", "licence_required"))

    @property
    def short_names(self) -> list[str]:
        return [_short_product_name(n) for n in self.names]

    def group_members(self) -> tuple[np.ndarray, np.ndarray]:
        """CSR (offsets, category indices) of the categories of each group."""
        order = np.argsort(self.group_of, kind="stable")
        counts = np.bincount(self.group_of, minlength=len(self.group_names))
        return np.concatenate([[0], np.cumsum(counts)]), order

    def eligibility(self, industries: Industries) -> tuple[np.ndarray, np.ndarray]:
        """CSR (offsets, category indices) of the categories each industry class makes."""
        makers: dict[str, set[int]] = {}
        for i in range(len(self.codes)):
            for prefix in self.industry_prefixes(i):
                makers.setdefault(prefix, set()).add(i)
        offsets, values = [0], []
        for code in industries.codes:
            made = set().union(*(makers.get(code[:k], ()) for k in range(1, len(code) + 1)))
            values += sorted(made)
            offsets.append(len(values))
        return np.array(offsets, dtype=np.int64), np.array(values, dtype=np.int64)

    def industry_prefixes(self, i: int) -> tuple[str, ...]:
        """GB/T 4754 code prefixes of the industries that make category ``i``."""
        name = self.names[i]
        for keywords, prefixes in D.CATEGORY_INDUSTRIES:
            if any(k in name for k in keywords):
                return tuple(prefixes)
        return tuple(D.GROUP_INDUSTRIES.get(self.groups[i], D.DEFAULT_GROUP_INDUSTRIES))


# --------------------------------------------------------------------------- the enterprise generator


class EnterpriseGenerator:
    """Generates enterprises chunk by chunk; chunk ``k`` covers rows k*CHUNK_ROWS...

    Row ``i``'s division depends only on (seed, i), and its USCC serial too, so
    the first rows of a run are the same whatever the total ``n``.
    """

    def __init__(self, seed: int, geography: Geography, industries: Industries, catalog: Catalog,
                 reference_date: datetime.date = REFERENCE_DATE):
        self.seed, self.geo, self.ind, self.catalog = seed, geography, industries, catalog
        self.reference_date = reference_date
        self.ref_days = (reference_date - _EPOCH).days
        g = geography
        srng = _rng(seed, _S_SERIAL)
        # a multiplier coprime to SERIAL_SPACE (= 2^7 * 3^2 * 5^7) makes a permutation
        while True:
            a = int(srng.integers(SERIAL_SPACE // 10, SERIAL_SPACE))
            if math.gcd(a, SERIAL_SPACE) == 1:
                break
        self.serial_a, self.serial_b = a, int(srng.integers(0, SERIAL_SPACE))
        self.leaf_cum = np.cumsum(g.leaf_shares)
        self.leaf_cum /= self.leaf_cum[-1]
        self.ind_cum = np.cumsum(industries.shares)
        self.ind_cum /= self.ind_cum[-1]
        self.leaf_ascii = np.array([list(c.encode()) for c in g.leaf_codes], dtype=np.uint8)
        self.leaf_vocab = _vocab(g.leaf_codes)
        self.industry_vocab = _vocab(industries.codes)
        # place names for enterprise names: city, own county (counties and county-level
        # cities only), province
        prov_short = _short_place(g.province_name)
        places = []
        for code, name, ui in zip(g.leaf_codes, g.leaf_names, g.leaf_unit):
            unit_short = _short_place(g.unit_names[ui])
            own = _short_place(name) if code != g.unit_codes[ui] and county_type(code) != "district" \
                else unit_short
            places += [unit_short, own, prov_short]
        self.place_vocab = _vocab(places)
        prefixes = []
        for code, name, ui in zip(g.leaf_codes, g.leaf_names, g.leaf_unit):
            unit_code, unit_name = g.unit_codes[ui], g.unit_names[ui]
            prefixes.append(g.province_name + (unit_name if unit_code != code else "")
                            + name if code != g.province_code else name)
        self.address_prefix = _vocab(prefixes)
        area = [D.PHONE_AREA_CODES.get(g.unit_codes[ui], "") for ui in g.leaf_unit]
        self.leaf_area = _vocab(area)
        self.leaf_has_area = np.array([bool(a) for a in area])
        self.stem_vocab = _vocab(D.STEM_CHARS)
        self.surname_vocab = _vocab([s for s, _ in D.SURNAMES])
        self.surname_shares = [w for _, w in D.SURNAMES]
        self.given_vocab = _vocab([""] + D.GIVEN_NAME_CHARS)
        self.road_vocab = _vocab(D.ROAD_STEMS)
        self.road_suffix_vocab = _vocab(D.ROAD_SUFFIXES)
        self.suffix_vocab = _vocab([s for s, _ in D.SUFFIXES])
        self.suffix_shares = [w for _, w in D.SUFFIXES]
        self.mobile_vocab = _vocab(D.MOBILE_PREFIXES)
        self.scale_vocab = _vocab([s for s, _ in D.SCALE_THRESHOLDS] + ["micro"])
        self.status_vocab = _vocab([s for s, _ in D.STATUS_SHARES])
        self.status_shares = [w for _, w in D.STATUS_SHARES]
        self.elig_offsets, self.elig_values = catalog.eligibility(industries)
        self.elig_count = np.diff(self.elig_offsets)
        self.category_vocab = _vocab(catalog.codes)
        self.product_name_vocab = _vocab(catalog.short_names)

    # -- enterprises

    def chunk(self, k: int, n: int) -> tuple[pa.Table, dict]:
        """Rows ``k*CHUNK_ROWS .. k*CHUNK_ROWS+n-1``: the public table and internal arrays."""
        if not 0 < n <= CHUNK_ROWS:
            raise ValueError("chunk size out of range")
        rng = _rng(self.seed, _S_ENTERPRISE, k)
        start = k * CHUNK_ROWS
        # the division is drawn first so that it does not depend on n (see class doc)
        leaf = np.searchsorted(self.leaf_cum, rng.random(n), side="right").clip(0, len(self.leaf_cum) - 1)
        ind = np.searchsorted(self.ind_cum, rng.random(n), side="right").clip(0, len(self.ind_cum) - 1)
        section = self.ind.sections[ind]

        serial = SERIAL_BASE + (self.serial_a * np.arange(start, start + n, dtype=np.int64)
                                + self.serial_b) % SERIAL_SPACE
        uscc = _ascii_strings(_uscc_matrix(self.leaf_ascii[leaf], serial))

        status = _pick(rng, self.status_shares, n)
        log_cap = rng.normal(math.log(D.CAPITAL_MEDIAN), D.CAPITAL_SIGMA, n)
        capital = np.round(np.clip(np.exp(log_cap), D.CAPITAL_MIN, D.CAPITAL_MAX), 2)
        score = (log_cap - math.log(D.CAPITAL_MEDIAN)) / D.CAPITAL_SIGMA * 0.8 + rng.normal(0, 0.6, n)
        scale = np.full(n, len(D.SCALE_THRESHOLDS), dtype=np.int64)
        for i, (_, threshold) in reversed(list(enumerate(D.SCALE_THRESHOLDS))):
            scale[score > threshold] = i
        age = np.where(rng.random(n) < D.AGE_TAIL_SHARE,
                       rng.random(n) * D.MAX_AGE_YEARS * 365.25,
                       rng.exponential(D.AGE_MEAN_DAYS, n))
        age = np.minimum(age, D.MAX_AGE_YEARS * 365.25).astype(np.int32)
        established = pa.array(self.ref_days - age, type=pa.int32()).cast(pa.date32())

        # name: place + trade name (two characters) + industry word + organisation form
        n_stem = len(D.STEM_CHARS)
        stem1 = rng.integers(0, n_stem, n)
        stem2 = (stem1 + rng.integers(1, n_stem, n)) % n_stem
        u_place = rng.random(n)
        place = leaf * 3 + np.where(u_place < 0.65, 0, np.where(u_place < 0.95, 1, 2))
        word = self.ind.word_offset[ind] + (rng.random(n) * self.ind.word_count[ind]).astype(np.int64)
        suffix = _pick(rng, self.suffix_shares, n)
        names = [s for s, _ in D.SUFFIXES]
        i_ltd, i_factory = names.index("有限公司"), names.index("厂")
        i_shop = [names.index("经营部"), names.index("商行")]
        i_jsc = names.index("股份有限公司")
        suffix = np.where((suffix == i_factory) & (section != "C"), i_ltd, suffix)
        suffix = np.where(np.isin(suffix, i_shop) & ~np.isin(section, ["F", "H"]), i_ltd, suffix)
        suffix = np.where((scale == 0) & (rng.random(n) < 0.4), i_jsc, suffix)
        name = _join(_take(self.place_vocab, place), _take(self.stem_vocab, stem1),
                     _take(self.stem_vocab, stem2), _take(self.ind.word_vocab, word),
                     _take(self.suffix_vocab, suffix))

        road = rng.integers(0, len(D.ROAD_STEMS), n)
        road_suffix = rng.integers(0, len(D.ROAD_SUFFIXES), n)
        number = pa.array(rng.integers(1, 1000, n).astype(np.int32)).cast(pa.string())
        address = _join(_take(self.address_prefix, leaf), _take(self.road_vocab, road),
                        _take(self.road_suffix_vocab, road_suffix), number, pa.scalar("号"))

        legal = self._person_names(rng, n)

        landline = self.leaf_has_area[leaf] & (rng.random(n) < D.LANDLINE_SHARE)
        local = rng.integers(0, 10_000_000, n) + rng.integers(5, 9, n) * 10_000_000
        mobile_prefix = rng.integers(0, len(D.MOBILE_PREFIXES), n)
        mobile_rest = rng.integers(0, 100_000_000, n)
        phone = pc.if_else(pa.array(landline),
                           _join(_take(self.leaf_area, leaf), pa.scalar("-"), _digits(local, 8)),
                           _join(_take(self.mobile_vocab, mobile_prefix), _digits(mobile_rest, 8)))

        table = pa.Table.from_arrays([
            uscc, name, _take(self.leaf_vocab, leaf), _take(self.industry_vocab, ind), address,
            legal, established, pa.array(capital, type=pa.float64()),
            _take(self.scale_vocab, scale), _take(self.status_vocab, status), phone,
        ], schema=ENTERPRISE_SCHEMA)
        _verify_sample(uscc)
        extras = {"leaf": leaf, "industry": ind, "status": status, "scale": scale,
                  "stem1": stem1, "stem2": stem2, "serial": serial, "start": start}
        return table, extras

    def _person_names(self, rng: np.random.Generator, n: int) -> pa.Array:
        surname = _pick(rng, self.surname_shares, n)
        n_given = len(D.GIVEN_NAME_CHARS)
        g1 = 1 + rng.integers(0, n_given, n)
        g2 = np.where(rng.random(n) < D.TWO_CHAR_GIVEN_NAME_SHARE, 1 + rng.integers(0, n_given, n), 0)
        return _join(_take(self.surname_vocab, surname), _take(self.given_vocab, g1),
                     _take(self.given_vocab, g2))

    def _mobiles(self, rng: np.random.Generator, n: int) -> pa.Array:
        return _join(_take(self.mobile_vocab, rng.integers(0, len(D.MOBILE_PREFIXES), n)),
                     _digits(rng.integers(0, 100_000_000, n), 8))

    # -- products

    def products(self, k: int, table: pa.Table, extras: dict) -> tuple[pa.Table, dict]:
        """Products (1-5 in key-supervised categories) of the chunk's producing enterprises."""
        rng = _rng(self.seed, _S_PRODUCT, k)
        ind, status = extras["industry"], extras["status"]
        active = np.isin(status, [0, 1])  # active, abnormal
        producers = np.nonzero((self.elig_count[ind] > 0) & active)[0]
        per = 1 + _pick(rng, D.PRODUCTS_PER_PRODUCER, len(producers))
        ent = np.repeat(producers, per)
        m = len(ent)
        pick = (rng.random(m) * self.elig_count[ind[ent]]).astype(np.int64)
        cat = self.elig_values[self.elig_offsets[ind[ent]] + pick]
        brand = _join(_take(self.stem_vocab, extras["stem1"][ent]),
                      _take(self.stem_vocab, extras["stem2"][ent]))
        letters = rng.integers(0, 24, (m, 2))
        model = np.empty((m, 7), dtype=np.uint8)
        model[:, :2] = np.frombuffer(b"ABCDEFGHJKLMNPQRSTUVWXYZ", dtype=np.uint8)[letters]
        model[:, 2] = ord("-")
        model[:, 3:] = _digit_matrix(rng.integers(0, 10_000, m), 4)
        barcode = np.empty((m, 13), dtype=np.uint8)
        barcode[:, :2] = np.frombuffer(b"69", dtype=np.uint8)
        barcode[:, 2:7] = _digit_matrix(extras["serial"][ent] % 100_000, 5)
        barcode[:, 7:12] = _digit_matrix(rng.integers(0, 100_000, m), 5)
        body = barcode[:, :12].astype(np.int64) - 48
        total = body @ np.tile([1, 3], 6)
        barcode[:, 12] = (10 - total % 10) % 10 + 48
        out = pa.Table.from_arrays([
            table.column("uscc").take(pa.array(ent)), _take(self.category_vocab, cat),
            _take(self.product_name_vocab, cat), brand, _ascii_strings(model),
            _ascii_strings(barcode),
        ], schema=PRODUCT_SCHEMA)
        return out, {"enterprise": ent, "category": cat}


def _default_province(province_code: str | None) -> str:
    if province_code:
        return province_code
    from django.conf import settings

    return settings.ZHIJIAN_PROVINCE_CODE


def _chunks(n: int):
    for k in range(math.ceil(n / CHUNK_ROWS)):
        yield k, min(CHUNK_ROWS, n - k * CHUNK_ROWS)


def enterprise_table(n: int, seed: int, province_code: str | None = None) -> pa.Table:
    """``n`` generated market entities of the province as an Arrow table (``ENTERPRISE_COLUMNS``).

    Deterministic in (n, seed, province, reference data). Divisions, industries
    and the catalog come from the reference CSV files, so no database is needed.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    province = _default_province(province_code)
    gen = EnterpriseGenerator(seed, Geography.from_csv(province), Industries.from_csv(),
                              Catalog.from_csv())
    if n == 0:
        return ENTERPRISE_SCHEMA.empty_table()
    return pa.concat_tables([gen.chunk(k, size)[0] for k, size in _chunks(n)])


# --------------------------------------------------------------------------- inspectors and labs


def _group_lists(rng, catalog: Catalog, n: int, low: int, high: int, cover: int = 0):
    """For n owners, ``low..high`` whole catalog groups each: (list offsets, category indices).

    The first ``cover`` owners (a bureau that must be able to check anything) take ``high``
    groups each, dealt round-robin, so that together they hold every group — each group at
    least twice when ``cover * high >= 2 * groups`` — and a draw anywhere finds two qualified
    inspectors for any catalog category by widening to that bureau.
    Each owner's list is in catalog (code) order."""
    n_groups = len(catalog.group_names)
    g_off, g_members = catalog.group_members()
    counts = np.minimum(rng.integers(low, high + 1, n), n_groups)
    order = np.argsort(rng.random((n, n_groups)), axis=1)
    if cover:
        dealt = (np.arange(cover)[:, None] * high + np.arange(n_groups)[None, :]) % n_groups
        order[:cover] = dealt
        counts[:cover] = min(high, n_groups)
    chosen = np.where(np.arange(n_groups)[None, :] < counts[:, None], order, n_groups)
    owner, col = np.nonzero(chosen < n_groups)
    group = chosen[owner, col]
    sizes = np.diff(g_off)[group]
    starts = np.repeat(g_off[group], sizes)
    within = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    values = g_members[starts + within]
    owners = np.repeat(owner, sizes)
    values = values[np.lexsort((values, owners))]
    per_owner = np.bincount(owner, weights=sizes, minlength=n).astype(np.int64)
    return np.concatenate([[0], np.cumsum(per_owner)]).astype(np.int32), values


def inspectors_table(gen: EnterpriseGenerator, leaf_counts: np.ndarray) -> tuple[pa.Table, dict]:
    """The inspector roster: per county one per ENTERPRISES_PER_INSPECTOR (at least a few),
    per city bureau and the province bureau their own."""
    g, catalog = gen.geo, gen.catalog
    rng = _rng(gen.seed, _S_INSPECTOR)
    divisions = [g.province_code]
    counts = [D.PROVINCE_INSPECTORS]
    unit_counts = np.bincount(g.leaf_unit, weights=leaf_counts, minlength=len(g.unit_codes))
    for ui, code in enumerate(g.unit_codes):
        if g.unit_shares[ui] > 0 and code not in g.leaf_codes:
            divisions.append(code)
            counts.append(max(D.MIN_CITY_INSPECTORS, math.ceil(unit_counts[ui] / D.CITY_INSPECTORS_PER)))
    for code, c in zip(g.leaf_codes, leaf_counts):
        divisions.append(code)
        counts.append(max(D.MIN_INSPECTORS_PER_COUNTY, math.ceil(c / D.ENTERPRISES_PER_INSPECTOR)))
    div_idx = np.repeat(np.arange(len(divisions)), counts)
    n = len(div_idx)
    div_vocab = _vocab(divisions)
    div_ascii = np.array([list(c.encode()) for c in divisions], dtype=np.uint8)
    badge = np.empty((n, 13), dtype=np.uint8)
    badge[:, :6] = div_ascii[div_idx]
    badge[:, 6:] = _digit_matrix(np.arange(1, n + 1), 7)
    offsets, values = _group_lists(rng, catalog, n, 1, 3, cover=D.PROVINCE_INSPECTORS)
    status = _pick(rng, [w for _, w in D.INSPECTOR_STATUS_SHARES], n)
    status[:D.PROVINCE_INSPECTORS] = 0  # the province bureau's roster is on duty (first share: active)
    table = pa.Table.from_arrays([
        _ascii_strings(badge), gen._person_names(rng, n), _take(div_vocab, div_idx),
        pa.ListArray.from_arrays(pa.array(offsets), _take(gen.category_vocab, values)),
        _take(_vocab([s for s, _ in D.INSPECTOR_STATUS_SHARES]), status), gen._mobiles(rng, n),
    ], schema=INSPECTOR_SCHEMA)
    return table, {"offsets": offsets, "categories": values}


def labs_table(gen: EnterpriseGenerator, leaf_counts: np.ndarray) -> pa.Table:
    """Labs: the provincial institute, one per city, some county labs, third-party labs.

    A few thousand rows at province scale, so built row by row."""
    g, catalog = gen.geo, gen.catalog
    rng = _rng(gen.seed, _S_LAB)
    g_off, g_members = catalog.group_members()
    all_groups = list(range(len(catalog.group_names)))
    rows = []

    def add(name, division, level, groups, uscc_kind):
        i = len(rows)
        authority, kind = ("1", "2") if uscc_kind == "public" else ("9", "1")
        cats = sorted(int(c) for gi in groups for c in g_members[g_off[gi]:g_off[gi + 1]])
        issued = gen.reference_date.year - int(rng.integers(0, 6))
        rows.append({
            "accreditation_number": f"{issued % 100:02d}{g.province_code[:2]}{i + 1:08d}",
            "name": name,
            "uscc": make_uscc(division, LAB_SERIAL_BASE + i, authority=authority, kind=kind),
            "division": division, "level": level,
            "scope_text": "、".join(catalog.group_names[gi] for gi in sorted(groups)) + "等产品的检验检测",
            "categories": [catalog.codes[c] for c in cats],
            "accredited_until": gen.reference_date + datetime.timedelta(days=int(rng.integers(90, 6 * 365))),
            "status": "suspended" if rng.random() < 0.03 else "active",
        })

    def some_groups(low, high):
        k = int(rng.integers(low, high + 1))
        return sorted(int(x) for x in rng.permutation(len(all_groups))[:min(k, len(all_groups))])

    add(f"{g.province_name}产品质量监督检验研究院", g.province_code, "provincial", all_groups, "public")
    unit_counts = np.bincount(g.leaf_unit, weights=leaf_counts, minlength=len(g.unit_codes))
    for ui, (code, name) in enumerate(zip(g.unit_codes, g.unit_names)):
        if g.unit_shares[ui] == 0:
            continue
        level = "city" if code not in g.leaf_codes or county_type(code) == "city" else "county"
        add(f"{name}产品质量监督检验院", code, level,
            some_groups(len(all_groups) * 6 // 10, len(all_groups)), "public")
    for li, (code, name) in enumerate(zip(g.leaf_codes, g.leaf_names)):
        unit_code = g.unit_codes[g.leaf_unit[li]]
        if code == unit_code or rng.random() >= D.COUNTY_LAB_SHARE:
            continue
        prefix = g.unit_names[g.leaf_unit[li]] if county_type(code) == "district" else ""
        add(f"{prefix}{name}综合检验检测中心", code, "county", some_groups(1, 3), "public")
    for ui, (code, name) in enumerate(zip(g.unit_codes, g.unit_names)):
        if g.unit_shares[ui] == 0:
            continue
        leaves = [c for c, u in zip(g.leaf_codes, g.leaf_unit) if u == ui]
        k = max(D.MIN_PRIVATE_LABS_PER_CITY, round(unit_counts[ui] / D.ENTERPRISES_PER_PRIVATE_LAB))
        for _ in range(k):
            stem = "".join(D.STEM_CHARS[int(x)] for x in rng.choice(len(D.STEM_CHARS), 2, replace=False))
            word = D.PRIVATE_LAB_WORDS[int(rng.integers(0, len(D.PRIVATE_LAB_WORDS)))]
            place = _short_place(name) if rng.random() < 0.8 else _short_place(g.province_name)
            add(f"{place}{stem}{word}", leaves[int(rng.integers(0, len(leaves)))], "private",
                some_groups(1, 4), "private")
    return pa.Table.from_pylist(rows, schema=LAB_SCHEMA)


# --------------------------------------------------------------------------- Parquet output


def default_out_dir(scale: str, seed: int, city: str | None = None) -> Path:
    from django.conf import settings

    name = f"{scale}-{city}-seed{seed}" if scale == "city" and city else f"{scale}-seed{seed}"
    return Path(settings.VAR_DIR) / "generated" / name


def default_city(province_code: str | None = None) -> str:
    """The city of the largest weight (the default of ``--scale city``)."""
    geo = Geography.from_csv(_default_province(province_code))
    return geo.unit_codes[int(np.argmax(geo.unit_shares))]


def default_rows(scale: str, province_code: str, geography: Geography | None = None) -> int:
    total = D.PROVINCE_ENTITIES.get(province_code, D.DEFAULT_PROVINCE_ENTITIES)
    if scale == "province":
        return total
    if scale == "city":
        if geography is None:
            raise ValueError("city scale needs the city's geography")
        province_geo = Geography.from_csv(province_code)
        city = geography.unit_codes[int(np.argmax(geography.unit_shares))]
        return int(round(total * province_geo.unit_shares[province_geo.unit_codes.index(city)]))
    return DEMO_ENTERPRISES


class _ParquetSink:
    """A Parquet file written in row groups of about CHUNK_ROWS, renamed into place when done."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.path, self.tmp = path, path.with_name(path.name + ".partial")
        self.writer = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self.buffer, self.buffered, self.rows = [], 0, 0

    def write(self, table: pa.Table, flush_at: int = CHUNK_ROWS):
        self.buffer.append(table)
        self.buffered += table.num_rows
        if self.buffered >= flush_at:
            self.flush()

    def flush(self):
        if self.buffered:
            table = pa.concat_tables(self.buffer)
            self.writer.write_table(table, row_group_size=max(table.num_rows, 1))
            self.rows += table.num_rows
        self.buffer, self.buffered = [], 0

    def close(self):
        self.flush()
        self.writer.close()
        os.replace(self.tmp, self.path)


def write_parquet(out_dir, *, scale: str = "province", seed: int = 1, rows: int | None = None,
                  city: str | None = None, province_code: str | None = None,
                  progress: bool = True) -> dict:
    """Write enterprises, products, inspectors and labs as Parquet files; return a manifest.

    Memory stays bounded: enterprises and products are generated and written a
    chunk (row group) at a time; only per-county counts are kept.
    """
    from tqdm import tqdm

    if scale not in ("city", "province"):
        raise ValueError("Parquet output is for the city and province scales")
    province = _default_province(province_code)
    if scale == "city" and not city:
        city = default_city(province)
    geo = Geography.from_csv(province, city if scale == "city" else None)
    n = rows if rows is not None else default_rows(scale, province, geo)
    if n <= 0:
        raise ValueError("the number of rows must be positive")
    gen = EnterpriseGenerator(seed, geo, Industries.from_csv(), Catalog.from_csv())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ent_sink = _ParquetSink(out / "enterprises.parquet", ENTERPRISE_SCHEMA)
    prod_sink = _ParquetSink(out / "products.parquet", PRODUCT_SCHEMA)
    leaf_counts = np.zeros(len(geo.leaf_codes), dtype=np.int64)
    try:
        with tqdm(total=n, unit=" rows", unit_scale=True, disable=None if progress else True,
                  desc=f"{scale} enterprises") as bar:
            for k, size in _chunks(n):
                table, extras = gen.chunk(k, size)
                ent_sink.write(table)
                prod_sink.write(gen.products(k, table, extras)[0])
                leaf_counts += np.bincount(extras["leaf"], minlength=len(leaf_counts))
                bar.update(size)
        ent_sink.close()
        prod_sink.close()
    except BaseException:
        for sink in (ent_sink, prod_sink):
            sink.writer.close()
            sink.tmp.unlink(missing_ok=True)
        raise
    inspectors, _ = inspectors_table(gen, leaf_counts)
    labs = labs_table(gen, leaf_counts)
    for name, table in (("inspectors", inspectors), ("labs", labs)):
        sink = _ParquetSink(out / f"{name}.parquet", table.schema)
        sink.write(table)
        sink.close()
    manifest = {
        "generator_version": GENERATOR_VERSION, "scale": scale, "seed": seed,
        "province": province, "city": city if scale == "city" else None,
        "reference_date": REFERENCE_DATE.isoformat(),
        "rows": {"enterprises": ent_sink.rows, "products": prod_sink.rows,
                 "inspectors": inspectors.num_rows, "labs": labs.num_rows},
        "city_weights": D.CITY_WEIGHTS_SOURCE if province in D.CITY_WEIGHTS else "equal",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    return manifest


# --------------------------------------------------------------------------- demo load


def _standard_kind(code: str) -> str:
    return "national_recommended" if code.startswith("GB/T") else "national_mandatory"


def _standard_issuer(code: str) -> str:
    year = int(code.rsplit("-", 1)[1])
    food = code.startswith(("GB 4806", "GB 14930"))
    if food:
        return "国家卫生健康委员会 国家市场监督管理总局" if year >= 2018 else "国家卫生和计划生育委员会"
    return ("国家市场监督管理总局 国家标准化管理委员会" if year >= 2018
            else "国家质量监督检验检疫总局 国家标准化管理委员会")


def standards_for(catalog: Catalog) -> list[list[str]]:
    """For each category, the curated national standards that apply (may be empty)."""
    out = []
    for name, group in zip(catalog.names, catalog.groups):
        codes = [code for code, _, keys, excl in D.STANDARDS
                 if any(k in name for k in keys) and not any(x in name for x in excl)]
        if not codes and group in D.GROUP_DEFAULT_STANDARD:
            codes = [D.GROUP_DEFAULT_STANDARD[group]]
        out.append(codes)
    return out


@dataclass
class DemoPlan:
    """Everything the demo load writes, as plain data (natural keys, no database ids)."""

    enterprises: pa.Table
    products: list[dict]
    standards: list[dict]
    declarations: list[dict]
    certifications: list[dict]
    inspectors: list[dict]
    labs: list[dict]
    awards: list[dict]
    brands: list[dict]


def _date(days: int) -> datetime.date:
    return _EPOCH + datetime.timedelta(days=int(days))


def demo_plan(seed: int = 1, n: int = DEMO_ENTERPRISES, *, geography: Geography | None = None,
              industries: Industries | None = None, catalog: Catalog | None = None,
              province_code: str | None = None,
              reference_date: datetime.date = REFERENCE_DATE) -> DemoPlan:
    """The demo data set as plain data; ``load_demo`` writes it. Reference data from the
    database unless given; dates are drawn relative to ``reference_date``."""
    province = _default_province(province_code)
    geo = geography or Geography.from_db(province)
    catalog = catalog or Catalog.from_db()
    gen = EnterpriseGenerator(seed, geo, industries or Industries.from_db(), catalog, reference_date)
    ref, ref_days = gen.reference_date, gen.ref_days
    ent_tables, prod_tables, leaf_counts = [], [], np.zeros(len(geo.leaf_codes), dtype=np.int64)
    extras_all, prod_all = [], []
    for k, size in _chunks(n):
        table, extras = gen.chunk(k, size)
        products, pextras = gen.products(k, table, extras)
        ent_tables.append(table)
        prod_tables.append(products)
        extras_all.append(extras)
        prod_all.append({"enterprise": pextras["enterprise"] + extras["start"],
                         "category": pextras["category"]})
        leaf_counts += np.bincount(extras["leaf"], minlength=len(leaf_counts))
    enterprises = pa.concat_tables(ent_tables)
    ent_rows = enterprises.to_pylist()
    prod_table = pa.concat_tables(prod_tables)
    prod_ent = np.concatenate([p["enterprise"] for p in prod_all])
    prod_cat = np.concatenate([p["category"] for p in prod_all])
    scale = np.concatenate([e["scale"] for e in extras_all])
    leaf = np.concatenate([e["leaf"] for e in extras_all])
    rng = _rng(seed, _S_DEMO)

    # standards: the curated national ones, plus enterprise standards (Q/) declared below
    applicable = standards_for(catalog)
    titles = {code: title for code, title, _, _ in D.STANDARDS}
    used = sorted({c for codes in applicable for c in codes})
    standards = [{"code": c, "title": titles[c], "kind": _standard_kind(c),
                  "issuer": _standard_issuer(c)} for c in used]

    products = []
    for i, row in enumerate(prod_table.to_pylist()):
        codes = applicable[prod_cat[i]]
        row["standard"] = codes[int(rng.integers(0, len(codes)))] if codes else None
        products.append(row)

    declarations, own_standards = [], []
    declare = np.nonzero(rng.random(len(products)) < D.DECLARATION_SHARE)[0]
    for i in declare:
        p, ent = products[i], ent_rows[prod_ent[i]]
        year = int(rng.integers(2018, ref.year + 1))
        code = p["standard"]
        if code is None or rng.random() < D.ENTERPRISE_STANDARD_SHARE:
            code = f"Q/{ent['uscc'][8:17]} {len(own_standards) + 1:04d}-{year}"
            own_standards.append({"code": code, "title": p["name"], "kind": "enterprise",
                                  "issuer": ent["name"]})
        u = rng.random()
        status = "published" if u < 0.9 else ("withdrawn" if u < 0.95 else "draft")
        published = None if status == "draft" else datetime.date(year, 1, 1) + datetime.timedelta(
            days=int(rng.integers(0, 365)))
        if published and published > ref:
            published = ref
        declarations.append({
            "enterprise": ent["uscc"], "product_name": p["name"],
            "category": catalog.codes[prod_cat[i]], "standard": code,
            "indicators": f"执行{code}，全部指标符合标准要求；{p['brand']}牌{p['model_number']}型。",
            "published_on": published, "status": status})
    standards += own_standards

    certifications = []
    serial = {"ccc": 0, "licence": 0, "qms": 0}

    def cert(ent_i, kind, number, issuer, years):
        # issued up to 1.3 validity periods ago: about a quarter have expired
        start = ref_days - int(rng.integers(0, int(years * 365 * 1.3)))
        until = start + years * 365
        u = rng.random()
        status = "expired" if until < ref_days else ("suspended" if u < 0.02 else
                                                      "revoked" if u < 0.03 else "valid")
        certifications.append({"enterprise": ent_rows[ent_i]["uscc"], "kind": kind, "number": number,
                               "issuer": issuer, "valid_from": _date(start),
                               "valid_until": _date(until), "status": status})

    pairs = sorted(set(zip(prod_ent.tolist(), prod_cat.tolist())))
    province_bureau = f"{geo.province_name}市场监督管理局"
    for ent_i, cat_i in pairs:
        if catalog.ccc[cat_i]:
            serial["ccc"] += 1
            year = ref.year - int(rng.integers(0, 5))
            cert(ent_i, "ccc", f"{year}01{int(cat_i) % 100:02d}{serial['ccc']:08d}", D.CCC_ISSUER, 5)
        if catalog.licence[cat_i]:
            serial["licence"] += 1
            cert(ent_i, "licence", f"XK{int(catalog.group_of[cat_i]) + 1:02d}-"
                 f"{int(cat_i) + 1:03d}-{serial['licence']:05d}", province_bureau, 5)
    for ent_i in sorted(set(prod_ent.tolist())):
        if rng.random() < D.QMS_SHARE * (2 if scale[ent_i] <= 1 else 1):
            serial["qms"] += 1
            issuer_i = int(rng.integers(0, len(D.QMS_ISSUERS)))
            yy = (ref.year - int(rng.integers(0, 3))) % 100
            cert(ent_i, "qms", f"{issuer_i + 1:05d}{yy:02d}Q{serial['qms']:06d}R"
                 f"{int(rng.integers(0, 4))}{'LMSS'[int(scale[ent_i])]}",
                 D.QMS_ISSUERS[issuer_i], 3)

    inspectors = inspectors_table(gen, leaf_counts)[0].to_pylist()
    labs = labs_table(gen, leaf_counts).to_pylist()

    producers = sorted(set(prod_ent.tolist()))
    awards, brands = [], []
    if producers:
        # larger producers are likelier to win awards and brand recognitions
        weight = np.array([4.0 - min(3, int(scale[p])) for p in producers])
        n_awards = max(3, round(len(producers) * D.AWARD_SHARE))
        n_brands = max(5, round(len(producers) * D.BRAND_SHARE))
        order = np.argsort(-rng.random(len(producers)) ** (1 / weight))
        kinds = [k for k, _ in D.AWARD_KINDS]
        for j in order[:n_awards]:
            p = producers[int(j)]
            kind = kinds[int(_pick(rng, [w for _, w in D.AWARD_KINDS], 1)[0])]
            unit_i = geo.leaf_unit[leaf[p]]
            year = int(rng.integers(2016, ref.year + 1))
            title, by = {
                "provincial_quality": (f"{geo.province_name}质量奖", f"{geo.province_name}人民政府"),
                "other": (f"{geo.unit_names[unit_i]}市长质量奖", f"{geo.unit_names[unit_i]}人民政府"),
                "china_quality_nomination": ("中国质量奖提名奖", "国家市场监督管理总局"),
                "china_quality": ("中国质量奖", "国家市场监督管理总局"),
            }[kind]
            awards.append({"enterprise": ent_rows[p]["uscc"], "kind": kind, "title": title,
                           "year": year, "awarded_by": by})
        bkinds = [k for k, _ in D.BRAND_KINDS]
        order = np.argsort(-rng.random(len(producers)) ** (1 / weight))
        brand_of = {}
        for i, e in enumerate(prod_ent.tolist()):
            brand_of.setdefault(e, products[i]["brand"])
        for j in order[:n_brands]:
            p = producers[int(j)]
            kind = bkinds[int(_pick(rng, [w for _, w in D.BRAND_KINDS], 1)[0])]
            year = int(rng.integers(2015, ref.year + 1))
            brands.append({"enterprise": ent_rows[p]["uscc"], "kind": kind, "name": brand_of[p],
                           "year": year,
                           "valid_until": None if kind == "well_known"
                           else datetime.date(year + 3, 12, 31)})
    return DemoPlan(enterprises, products, standards, declarations, certifications, inspectors,
                    labs, awards, brands)


DEMO_MODELS = ("enterprises", "products", "standards", "declarations", "certifications",
               "inspectors", "labs", "awards", "brands")


def _demo_marker(seed: int) -> str:
    return f"generate demo seed={seed}"


def demo_present(seed: int = 1, province_code: str | None = None) -> bool:
    """Whether the demo data of ``seed`` is in the database (its first rows' USCCs exist)."""
    from .models import Enterprise

    geo = Geography.from_db(_default_province(province_code))
    gen = EnterpriseGenerator(seed, geo, Industries.from_db(), Catalog.from_db())
    first = gen.chunk(0, 16)[0].column("uscc").to_pylist()
    return Enterprise.objects.filter(uscc__in=first).exists()


def load_demo(seed: int = 1, scale: str = "demo", progress: bool = True, *,
              enterprises: int | None = None,
              reference_date: datetime.date | None = None) -> dict[str, int]:
    """Load the demo data set into the database (one transaction, one audit entry).

    Idempotent: when the demo data of this seed is already there, nothing is
    written and the counts recorded when it was loaded are returned.
    ``enterprises`` overrides the number of enterprises (default 20,000); dates (establishment,
    certificates, declarations, awards) are drawn relative to ``reference_date``, today by
    default, so the demo looks current on whatever day it is loaded.
    """
    from django.db import transaction
    from tqdm import tqdm

    from zhijian.accounts import audit
    from zhijian.accounts.models import AuditEntry

    from .models import (Award, Brand, Certification, Division, Enterprise, Inspector, Lab, Product,
                         ProductCategory, Standard, StandardDeclaration)

    if scale != "demo":
        raise ValueError("only the demo scale loads into the database; use write_parquet for "
                         "city and province scale")
    n = DEMO_ENTERPRISES if enterprises is None else enterprises
    if n <= 0:
        raise ValueError("the number of enterprises must be positive")
    province = _default_province(None)
    if not Division.objects.filter(code=province).exists() or \
            not ProductCategory.objects.filter(key_supervised=True).exists():
        raise RuntimeError("reference data is missing: run `manage.py load_reference` first")
    if demo_present(seed, province):
        entry = (AuditEntry.objects.filter(action="import", object_type="registry.enterprise",
                                           object_repr=_demo_marker(seed)).order_by("-seq").first())
        if entry and isinstance(entry.postchange, dict):
            return {k: int(v) for k, v in entry.postchange.items() if k in DEMO_MODELS}
        return {"enterprises": Enterprise.objects.count(), "products": Product.objects.count()}
    # Inspector badges, lab accreditation and certificate numbers are numbered the
    # same way for every seed: a second seed's demo would collide with the first.
    for marker in (AuditEntry.objects.filter(action="import", object_type="registry.enterprise",
                                             object_repr__startswith="generate demo seed=")
                   .values_list("object_repr", flat=True).distinct()):
        other = marker.rsplit("=", 1)[1]
        if other.isdigit() and int(other) != seed and demo_present(int(other), province):
            raise RuntimeError(f"the demo data of seed {other} is already loaded; load another "
                               "seed into a fresh database")

    steps = tqdm(total=len(DEMO_MODELS) + 1, desc="demo data", unit=" step",
                 disable=None if progress else True)
    from django.utils import timezone

    plan = demo_plan(seed, n, province_code=province,
                     reference_date=reference_date or timezone.localdate())
    steps.update(1)
    batch = 2000
    with transaction.atomic():
        ents = [Enterprise(uscc=r["uscc"], name=r["name"], division_id=r["division"],
                           industry_id=r["industry"], address=r["address"],
                           legal_representative=r["legal_representative"],
                           established_on=r["established_on"],
                           registered_capital=f"{r['registered_capital']:.2f}", scale=r["scale"],
                           status=r["status"], phone=r["phone"])
                for r in plan.enterprises.to_pylist()]
        Enterprise.objects.bulk_create(ents, batch_size=batch)
        ent_id = {e.uscc: e.pk for e in ents}
        if None in ent_id.values():  # a backend that does not return ids
            ent_id = dict(Enterprise.objects.filter(uscc__in=list(ent_id)).values_list("uscc", "pk"))
        steps.update(1)

        Standard.objects.bulk_create(
            [Standard(code=s["code"], title=s["title"][:255], kind=s["kind"], issuer=s["issuer"][:128])
             for s in plan.standards], batch_size=batch, ignore_conflicts=True)
        std_id = dict(Standard.objects.filter(code__in=[s["code"] for s in plan.standards])
                      .values_list("code", "pk"))
        steps.update(1)

        cat_id = dict(ProductCategory.objects.values_list("code", "pk"))
        Product.objects.bulk_create(
            [Product(enterprise_id=ent_id[p["enterprise_uscc"]], category_id=cat_id[p["category"]],
                     name=p["name"], brand=p["brand"], model_number=p["model_number"],
                     barcode=p["barcode"], standard_id=std_id.get(p["standard"]))
             for p in plan.products], batch_size=batch)
        steps.update(1)

        StandardDeclaration.objects.bulk_create(
            [StandardDeclaration(enterprise_id=ent_id[d["enterprise"]], product_name=d["product_name"],
                                 category_id=cat_id[d["category"]], standard_id=std_id[d["standard"]],
                                 indicators=d["indicators"], published_on=d["published_on"],
                                 status=d["status"]) for d in plan.declarations], batch_size=batch)
        steps.update(1)

        Certification.objects.bulk_create(
            [Certification(enterprise_id=ent_id[c["enterprise"]], kind=c["kind"], number=c["number"],
                           issuer=c["issuer"], valid_from=c["valid_from"],
                           valid_until=c["valid_until"], status=c["status"])
             for c in plan.certifications], batch_size=batch)
        steps.update(1)

        inspectors = [Inspector(name=i["name"], badge_number=i["badge_number"],
                                division_id=i["division"], status=i["status"], phone=i["phone"])
                      for i in plan.inspectors]
        Inspector.objects.bulk_create(inspectors, batch_size=batch)
        through = Inspector.categories.through
        through.objects.bulk_create(
            [through(inspector_id=obj.pk, productcategory_id=cat_id[c])
             for obj, row in zip(inspectors, plan.inspectors) for c in row["categories"]],
            batch_size=5000)
        steps.update(1)

        labs = [Lab(name=lab["name"], uscc=lab["uscc"], accreditation_number=lab["accreditation_number"],
                    division_id=lab["division"], level=lab["level"], scope_text=lab["scope_text"],
                    accredited_until=lab["accredited_until"], status=lab["status"])
                for lab in plan.labs]
        Lab.objects.bulk_create(labs, batch_size=batch)
        through = Lab.categories.through
        through.objects.bulk_create(
            [through(lab_id=obj.pk, productcategory_id=cat_id[c])
             for obj, row in zip(labs, plan.labs) for c in row["categories"]], batch_size=5000)
        steps.update(1)

        Award.objects.bulk_create([Award(enterprise_id=ent_id[a["enterprise"]], kind=a["kind"],
                                         title=a["title"], year=a["year"], awarded_by=a["awarded_by"])
                                   for a in plan.awards])
        Brand.objects.bulk_create([Brand(enterprise_id=ent_id[b["enterprise"]], kind=b["kind"],
                                         name=b["name"], year=b["year"], valid_until=b["valid_until"])
                                   for b in plan.brands])
        steps.update(1)

        counts = {"enterprises": len(ents), "products": len(plan.products),
                  "standards": len(plan.standards), "declarations": len(plan.declarations),
                  "certifications": len(plan.certifications), "inspectors": len(inspectors),
                  "labs": len(labs), "awards": len(plan.awards), "brands": len(plan.brands)}
        audit.append("import", object_type="registry.enterprise", object_repr=_demo_marker(seed),
                     postchange=counts)
    steps.close()
    return counts
