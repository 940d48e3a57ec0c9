"""The draw engine's pieces: the canonical pool file, randomness, quotas, exact ordering,
inspector assignment, the record and its verification, and the ``verify-draw`` command."""
import hashlib
import json
import math
import subprocess
import sys
from decimal import Decimal, localcontext
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from zhijian.registry.identifiers import make_uscc
from zhijian.spotcheck import draw as D
from zhijian.spotcheck.tests.draw_helpers import TIMES

U1, U2, U3 = make_uscc("320505", 1), make_uscc("320505", 2), make_uscc("320506", 3)
HEADER = "uscc,division,category,risk_class\n"


def small_draw(**params):
    rows = [(make_uscc("320505", i), "320505", "KP012", "ABCD"[i % 4]) for i in range(12)]
    rows += [(make_uscc("320506", i), "320506", "KP012", "B") for i in range(5)]
    pool = D.Pool.from_rows(rows)
    p = D.DrawParams(plan_id="SZ-2026-07", **({"quota_mode": "count", "quota_count": 3} | params))
    rnd = D.Randomness("cd" * 32, "FC3D 2026118: 3 7 1", "China Welfare Lottery", **TIMES)
    inspectors = [("A1", "320505", ["KP012"], 0), ("A2", "320505", ["KP012"], 3), ("A3", "320505", ["KP012"], 0),
                  ("B1", "320506", ["KP012"], 0), ("B2", "320506", ["KP012"], 1), ("C1", "320500", ["KP012"], 5)]
    record = D.run_draw(pool, p, rnd, inspectors=inspectors, conflicts=[("A1", make_uscc("320505", 0))])
    return pool, record


# --------------------------------------------------------------------------- pool file

def test_pool_file_round_trip_and_hash():
    pool = D.Pool.from_rows([(U2, "320505", "KP030", "B"), (U1, "320505", "KP012", "A"),
                             (U2, "320505", "KP012", "B")])
    data = pool.to_bytes()
    assert data == (HEADER + f"{U1},320505,KP012,A\n{U2},320505,KP012,B\n{U2},320505,KP030,B\n").encode()
    assert pool.sha256 == hashlib.sha256(data).hexdigest()
    again = D.Pool.from_bytes(data)
    assert list(again.rows()) == list(pool.rows()) and again.sha256 == pool.sha256
    assert D.Pool.from_bytes(HEADER.encode()).sha256 == hashlib.sha256(HEADER.encode()).hexdigest()


@pytest.mark.parametrize("body, message", [
    ("uscc,division,category,risk\n", "line 1: header must be"),
    ("\ufeff" + HEADER, "line 1: header must be"),
    (HEADER + f"{U1},320505,KP012,A", "line 2: the file must end with a line feed"),
    (HEADER + f"{U1},320505,KP012,A\r\n", "line 2: carriage return"),
    (HEADER + f"{U2},320505,KP012,A\n{U1},320505,KP012,A\n", "line 3: rows not in canonical order"),
    (HEADER + f"{U1},320505,KP030,A\n{U1},320505,KP012,A\n", "line 3: rows not in canonical order"),
    (HEADER + f"{U1},320505,KP012,A\n{U1},320505,KP012,A\n", "line 3: duplicate row"),
    (HEADER + f"{U1},320505,KP012,A\n{U1},320506,KP030,A\n", "line 3: enterprise .* another division"),
    (HEADER + f"{U1},320505,KP012,A\n{U1},320505,KP030,C\n", "line 3: enterprise .* another division or risk class"),
    (HEADER + "91320505MA1XXXXXOA,320505,KP012,A\n", "line 2: field uscc"),
    (HEADER + f"{U1[:-1]},320505,KP012,A\n", "line 2: field uscc"),
    (HEADER + f"{U1},32050,KP012,A\n", "line 2: field division"),
    (HEADER + f"{U1},032050,KP012,A\n", "line 2: field division"),
    (HEADER + f"{U1},320505,KP 12,A\n", "line 2: field category"),
    (HEADER + f"{U1},320505,KP012,E\n", "line 2: field risk_class"),
    (HEADER + f"{U1},320505,KP012,A,x\n", "line 2: expected 4 comma-separated fields"),
    (HEADER + f"{U1},320505,KP012,A\n\n", "line 3: "),
    (HEADER + f'"{U1}",320505,KP012,A\n', "line 2: field uscc"),
    (HEADER + f"{U1},320505, KP012,A\n", "line 2: field category"),
])
def test_non_canonical_pool_files_are_rejected_naming_the_line(body, message):
    with pytest.raises(D.PoolFormatError, match=message):
        D.Pool.from_bytes(body.encode("utf-8"))


def test_pool_rows_errors_name_the_input_row():
    with pytest.raises(D.PoolFormatError, match="row 2: field risk_class"):
        D.Pool.from_rows([(U1, "320505", "KP012", "A"), (U2, "320505", "KP012", "X")])
    with pytest.raises(D.PoolFormatError, match=r"row 3: duplicate row .* \(same as row 1\)"):
        D.Pool.from_rows([(U1, "320505", "KP012", "A"), (U2, "320505", "KP012", "A"), (U1, "320505", "KP012", "A")])
    with pytest.raises(D.PoolFormatError, match="row 1: missing field risk_class"):
        D.Pool.from_rows([{"uscc": U1, "division": "320505", "category": "KP012"}])
    pool = D.Pool.from_rows([{"uscc": U1, "division": 320505, "category": "KP012", "risk_class": "A"}])
    assert list(pool.rows()) == [(U1, "320505", "KP012", "A")]


def test_from_arrays_checks_presorted_input():
    import numpy as np

    uscc = np.array([U2, U1], dtype="S18")
    with pytest.raises(D.PoolFormatError, match="row 2: rows not in canonical order"):
        D.Pool.from_arrays(uscc, [320505, 320505], ["KP012", "KP012"], ["A", "B"], presorted=True)
    pool = D.Pool.from_arrays(uscc, [320505, 320505], ["KP012", "KP012"], ["A", "B"])
    assert [r[0] for r in pool.rows()] == [U1, U2]
    with pytest.raises(D.PoolFormatError, match="division"):
        D.Pool.from_arrays(uscc, [32050, 320505], ["KP012", "KP012"], ["A", "B"])
    for bad, message in [([U1 + "X"], "row 1: field uscc: '.*X' is not an 18-character USCC"),
                         ([U1[:-1]], "row 1: field uscc"), (["91320505000010014中"], "USCCs are ASCII")]:
        with pytest.raises(D.PoolFormatError, match=message):
            D.Pool.from_arrays(bad, [320505], ["KP012"], ["A"])


# --------------------------------------------------------------------------- randomness

def test_commitment_and_seed_byte_encoding():
    secret = "01" * 32
    assert D.commitment_of(secret) == hashlib.sha256(bytes([1] * 32)).hexdigest()
    expected = hashlib.sha256(bytes([1] * 32) + "双色球 2026050: 07 12".encode() + b"\n" + b"SZ-1").hexdigest()
    assert D.derive_seed(secret, "双色球 2026050: 07 12", "SZ-1") == expected
    assert len(D.make_secret()) == 64 and D.make_secret() != D.make_secret()
    for bad in ("01" * 31, "AB" * 32, "zz" * 32):
        with pytest.raises(D.DrawError, match="secret"):
            D.commitment_of(bad)
    with pytest.raises(D.DrawError, match="public_value"):
        D.derive_seed(secret, "two\nlines", "SZ-1")


# --------------------------------------------------------------------------- quotas, keys, order

@pytest.mark.parametrize("mode, by_class, expected", [
    (dict(quota_mode="risk"), [120, 300, 40, 10], 14),  # 1.2 + 6 + 4 + 3 = 14.2
    (dict(quota_mode="risk"), [50, 0, 0, 5], 2),  # 0.5 + 1.5 = 2.0
    (dict(quota_mode="risk"), [150, 0, 0, 0], 2),  # 1.5 rounds half up
    (dict(quota_mode="risk"), [10, 15, 0, 0], 1),  # 0.4 -> 0 -> min_per_stratum 1
    (dict(quota_mode="risk", min_per_stratum=0), [10, 15, 0, 0], 0),
    (dict(quota_mode="risk"), [0, 0, 0, 0], 0),
    (dict(quota_mode="ratio", quota_ratio="0.01"), [0, 250, 0, 0], 3),  # 2.5 -> 3
    (dict(quota_mode="ratio", quota_ratio="0.01"), [0, 249, 0, 0], 2),
    (dict(quota_mode="ratio", quota_ratio="1"), [1, 1, 1, 1], 4),
    (dict(quota_mode="count", quota_count=5), [1, 1, 0, 0], 2),  # never above the eligible rows
    (dict(quota_mode="count", quota_count=0), [1, 1, 0, 0], 0),
    (dict(quota_mode="ratio", quota_ratio="0.5", quota_overrides={"320505/KP012": 7}), [0, 10, 0, 0], 7),
    (dict(quota_mode="ratio", quota_ratio="0.5", quota_overrides={"320505/KP012": 0}), [0, 10, 0, 0], 0),
])
def test_stratum_quota(mode, by_class, expected):
    params = D.DrawParams(plan_id="P", **mode)
    params.validate()
    assert D.stratum_quota(params, "320505/KP012", by_class) == expected


@pytest.mark.parametrize("kw, message", [
    (dict(strata_level="town"), "strata_level"), (dict(quota_mode="all"), "quota_mode"),
    (dict(quota_mode="ratio", quota_ratio="1.5"), "quota_ratio"),
    (dict(quota_mode="ratio", quota_ratio="0.0000000001"), "quota_ratio"),
    (dict(quota_mode="ratio"), "quota_ratio"), (dict(quota_mode="count", quota_count=-1), "quota_count"),
    (dict(quota_count=3), "quota_count: only"), (dict(class_ratios={"A": "0.1"}), "class_ratios"),
    (dict(class_ratios={"A": "0", "B": "0.1", "C": "0.1", "D": "0.1"}), "class_ratios.A"),
    (dict(inspectors_per_task=1), "at least 2"), (dict(inspector_area="street"), "inspector_area"),
    (dict(quota_overrides={"KP012": 2}), "quota_overrides"), (dict(min_per_stratum=-1), "min_per_stratum"),
    (dict(plan_id=""), "plan_id"),
])
def test_bad_parameters_are_named(kw, message):
    with pytest.raises(D.DrawError, match=message):
        D.DrawParams(**({"plan_id": "P"} | kw)).validate()


def test_u_is_exact_and_strictly_inside_zero_one():
    assert D.uniform_from_h(0) == 2.0 ** -53
    assert D.uniform_from_h(2 ** 64 - 1) == 1 - 2.0 ** -53
    assert D.uniform_from_h(2 ** 63) == 0.5 + 2.0 ** -53
    assert math.log(D.uniform_from_h(2 ** 64 - 1)) < 0


def _exact_key(h, w):
    with localcontext() as ctx:
        ctx.prec = 80
        return (Decimal(2 * (h >> 12) + 1) / Decimal(2 ** 53)).ln() / Decimal(w)


def test_exact_order_resolves_near_ties_that_doubles_cannot():
    """Two rows with weights 0.01 and 0.02 whose keys differ by ~1e-17 relative: their doubles
    may compare either way, the exact comparison decides."""
    m_b = 3 * 2 ** 50 + 12345  # u_b about 0.75 with weight 0.02
    u_b = Decimal(2 * m_b + 1) / Decimal(2 ** 53)
    target = u_b * u_b  # u_a = u_b^2 gives ln(u_a)/0.02 = ln(u_b)/0.01 ... with w_a = 0.02, w_b = 0.01
    pairs = []
    for m_a in range(int(target * 2 ** 52) - 3, int(target * 2 ** 52) + 4):
        a = (m_a << 12, Decimal("0.02"), U1)
        b = (m_b << 12, Decimal("0.01"), U2)
        items = [(D.key_of(x[0], float(x[1])), *x, None) for x in (a, b)]
        items.sort(key=lambda it: (-it[0], it[3]))
        ordered = [it[3] for it in D.exact_order(items)]
        truth = sorted([(a[0], a[1], U1), (b[0], b[1], U2)], key=lambda x: (-_exact_key(x[0], x[1]), x[2]))
        assert ordered == [x[2] for x in truth]
        pairs.append(ordered[0])
    assert set(pairs) == {U1, U2}  # the scan crosses the exact tie point


def test_exact_tie_goes_to_the_smaller_uscc():
    items = [(D.key_of(5 << 12, 0.02), 5 << 12, Decimal("0.02"), U2, None),
             (D.key_of(5 << 12, 0.02), 5 << 12, Decimal("0.02"), U1, None)]
    assert [it[3] for it in D.exact_order(items)] == [U1, U2]


# --------------------------------------------------------------------------- inspectors

def test_inspectors_avoid_conflicts_and_balance_the_load():
    pool, record = small_draw(quota_count=4)
    tasks = record["result"]["tasks"]
    assert all(len(t[3]) == 2 and len(set(t[3])) == 2 for t in tasks)
    assert all("A1" not in t[3] for t in tasks if t[0] == make_uscc("320505", 0))
    # county 320505 has 4 tasks x 2 slots: A1 and A3 (load 0) are used first, then A2 (load 3) and C1 (5)
    used = [i for t in tasks if t[0].startswith("91320505") for i in t[3]]
    assert sorted(used).count("C1") <= used.count("A1") + used.count("A3")
    assert {t[2] for t in tasks} == {"city"}


def test_escalation_and_shortage():
    rows = [(U1, "320505", "KP012", "B")]
    pool = D.Pool.from_rows(rows)
    rnd = D.Randomness("ee" * 32, "pv", "test", **TIMES)
    county_only = [("A1", "320505", ["KP012"], 0), ("P1", "320000", ["KP012"], 0)]
    p = D.DrawParams(plan_id="P", quota_mode="count", quota_count=1, inspector_area="county")
    record = D.run_draw(pool, p, rnd, inspectors=county_only)
    assert record["result"]["tasks"] == [[U1, "KP012", "province", ["A1", "P1"]] if
                                         record["result"]["tasks"][0][3][0] == "A1" else
                                         [U1, "KP012", "province", ["P1", "A1"]]]
    p = D.DrawParams(plan_id="P", quota_mode="count", quota_count=1, inspector_area="county", escalate_area=False)
    with pytest.raises(D.InspectorShortage, match=rf"task {U1}/KP012 \(division 320505\): only 1 eligible"):
        D.run_draw(pool, p, rnd, inspectors=county_only)
    with pytest.raises(D.InspectorShortage, match="only 1 eligible inspector"):
        D.run_draw(pool, D.DrawParams(plan_id="P", quota_mode="count", quota_count=1), rnd,
                   inspectors=county_only, last_inspectors=[(U1, "A1")])


def test_bad_inspector_data_is_named():
    pool = D.Pool.from_rows([(U1, "320505", "KP012", "B")])
    rnd = D.Randomness("ee" * 32, "pv", "test", **TIMES)
    p = D.DrawParams(plan_id="P", quota_mode="count", quota_count=1)
    for insp, message in [([("A 1", "320505", ["KP012"], 0)], r"inspectors\[0\]: id"),
                          ([("A1", "3205", ["KP012"], 0)], r"inspectors\[0\] \(A1\): division"),
                          ([("A1", "320505", "KP012", 0)], "categories must be a list"),
                          ([("A1", "320505", ["KP012"], -1)], "workload"),
                          ([("A1", "320505", ["KP012"], 0), ("A1", "320505", [], 0)], "duplicate inspector id A1")]:
        with pytest.raises(D.DrawError, match=message):
            D.run_draw(pool, p, rnd, inspectors=insp)
    with pytest.raises(D.DrawError, match=r"exclusions\[0\]"):
        D.run_draw(pool, p, rnd, exclusions=[(U1, "KP012")])


# --------------------------------------------------------------------------- record and verify

def test_record_is_canonical_json_with_its_own_hash():
    _pool, record = small_draw()
    data = D.record_bytes(record)
    assert data.endswith(b"}\n") and b" " not in data.replace(b"FC3D 2026118: 3 7 1", b"").replace(
        b"China Welfare Lottery", b"")
    parsed = json.loads(data)
    body = {k: v for k, v in parsed.items() if k != "record_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert parsed["record_sha256"] == hashlib.sha256(canonical).hexdigest()
    assert D.load_record(data) == parsed
    with pytest.raises(D.RecordError, match="canonical"):
        D.load_record(json.dumps(parsed, indent=1).encode())
    parsed["meta"] = {"changed": 1}
    with pytest.raises(D.RecordError, match="record_sha256"):
        D.load_record(json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode() + b"\n")


def test_exclusions_are_never_drawn_and_are_counted():
    rows = [(make_uscc("320505", i), "320505", "KP012", "B") for i in range(4)]
    pool = D.Pool.from_rows(rows)
    p = D.DrawParams(plan_id="P", quota_mode="count", quota_count=10)
    inspectors = [("A1", "320505", ["KP012"], 0), ("A2", "320505", ["KP012"], 0)]
    excl = [(rows[1][0], "KP012", "NAT-2026-Q2"), (rows[1][0], "KP012", "JS-2026-Q2-P03"),
            (rows[2][0], "KP999", "NAT-2026-Q2")]
    record = D.run_draw(pool, p, D.Randomness("ee" * 32, "pv", "test", **TIMES), exclusions=excl, inspectors=inspectors)
    (s,) = record["result"]["strata"]
    assert s["pool"] == 4 and s["excluded"] == 1 and s["quota"] == 3
    assert rows[1][0] not in {e[0] for e in s["selected"]}
    # the pair outside the pool cannot change the draw and is not recorded (docs/draw.md §5)
    assert record["exclusions"] == sorted([list(e) for e in excl[:2]])


@pytest.mark.parametrize("edit, message", [
    (lambda r: r["randomness"].update(secret="ff" * 32), "commitment: SHA-256 of the revealed secret"),
    (lambda r: r["randomness"].update(public_value="another"), "seed: expected"),
    (lambda r: r["randomness"].update(seed="00" * 32), "seed: expected"),
    (lambda r: r.update(algorithm="zhijian-draw/1"), "algorithm"),
    # the times: commitment < announced moment of the public value <= draw (docs/draw.md §2)
    (lambda r: r["randomness"].update(public_value_at=r["randomness"]["committed_at"]),
     "not after the commitment"),
    (lambda r: r["randomness"].update(committed_at="2026-07-02T13:30:01Z"), "not after the commitment"),
    (lambda r: r["randomness"].update(drawn_at="2026-07-02T13:29:59Z"), "is before the public value"),
    (lambda r: r["randomness"].pop("drawn_at"), "randomness.drawn_at: must be a UTC time"),
    (lambda r: r["randomness"].update(committed_at="2026-07-01 02:00:00"), "randomness.committed_at"),
    (lambda r: r["randomness"].update(committed_at="2026-02-30T02:00:00Z"), "not a real date"),
    (lambda r: r["randomness"].update(public_value=" FC3D 2026118: 3 7 1"), "whitespace"),
    (lambda r: r["exclusions"].append(["91320505000099999X", "KP012", "NAT"]), "exclusions:"),
    (lambda r: r["pool"].update(rows=99), "pool rows: the pool file has 17, record has 99"),
    (lambda r: r["pool"].update(sha256="00" * 32), "pool sha256"),
    (lambda r: r["params"].update(quota_count=2), r"stratum 320505/KP012: quota expected 2, record has 3"),
    (lambda r: r["result"]["strata"][0]["selected"].reverse(), "stratum 320505/KP012: expected"),
    (lambda r: r["result"]["strata"][0]["selected"][0].__setitem__(2, "-1.5"), "key expected"),
    (lambda r: r["result"]["tasks"][0][3].reverse(), "task 1: expected"),
    (lambda r: r["inspectors"][0].__setitem__(3, 9), "task "),
    (lambda r: r["inspectors"].reverse(), "inspectors: the record's inspectors"),
    (lambda r: r["result"]["strata"].pop(), "stratum 320506/KP012: expected at position 2"),
    (lambda r: r.update(extra=1), "record: unexpected fields"),
])
def test_verify_names_the_first_difference(edit, message):
    pool, record = small_draw()
    assert D.verify(D.record_bytes(record), pool.to_bytes()).match
    edit(record)
    result = D.verify(D.record_bytes(record), pool.to_bytes())
    assert not result.match
    assert result.first_difference.startswith(message) or message in result.first_difference, \
        result.first_difference


def test_verify_never_raises_on_garbage():
    pool, record = small_draw()
    for garbage in (b"", b"\xff\xfe", b"[]", b'{"algorithm":"zhijian-draw/2"}', b'{"algorithm":"zhijian-draw/2",'
                    b'"randomness":{"secret":"' + b"ee" * 32 + b'","commitment":1}}'):
        result = D.verify(garbage, pool.to_bytes())
        assert not result.match and result.first_difference


def test_verify_with_a_one_line_stratum_position_message():
    pool, record = small_draw()
    sel = record["result"]["strata"][0]["selected"]
    sel[1], sel[2] = sel[2], sel[1]
    result = D.verify(D.record_bytes(record), pool.to_bytes())
    assert result.first_difference.startswith(f"stratum 320505/KP012: expected {sel[2][0]} at position 2, "
                                              f"record has {sel[1][0]}")


# --------------------------------------------------------------------------- the command

@pytest.fixture
def files(tmp_path):
    pool, record = small_draw()
    (tmp_path / "record.json").write_bytes(D.record_bytes(record))
    (tmp_path / "pool.csv").write_bytes(pool.to_bytes())
    return tmp_path / "record.json", tmp_path / "pool.csv"


def test_verify_draw_command_prints_match(files):
    out = StringIO()
    call_command("verify_draw", str(files[0]), str(files[1]), stdout=out)
    assert out.getvalue() == "MATCH\n"


def test_verify_draw_command_reports_a_changed_byte_and_exits_1(files):
    record, pool = files
    data = bytearray(pool.read_bytes())
    data[-3] = ord("D") if data[-3] != ord("D") else ord("C")  # a risk class
    pool.write_bytes(bytes(data))
    out = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("verify_draw", str(record), str(pool), stdout=out)
    assert exc.value.code == 1
    assert out.getvalue().startswith("MISMATCH: pool sha256: the pool file hashes to ")


@pytest.mark.no_faketime
def test_verify_draw_command_needs_no_database(files, tmp_path):
    """Runs as the real CLI, in a subprocess, with a database setting that cannot work."""
    root = str(Path(__file__).resolve().parents[3])
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": root, "DJANGO_SETTINGS_MODULE": "zhijian.settings",
           "ZHIJIAN_DB": "sqlite", "ZHIJIAN_SQLITE": str(tmp_path / "missing" / "no.sqlite3")}
    proc = subprocess.run([sys.executable, "-m", "zhijian.cli", "verify-draw", str(files[0]), str(files[1]),
                           "--engine", "fast"], capture_output=True, text=True, env=env, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, "MATCH\n"), proc.stderr
    files[0].write_bytes(files[0].read_bytes().replace(b'"quota":3', b'"quota":4', 1))
    proc = subprocess.run([sys.executable, "-m", "zhijian.cli", "verify-draw", str(files[0]), str(files[1])],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1
    assert proc.stdout == "MISMATCH: stratum 320505/KP012: quota expected 3, record has 4\n"
    proc = subprocess.run([sys.executable, "-m", "zhijian.cli", "verify-draw", str(tmp_path / "nope"),
                           str(files[1])], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1 and "no such file" in proc.stderr
