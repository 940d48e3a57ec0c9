"""The worked example of docs/draw.md §9: every number on that page is recomputed here from
the page itself, so the specification and the implementation cannot drift apart."""
import hashlib
import re
from pathlib import Path

import pytest

from zhijian.spotcheck import draw as D

DOC = Path(__file__).resolve().parents[3] / "docs" / "draw.md"


@pytest.fixture(scope="module")
def doc():
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("## 9. Worked example"):text.index("## 10.")]


def _value(doc, label):
    m = re.search(rf"- {label}: `([^`]+)`", doc)
    assert m, label
    return m.group(1)


def _table(doc, header_start):
    lines = doc[doc.index(header_start):].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


@pytest.fixture(scope="module")
def example(doc):
    pool_text = re.search(r"```csv\n(.*?)```", doc, re.S).group(1)
    pool = D.Pool.from_bytes(pool_text.encode())
    params = D.DrawParams(plan_id=_value(doc, "plan id"), strata_level="county", quota_mode="count",
                          quota_count=2)
    rnd = D.Randomness(_value(doc, "secret"), _value(doc, "public value"), "China Welfare Lottery 3D, draw 2026118",
                       committed_at=_value(doc, "committed at"),
                       public_value_at=_value(doc, "public value announced at"),
                       drawn_at=_value(doc, "drawn at"))
    inspectors = [("SZ0001", "320500", ["KP012", "KP030"], 2), ("SZ0501", "320505", ["KP012", "KP030"], 0),
                  ("SZ0502", "320505", ["KP012"], 1), ("SZ0503", "320505", ["KP012", "KP030"], 0),
                  ("SZ0601", "320506", ["KP012"], 0), ("SZ0602", "320506", ["KP012"], 0)]
    exclusion = re.search(r"- exclusion: `(\w+)`, `(\w+)`, .* `([\w-]+)`", doc)
    record = D.run_draw(pool, params, rnd, exclusions=[exclusion.groups()], inspectors=inspectors,
                        conflicts=[("SZ0503", "91320505000010057L")],
                        last_inspectors=[("9132050600002001XT", "SZ0601")], meta={"title": "worked example"})
    return pool, params, rnd, record


def test_pool_hash_commitment_and_seed(doc, example):
    pool, params, rnd, record = example
    assert pool.sha256 == _value(doc, "pool hash") == hashlib.sha256(pool.to_bytes()).hexdigest()
    assert rnd.commitment == _value(doc, "commitment")
    assert record["randomness"]["seed"] == _value(doc, "seed")
    assert D.derive_seed(rnd.secret, rnd.public_value, params.plan_id) == _value(doc, "seed")


def test_keys_table(doc, example):
    _pool, params, _rnd, record = example
    seed = record["randomness"]["seed"]
    rows = _table(doc, "| stratum | uscc | class | w | h | u | key |")
    assert len(rows) == 10
    for stratum, uscc, cls, w, h, u, key in rows:
        category = stratum.split("/")[1]
        assert hashlib.sha256((seed + uscc + category).encode()).hexdigest()[:16] == h
        assert D.uniform_from_h(int(h, 16)) == float(u)
        assert params.class_ratios[cls] == w
        assert D.key_of(int(h, 16), float(w)) == float(key)


def test_selection_table(doc, example):
    *_, record = example
    rows = _table(doc, "| stratum | pool | excluded | eligible A,B,C,D | quota | selected")
    strata = record["result"]["strata"]
    assert [r[0] for r in rows] == [s["stratum"] for s in strata]
    for (name, pool_n, excluded, eligible, quota, selected), s in zip(rows, strata):
        assert int(pool_n) == s["pool"] and int(excluded) == s["excluded"] and int(quota) == s["quota"]
        assert [int(x) for x in eligible.split(",")] == s["eligible"]
        assert selected.split(", ") == [e[0] for e in s["selected"]]


def test_tasks_table(doc, example):
    *_, record = example
    rows = _table(doc, "| # | task | h | candidates (load) | inspectors |")
    tasks = record["result"]["tasks"]
    assert len(rows) == len(tasks) == 6
    for (_n, task, h, _cands, inspectors), (uscc, category, level, chosen) in zip(rows, tasks):
        assert task == f"{uscc} {category}"
        assert level == "city"
        assert inspectors.split(", ") == chosen
        assert h == next(e[1] for s in record["result"]["strata"] for e in s["selected"]
                         if e[0] == uscc and s["stratum"].endswith(category))


def test_tiebreak_values_and_record_hash(doc, example):
    *_, record = example
    seed = record["randomness"]["seed"]
    for iid, t in re.findall(r"(SZ\d{4}) ([0-9a-f]{16})", doc):
        assert f"{D.inspector_tiebreak(seed, iid):016x}" == t
    assert D.record_sha256(record) in doc
    assert D.load_record(D.record_bytes(record))["record_sha256"] == D.record_sha256(record)
