"""Worked examples: hand-computed scores, grades and risk classes (docs/credit.md).

Default method 2020.1: groups commitment base 15 cap 20, capability base 20 cap 30,
performance base 40 cap 50; bands AAA 90 / AA 80 / A 70 / B 60; classes by grade
AAA, AA → A; A → B; B → C; C → D; serious-violation list → D; abnormal-operation → at least C.
A month is 30 days; contribution = weight × 0.5 ** (age / half-life) while age < validity.
"""
import datetime as dt
from decimal import Decimal

import pytest

from zhijian.accounts.models import AuditEntry
from zhijian.credit import services
from zhijian.credit.jobs import run_grading
from zhijian.credit.models import EnterpriseListing, Grade, GradingRun

AS_OF = dt.date(2026, 1, 1)


def ago(days):
    return AS_OF - dt.timedelta(days=days)


def listing(ent, kind, start, end=None):
    return EnterpriseListing.objects.create(enterprise=ent, kind=kind, start=start, end=end,
                                            reason="test", legal_basis="SAMR order 44")


# name: (events [(type, age days, weight override)], listings [(kind, start age, end age)],
#        expected score, grade, risk class, rule)
CASES = {
    "no_events": ([], [], "75.00", "A", "B", ""),
    "qualified_today": ([("spotcheck_qualified", 0, None)], [], "77.00", "A", "B", ""),
    # one half-life (360 d): -10 → -5; 70 is the lowest A (band boundary inclusive)
    "unqualified_one_half_life": ([("spotcheck_unqualified", 360, None)], [], "70.00", "A", "B", ""),
    # two half-lives → -2.5; at 1080 d = validity (36 months) the event no longer counts
    "validity_boundary": ([("spotcheck_unqualified", 720, None), ("spotcheck_unqualified", 1080, None)],
                          [], "72.50", "A", "B", ""),
    # minor penalty: no decay, valid 90 d → counts in full at 89 d, 0 at 90 d;
    # complaint upheld −3 at one half-life (180 d) → −1.5; 40 − 5 − 1.5 = 33.5
    "minor_penalty_and_complaint": ([("penalty_minor", 89, None), ("penalty_minor", 90, None),
                                     ("complaint_upheld", 180, None)], [], "68.50", "B", "C", ""),
    # caps: commitment 15+2+3 = 20; capability 20+5+5+5+8 = 43 → 30; performance 40+6 = 46
    "caps": ([("standard_declaration", 0, None), ("quality_commitment", 0, None),
              ("certification_gained", 10, None), ("certification_gained", 10, None),
              ("certification_gained", 10, None), ("award", 0, None),
              ("spotcheck_qualified", 0, None), ("spotcheck_qualified", 0, None),
              ("spotcheck_qualified", 0, None)], [], "96.00", "AAA", "A", ""),
    # exactly 90 is AAA: 20 + 30 + 40
    "aaa_boundary": ([("standard_declaration", 0, None), ("quality_commitment", 0, None),
                      ("certification_gained", 0, None), ("certification_gained", 0, None)],
                     [], "90.00", "AAA", "A", ""),
    # 18 + (20 + 8·0.5) + (40 − 3·0.25) = 18 + 24 + 39.25
    "aa": ([("quality_commitment", 0, None), ("award", 720, None), ("complaint_upheld", 360, None)],
           [], "81.25", "AA", "A", ""),
    "grade_c": ([("spotcheck_unqualified", 0, None), ("recheck_unqualified", 0, None)], [],
                "50.00", "C", "D", ""),
    # performance floor: 40 − 30 − 20 → 0
    "performance_floor": ([("major_incident", 0, None), ("penalty_heavy", 0, None)], [],
                          "35.00", "C", "D", ""),
    "serious_violation": ([], [("serious_violation", 10, None)], "75.00", "A", "D", "serious_violation"),
    "abnormal_operation": ([], [("abnormal_operation", 10, None)], "75.00", "A", "C", "abnormal_operation"),
    # already D by grade: "at least C" leaves it D, no rule applied
    "abnormal_but_worse": ([("spotcheck_unqualified", 0, None), ("recheck_unqualified", 0, None)],
                           [("abnormal_operation", 10, None)], "50.00", "C", "D", ""),
    # listings ended before, or starting after, the date do not apply; nor do future events
    "inactive_listings_future_event": ([("spotcheck_unqualified", -1, None)],
                                       [("serious_violation", 400, 10), ("abnormal_operation", -5, None)],
                                       "75.00", "A", "B", ""),
    # the worked example of docs/credit.md: 18 + 24 + 33.5
    "docs_example": ([("spotcheck_unqualified", 360, None), ("spotcheck_unqualified", 1080, None),
                      ("complaint_upheld", 180, None), ("award", 720, None),
                      ("quality_commitment", 0, None)], [], "75.50", "A", "B", ""),
    # a weight overridden with a reason: −4 instead of −10
    "weight_override": ([("spotcheck_unqualified", 0, "-4")], [], "71.00", "A", "B", ""),
}


@pytest.fixture
def graded(db, enterprise_factory, tmp_path):
    ents = {}
    for name, (events, listings, *_rest) in CASES.items():
        ent = enterprise_factory(name=name)
        ents[name] = ent
        for code, age, weight in events:
            services.record_event(ent, code, ago(age), weight=weight,
                                  reason="hand-set weight" if weight else "")
        for kind, start, end in listings:
            listing(ent, kind, ago(start), ago(end) if end is not None else None)
    run = run_grading(as_of=AS_OF, snapshot_dir=tmp_path / "snap")
    return run, ents


def test_worked_examples(graded):
    run, ents = graded
    got = {name: Grade.objects.get(run=run, enterprise=ent) for name, ent in ents.items()}
    for name, (_e, _l, score, grade, risk, rule) in CASES.items():
        g = got[name]
        assert (str(g.score), g.grade, g.risk_class, g.explanation["rule"]) == (score, grade, risk, rule), name


def test_explanation_sums_to_score(graded):
    run, ents = graded
    for name, ent in ents.items():
        g = Grade.objects.get(run=run, enterprise=ent)
        ex = g.explanation
        groups = ex["groups"]
        assert Decimal(str(round(sum(v["subtotal"] for v in groups.values()), 2))) == g.score, name
        for grp, v in groups.items():
            contribs = sum(e["contribution"] for e in ex["events"] if e["group"] == grp)
            assert abs(contribs - v["events"]) < 1e-3, (name, grp)
            expected = min(max(v["base"] + v["events"], 0), v["cap"])
            assert abs(expected - v["subtotal"]) < 0.006, (name, grp)
        assert ex["method"] == "2020.1"
    caps = Grade.objects.get(run=run, enterprise=ents["caps"]).explanation
    assert caps["groups"]["capability"] == {"base": 20.0, "cap": 30.0, "events": 23.0, "subtotal": 30.0}
    boundary = Grade.objects.get(run=run, enterprise=ents["validity_boundary"]).explanation["events"]
    assert sorted(e["contribution"] for e in boundary) == [-2.5, 0.0]
    # future events are not listed
    assert Grade.objects.get(run=run, enterprise=ents["inactive_listings_future_event"]).explanation["events"] == []


def test_run_is_recorded_and_audited(graded):
    run, ents = graded
    run.refresh_from_db()
    assert run.status == GradingRun.Status.DONE and run.engine == "duckdb"
    assert run.grade_count == Grade.objects.filter(run=run).count() >= len(CASES)
    assert run.event_count >= sum(len(c[0]) for c in CASES.values())
    assert len(run.snapshot_sha256) == 64 and run.duration_s is not None
    assert AuditEntry.objects.filter(object_type="credit.grade", object_id=str(run.pk),
                                     action="bulk_create").count() == 1


def test_risk_classes_and_current_grade(graded):
    run, ents = graded
    usccs = [ents["serious_violation"].uscc, ents["caps"].uscc, ents["abnormal_operation"].uscc, "NEVERGRADED"]
    assert services.risk_classes(usccs) == {usccs[0]: "D", usccs[1]: "A", usccs[2]: "C", "NEVERGRADED": "B"}
    assert services.current_grade(ents["aa"]).grade == "AA"
