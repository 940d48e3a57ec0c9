from decimal import Decimal

import pytest

from zhijian.targets import expressions as ex
from zhijian.targets import periods


def ev(text, **values):
    return ex.evaluate(ex.parse(text), {k: Decimal(v) for k, v in values.items()})


def test_precedence_and_parentheses():
    assert ev("1 + 2 * 3")[0] == 7
    assert ev("(1 + 2) * 3")[0] == 9
    assert ev("10 - 4 - 3")[0] == 3          # left-associative
    assert ev("12 / 3 / 2")[0] == 2
    assert ev("-#{a} + 5", a=2)[0] == 3
    assert ev("#{q} / #{t} * 100", q=49, t=50)[0] == 98
    assert ev("(#{a} + #{b}) / (#{c} + #{d}) * 100", a=1, b=2, c=2, d=2)[0] == 75


def test_division_by_zero_gives_no_value_with_a_reason():
    assert ev("#{q} / #{t}", q=1, t=0) == (None, "division by zero")
    assert ev("#{q} / (#{t} - #{t})", q=1, t=3) == (None, "division by zero")


def test_missing_value_gives_no_value_naming_the_element():
    assert ev("#{q} / #{t}", q=1) == (None, "no data for #{t}")


def test_unknown_code_is_an_error_naming_code_and_position():
    with pytest.raises(ex.ExpressionError) as e:
        ex.parse("#{known} / #{nope}", {"known"})
    assert e.value.code == "nope" and e.value.position == 12
    assert "unknown data element #{nope}" in str(e.value) and "position 12" in str(e.value)


@pytest.mark.parametrize("text,pos", [("1 +", 4), ("(1 + 2", 7), ("1 ** 2", 4), ("1 + x", 5), ("#{Bad}", 1),
                                      ("", 1), ("2 3", 3), ("__import__('os')", 1)])
def test_malformed_expressions_are_refused_with_a_position(text, pos):
    with pytest.raises(ex.ExpressionError) as e:
        ex.parse(text)
    assert e.value.position == pos


def test_references_in_order():
    assert ex.references("#{b} + #{a} / #{b}") == ["b", "a"]


def test_periods():
    assert periods.parse("2026") == ("year", 2026, 0)
    assert periods.parse("2026Q2") == ("quarter", 2026, 2)
    assert periods.parse("202605") == ("month", 2026, 5)
    for bad in ("2026Q5", "202613", "26", "2026-05", "2026q1"):
        with pytest.raises(periods.PeriodError):
            periods.parse(bad)
    assert periods.subperiods("2026Q2", "month") == ["202604", "202605", "202606"]
    assert periods.subperiods("2026", "quarter") == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert len(periods.subperiods("2026", "month")) == 12
    with pytest.raises(periods.PeriodError):
        periods.subperiods("202605", "year")
    import datetime as dt
    assert periods.bounds("2026Q1") == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert periods.bounds("202602") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
