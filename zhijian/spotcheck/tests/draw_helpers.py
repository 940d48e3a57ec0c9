"""Shared pieces of the draw tests: hypothesis strategies for draw inputs, and an independent
checker written from docs/draw.md (not from draw.py) that states what every draw must satisfy."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction

from hypothesis import strategies as st

from zhijian.registry.identifiers import make_uscc
from zhijian.spotcheck import draw as D

COUNTIES = ["320505", "320506", "320507", "320102", "320104"]
ENTERPRISE_DIVISIONS = COUNTIES + ["320500"]  # an enterprise registered at the city code too
INSPECTOR_DIVISIONS = COUNTIES + ["320500", "320100", "320000"]
CATEGORIES = ["KP001", "KP002", "KP003", "KP012"]
LEVEL_OF = {"county": 0, "city": 1, "province": 2}
# a commitment, the announced moment of the public value a day and a half later, the draw next morning
TIMES = {"committed_at": "2026-07-01T02:00:00Z", "public_value_at": "2026-07-02T13:30:00Z",
         "drawn_at": "2026-07-03T01:00:00Z"}


@dataclass
class DrawInput:
    rows: list
    params: D.DrawParams
    randomness: D.Randomness
    exclusions: list
    inspectors: list
    conflicts: list
    last: list

    def run(self, engine="reference", rows=None, inspectors=None, conflicts=None, last=None, exclusions=None):
        pool = D.Pool.from_rows(self.rows if rows is None else rows)
        record = D.run_draw(pool, self.params, self.randomness,
                            exclusions=self.exclusions if exclusions is None else exclusions,
                            inspectors=self.inspectors if inspectors is None else inspectors,
                            conflicts=self.conflicts if conflicts is None else conflicts,
                            last_inspectors=self.last if last is None else last, engine=engine)
        return pool, record


@st.composite
def enterprises(draw, max_size=24):
    ents = draw(st.lists(
        st.tuples(st.sampled_from(ENTERPRISE_DIVISIONS), st.integers(0, 99_999_999), st.sampled_from("ABCD"),
                  st.sets(st.sampled_from(CATEGORIES), min_size=1, max_size=3)),
        min_size=draw(st.sampled_from([0, 1, 1, 1])), max_size=max_size, unique_by=lambda e: make_uscc(e[0], e[1])))
    return [(make_uscc(d, serial), d, cls, sorted(cats)) for d, serial, cls, cats in ents]


@st.composite
def params_strategy(draw):
    mode = draw(st.sampled_from(["count", "ratio", "risk"]))
    kw = {}
    if mode == "count":
        kw["quota_count"] = draw(st.sampled_from([0, 1, 2, 2, 3, 4]))
    elif mode == "ratio":
        kw["quota_ratio"] = draw(st.sampled_from(["0", "0.1", "0.25", "0.5", "0.75", "1", "1"]))
    ratios = draw(st.sampled_from([
        dict(D.DEFAULT_CLASS_RATIOS), {"A": "0.2", "B": "0.4", "C": "0.6", "D": "1"},
        {"A": "0.5", "B": "0.5", "C": "0.5", "D": "0.5"}]))
    return D.DrawParams(
        plan_id=draw(st.sampled_from(["SZ-2026-07", "JS-2026-Q2-R01", "计划-2026-1"])),
        strata_level=draw(st.sampled_from(["county", "city", "province"])),
        quota_mode=mode, min_per_stratum=draw(st.integers(0, 2)),
        risk_weighting=draw(st.booleans()), class_ratios=ratios,
        inspectors_per_task=draw(st.integers(2, 3)),
        inspector_area=draw(st.sampled_from(["county", "city", "province"])),
        escalate_area=draw(st.booleans()), **kw)


@st.composite
def draw_inputs(draw, max_enterprises=24, max_inspectors=16):
    ents = draw(enterprises(max_enterprises))
    rows = [(u, d, c, cls) for u, d, cls, cats in ents for c in cats]
    params = draw(params_strategy())
    secret = draw(st.binary(min_size=32, max_size=32)).hex()
    public = draw(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
                  .filter(lambda s: s.strip() == s != ""))  # no surrounding whitespace (docs/draw.md §2.2)
    n_insp = draw(st.integers(0, max_inspectors))
    inspectors = []
    for i in range(n_insp):
        inspectors.append((f"JS{i:04d}", draw(st.sampled_from(INSPECTOR_DIVISIONS)),
                           sorted(draw(st.sets(st.sampled_from(CATEGORIES), max_size=4))),
                           draw(st.integers(0, 3))))
    team = draw(st.sampled_from(["none", "province", "every county", "every county", "every county"]))
    if team != "none":  # teams qualified for everything, so that most draws get their inspectors
        divisions = ["320000"] if team == "province" else ENTERPRISE_DIVISIONS
        for d in divisions:
            for j in range(params.inspectors_per_task + 2):
                inspectors.append((f"T{d}{j:02d}", d, list(CATEGORIES), draw(st.integers(0, 3))))
    ids = [i[0] for i in inspectors]
    usccs = [e[0] for e in ents]
    conflicts, last = [], []
    if ids and usccs:
        conflicts = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(usccs)), max_size=8))
        last = draw(st.lists(st.tuples(st.sampled_from(usccs), st.sampled_from(ids)), max_size=8))
    exclusions = []
    if rows:
        picked = draw(st.lists(st.sampled_from(rows), max_size=4))
        exclusions = [(u, c, draw(st.sampled_from(["NAT-2026-Q2", "JS-2026-Q2-P03"]))) for u, _d, c, _r in picked]
    if draw(st.booleans()):
        exclusions.append((make_uscc("320505", 12345678), "KP001", "NAT-2026-Q2"))  # not in the pool
    return DrawInput(rows, params, D.Randomness(secret, public, "test", **TIMES), exclusions, inspectors, conflicts, last)


# --------------------------------------------------------------------------- independent checker

def _unit(division: str, level: str) -> str:
    return {"county": division, "city": division[:4] + "00", "province": division[:2] + "0000"}[level]


def _area(division: str, level: str) -> list[str]:
    out = [division]
    for lv, code in (("city", division[:4] + "00"), ("province", division[:2] + "0000")):
        if LEVEL_OF[level] >= LEVEL_OF[lv] and code not in out:
            out.append(code)
    return out


def expected_quota(params: D.DrawParams, name: str, by_class) -> int:
    """docs/draw.md §3 with fractions."""
    e = sum(by_class)
    if name in params.quota_overrides:
        return min(params.quota_overrides[name], e)
    if params.quota_mode == "count":
        return min(params.quota_count, e)
    if params.quota_mode == "ratio":
        x = Fraction(params.quota_ratio) * e
    else:
        x = sum(Fraction(params.class_ratios[c]) * n for c, n in zip("ABCD", by_class))
    q = math.floor(x + Fraction(1, 2))
    if e:
        q = max(q, params.min_per_stratum)
    return min(q, e)


def spec_h(seed: str, uscc: str, category: str) -> int:
    return int(hashlib.sha256(f"{seed}{uscc}{category}".encode()).hexdigest()[:16], 16)


def spec_key(h: int, w: Fraction) -> float:
    return math.log((2 * (h >> 12) + 1) / 2 ** 53) / float(w)


def check_draw(inp: DrawInput, record: dict) -> None:
    """Everything docs/draw.md promises about a draw, checked from the inputs alone."""
    p = inp.params
    seed = hashlib.sha256(bytes.fromhex(inp.randomness.secret) + inp.randomness.public_value.encode()
                          + b"\n" + p.plan_id.encode()).hexdigest()
    assert record["randomness"]["seed"] == seed
    assert record["randomness"]["commitment"] == hashlib.sha256(bytes.fromhex(inp.randomness.secret)).hexdigest()
    excluded = {(u, c) for u, c, _ in inp.exclusions}
    strata: dict[str, list] = {}
    for u, d, c, cls in inp.rows:
        strata.setdefault(f"{_unit(d, p.strata_level)}/{c}", []).append((u, d, c, cls))
    result = record["result"]
    assert [s["stratum"] for s in result["strata"]] == sorted(strata)
    drawn = []
    for s in result["strata"]:
        rows = strata[s["stratum"]]
        eligible = [r for r in rows if (r[0], r[2]) not in excluded]
        by_class = [sum(1 for r in eligible if r[3] == c) for c in "ABCD"]
        assert s["pool"] == len(rows) and s["excluded"] == len(rows) - len(eligible)
        assert s["eligible"] == by_class
        q = expected_quota(p, s["stratum"], by_class)
        assert s["quota"] == q <= len(eligible)  # never exceeds the quota nor the eligible rows
        selected = [e[0] for e in s["selected"]]
        assert len(selected) == q == len(set(selected))
        eligible_usccs = {r[0] for r in eligible}
        assert set(selected) <= eligible_usccs  # never an ineligible (excluded / foreign) entity
        # the q largest keys, largest first
        cat = s["stratum"].split("/")[1]
        weight = {r[0]: (Fraction(p.class_ratios[r[3]]) if p.risk_weighting else Fraction(1)) for r in eligible}
        keyed = sorted(eligible_usccs, key=lambda u: (-spec_key(spec_h(seed, u, cat), weight[u]), u))
        assert selected == keyed[:q]
        for u, h16, key in s["selected"]:
            assert h16 == f"{spec_h(seed, u, cat):016x}"
            assert math.isclose(float(key), spec_key(int(h16, 16), weight[u]), rel_tol=1e-12)
        division = {r[0]: r[1] for r in rows}
        drawn += [(spec_h(seed, u, cat), u, cat, division[u]) for u in selected]
    assert result["totals"]["selected"] == len(drawn)
    # inspectors
    blocked: dict[str, set] = {}
    for iid, u in inp.conflicts:
        blocked.setdefault(u, set()).add(iid)
    for u, iid in inp.last:
        blocked.setdefault(u, set()).add(iid)
    insp = {i[0]: i for i in inp.inspectors}
    load = {i[0]: i[3] for i in inp.inspectors}
    tasks = result["tasks"]
    assert [(t[0], t[1]) for t in tasks] == [(u, c) for _h, u, c, _d in sorted(drawn)]
    k = p.inspectors_per_task
    levels = ["county", "city", "province"]
    for (h, u, c, d), (_u, _c, level, chosen) in zip(sorted(drawn), tasks):
        assert len(chosen) == k == len(set(chosen))  # at least two, distinct
        for iid in chosen:
            assert iid not in blocked.get(u, set())  # never a conflicted / last inspector
            assert c in insp[iid][2]  # qualified
            assert insp[iid][1] in _area(d, level)  # in the task's area
        # the first level (from the plan's) with k candidates is used
        lo = LEVELS_INDEX = levels.index(p.inspector_area)
        assert levels.index(level) >= LEVELS_INDEX
        if not p.escalate_area:
            assert level == p.inspector_area
        for lv in levels[lo:levels.index(level)]:
            assert len(candidates(insp, blocked, u, c, d, lv)) < k
        cands = candidates(insp, blocked, u, c, d, level)
        # balanced: nobody left out was less loaded than someone chosen
        assert max(load[i] for i in chosen) <= min([load[i] for i in cands if i not in chosen], default=10 ** 9)
        for iid in chosen:
            load[iid] += 1


def candidates(insp, blocked, uscc, category, division, level):
    return [i for i, row in insp.items()
            if row[1] in _area(division, level) and category in row[2] and i not in blocked.get(uscc, set())]


def check_shortage(inp: DrawInput, error: D.InspectorShortage) -> None:
    """A shortage error names a task that really cannot get k inspectors at the widest level."""
    msg = str(error)
    task = msg.split()[1]
    uscc, category = task.split("/")
    division = next(r[1] for r in inp.rows if r[0] == uscc)
    blocked: dict[str, set] = {}
    for iid, u in inp.conflicts:
        blocked.setdefault(u, set()).add(iid)
    for u, iid in inp.last:
        blocked.setdefault(u, set()).add(iid)
    insp = {i[0]: i for i in inp.inspectors}
    widest = "province" if inp.params.escalate_area else inp.params.inspector_area
    assert len(candidates(insp, blocked, uscc, category, division, widest)) < inp.params.inspectors_per_task


def witness_for(officer):
    """A second officer of the same role and division (enters the public value)."""
    from zhijian.accounts.services import create_user

    profile = officer.profile
    username = f"witness-{officer.username}"
    from django.contrib.auth import get_user_model

    existing = get_user_model().objects.filter(username=username).first()
    return existing or create_user(username, "pw-" + username, profile.role, division=profile.division)


def draw_plan(plan, officer, *, secret=None, public_value="2026001 03 08 15 22 27 31",
              public_value_source="福利彩票双色球 2026001 期", witness=None, committed_at=None, **kw):
    """Commit (now, or at ``committed_at``), have a second officer enter the public value a day
    later and draw an hour after that, through the real services. Returns (draw, secret)."""
    from django.utils import timezone

    from zhijian.spotcheck import drawing

    secret = secret or D.make_secret()
    draw = drawing.scripted_draw(plan, officer, witness or witness_for(officer), secret=secret,
                                 public_value=public_value, public_value_source=public_value_source,
                                 committed_at=committed_at or timezone.now(), **kw)
    return draw, secret
