"""Risk matrix (EU 2019/417 Appendix 6): every cell, the band edges, worst scenario, bad input."""
from fractions import Fraction

import pytest

from zhijian.risk import matrix as M

# The official table, written out here independently of the CSV (rows top band first).
OFFICIAL = [
    ("> 50 %", "1/2", "HSSS"),
    ("> 1/10", "1/10", "MSSS"),
    ("> 1/100", "1/100", "MSSS"),
    ("> 1/1,000", "1/1000", "LHSS"),
    ("> 1/10,000", "1/10000", "LMHS"),
    ("> 1/100,000", "1/100000", "LLMH"),
    ("> 1/1,000,000", "1/1000000", "LLLM"),
    ("≤ 1/1,000,000", "0", "LLLL"),
]
# A probability inside each band (for the last band: 1/10,000,000).
INSIDE = ["3/4", "1/5", "1/50", "1/500", "1/5000", "1/50000", "1/500000", "1/10000000"]


def test_csv_is_the_official_table():
    m = M.load_matrix()
    assert [(b.label, b.lower, "".join(b.levels[s] for s in M.SEVERITIES)) for b in m.bands] == [
        (label, Fraction(lower), levels) for label, lower, levels in OFFICIAL
    ]


@pytest.mark.parametrize("row", range(len(OFFICIAL)))
@pytest.mark.parametrize("severity", M.SEVERITIES)
def test_every_cell(row, severity):
    label, _, levels = OFFICIAL[row]
    p = INSIDE[row]
    assert M.default_matrix().band(p).label == label
    assert M.default_matrix().level(severity, p) == levels[severity - 1]
    result = M.assess_scenario({"name": "x", "severity": severity, "steps": [p]})
    assert (result.band, result.level, result.probability) == (label, levels[severity - 1], Fraction(p))


@pytest.mark.parametrize("row", range(len(OFFICIAL) - 1))
def test_band_edges_are_exclusive(row):
    """Exactly at a lower bound lies in the band below; a hair above lies in the band."""
    lower = Fraction(OFFICIAL[row][1])
    m = M.default_matrix()
    assert m.band(lower).label == OFFICIAL[row + 1][0]
    assert m.band(lower + Fraction(1, 10**12)).label == OFFICIAL[row][0]
    assert m.band(lower - Fraction(1, 10**12)).label == OFFICIAL[row + 1][0]


def test_named_edges():
    m = M.default_matrix()
    assert m.band("1/10").label == "> 1/100"          # exactly 1/10 is not "> 1/10"
    assert m.band("0.1").label == "> 1/100"
    assert m.band(0.1).label == "> 1/100"             # float read as its decimal, not 0.1000000000000000055…
    assert m.band("0.5").label == "> 1/10"            # exactly 50 % is not "> 50 %"
    assert m.band("50%").label == "> 1/10"
    assert m.band("0.500001").label == "> 50 %"
    assert m.band(1).label == "> 50 %"
    assert m.band("1/1000000").label == "≤ 1/1,000,000"
    assert m.band("0.000001").label == "≤ 1/1,000,000"
    assert m.band("1/999999").label == "> 1/1,000,000"


def test_scenario_probability_is_exact_product():
    # Folding-chair example of 2019/417 (Appendix 6, examples): 1 × 1/50 × 1/10 × 1 = 1/500.
    r = M.assess_scenario({"name": "pinching", "severity": 1, "steps": ["1", "1/50", "1/10", 1]})
    assert r.probability == Fraction(1, 500)
    assert (r.band, r.level) == ("> 1/1,000", "L")
    # 0.1 × 0.1 × 0.1 as floats is 0.0010000000000000002 (> 1/1000); exactly it is 1/1000.
    r = M.assess_scenario({"name": "x", "severity": 2, "steps": ["0.1", "0.1", "0.1"]})
    assert r.probability == Fraction(1, 1000)
    assert (r.band, r.level) == ("> 1/10,000", "M")
    assert M.scenario_probability(["1/2", "2/3", "0.75"]) == Fraction(1, 4)


def test_steps_in_several_forms():
    s = M.Scenario.build("mixed", 3, ["1/2", ("child reaches it", "0.1"), {"description": "swallows", "probability": Fraction(1, 5)}])
    assert [st.probability for st in s.steps] == [Fraction(1, 2), Fraction(1, 10), Fraction(1, 5)]
    assert s.steps[1].description == "child reaches it"
    r = M.assess_scenario(s)
    assert r.probability == Fraction(1, 100) and r.band == "> 1/1,000" and r.level == "S"


def test_worst_scenario_and_all_results():
    a = M.assess([
        {"name": "minor cut", "severity": 1, "steps": ["0.9"]},            # H
        {"name": "fracture", "severity": 2, "steps": ["1/2000"]},          # M
        {"name": "burn", "severity": 3, "steps": ["1/20", "1/10"]},        # 1/200 → S
        {"name": "electrocution", "severity": 4, "steps": ["1/2000000"]},  # L
    ])
    assert a.level == "S" and a.level_name == "serious"
    assert a.worst.name == "burn"
    assert [(r.name, r.level) for r in a.scenarios] == [
        ("minor cut", "H"), ("fracture", "M"), ("burn", "S"), ("electrocution", "L")]


def test_worst_ties_broken_by_probability_then_severity_then_order():
    a = M.assess([
        {"name": "a", "severity": 2, "steps": ["1/50"]},     # S
        {"name": "b", "severity": 4, "steps": ["1/5000"]},   # S, less probable
        {"name": "c", "severity": 3, "steps": ["1/20"]},     # S, most probable
    ])
    assert a.worst.name == "c"
    a = M.assess([
        {"name": "a", "severity": 3, "steps": ["1/20"]},
        {"name": "b", "severity": 4, "steps": ["1/20"]},     # same level and probability, more severe
    ])
    assert a.worst.name == "b"
    a = M.assess([
        {"name": "first", "severity": 1, "steps": ["1/1000"]},
        {"name": "second", "severity": 1, "steps": ["1/1000"]},
    ])
    assert a.worst.name == "first" and a.level == "L"


@pytest.mark.parametrize("scenario, message", [
    ({"name": "cut", "severity": 1, "steps": []}, "scenario 'cut': at least one step"),
    ({"name": "cut", "severity": 5, "steps": ["1/2"]}, "scenario 'cut': severity: 5 is not a severity level 1–4"),
    ({"name": "cut", "severity": 0, "steps": ["1/2"]}, "severity level 1–4"),
    ({"name": "cut", "severity": "2", "steps": ["1/2"]}, "severity level 1–4"),
    ({"name": "cut", "severity": True, "steps": ["1/2"]}, "severity level 1–4"),
    ({"name": "cut", "severity": 2, "steps": ["1/2", "0"]}, "scenario 'cut', step 2: '0' is outside (0, 1]"),
    ({"name": "cut", "severity": 2, "steps": ["1.5"]}, "scenario 'cut', step 1: '1.5' is outside (0, 1]"),
    ({"name": "cut", "severity": 2, "steps": [-0.1]}, "step 1: -0.1 is outside (0, 1]"),
    ({"name": "cut", "severity": 2, "steps": ["one in ten"]}, "step 1: 'one in ten' is not a probability"),
    ({"name": "cut", "severity": 2, "steps": ["1/0"]}, "step 1: '1/0' is not a probability"),
    ({"name": "cut", "severity": 2, "steps": [("grips edge", None)]}, "step 1 (grips edge): None is not a probability"),
    ({"name": "cut", "severity": 2, "steps": [{"description": "grips edge"}]}, "step 1: no probability"),
    ({"name": "cut", "steps": ["1/2"]}, "scenario 'cut': no severity"),
])
def test_bad_input_names_scenario_and_step(scenario, message):
    with pytest.raises(M.RiskInputError) as err:
        M.assess([{"name": "ok", "severity": 1, "steps": ["1/2"]}, scenario])
    assert message in str(err.value)


def test_no_scenarios():
    with pytest.raises(M.RiskInputError, match="at least one scenario"):
        M.assess([])


def test_bad_matrix_files(tmp_path):
    good = M.MATRIX_PATH.read_text(encoding="utf-8")
    cases = {
        "no_zero": good.replace('0,"≤ 1/1,000,000",L,L,L,L\n', ""),
        "bad_level": good.replace("1/2,> 50 %,H,S,S,S", "1/2,> 50 %,X,S,S,S"),
        "not_decreasing": good.replace("1/100,> 1/100,", "1/5,> 1/100,"),
        "falls_with_severity": good.replace("1/2,> 50 %,H,S,S,S", "1/2,> 50 %,S,H,S,S"),
        "falls_with_probability": good.replace("1/2,> 50 %,H,S,S,S", "1/2,> 50 %,L,S,S,S"),
        "bad_fraction": good.replace("1/1000,", "1/x,"),
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(M.MatrixError):
            M.load_matrix(path)
