"""Indicator values equal hand counts of fixed records (``world.py``); roll-ups over divisions
and periods are sums of the data values, then the ratio — never an average of ratios."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhijian.core.scope import ROLE_OFFICER, ROLE_PROVINCE_ADMIN
from zhijian.targets import services
from zhijian.targets.models import ComputationRun, DataElement, DataValue, Indicator, Target, TargetSet

from . import world


@pytest.fixture
def computed(db):
    world.build()
    result = services.compute_values("202601", "202612")
    assert result["rows"] > 0
    return result


def val(code, division, period):
    e = DataElement.objects.get(code=code)
    return services.element_value(e, division if len(division) < 6 else services.division_prefix(division),
                                  period)[0]


def ind(code, division, period):
    return services.evaluate(Indicator.objects.get(code=code), division, period)


def test_computed_elements_equal_hand_counts(computed):
    assert val("tested_batches_agricultural", "320505", "202602") == 2
    assert val("qualified_batches_agricultural", "320505", "202602") == 1
    assert val("tested_batches_agricultural", "320500", "2026Q1") == 4
    assert val("qualified_batches_agricultural", "320500", "2026Q1") == 3
    assert val("tested_batches_agricultural", "320000", "2026") == 6
    assert val("qualified_batches_agricultural", "320000", "2026") == 4
    assert val("tested_batches_industrial", "320505", "2026Q1") == 2
    assert val("qualified_batches_industrial", "320505", "2026Q1") == 2       # the re-test stands
    assert val("tested_batches_consumer", "320583", "2026") == 1                # the untested task is not counted
    assert val("qualified_batches_consumer", "320583", "2026") == 0
    assert val("tested_batches_all", "320500", "2026") == 8
    assert val("qualified_batches_all", "320500", "2026") == 6
    assert val("complaints_received", "320500", "2026") == 3                    # reports (举报) are not complaints
    assert val("complaints_upheld", "320500", "2026") == 2
    assert val("complaints_received", "320505", "2026Q1") == 2
    assert val("incidents_reported", "320500", "2026") == 2                     # the rejected one is not counted
    assert val("serious_incidents", "320500", "2026") == 1
    assert val("serious_incidents", "320500", "2026Q1") == 0
    assert val("recalls_decided", "320500", "2026") == 2                        # counted when decided
    assert val("recalls_decided", "320500", "2026Q1") == 1
    assert val("recalls_ordered", "320500", "2026") == 1
    assert val("recalls_ordered", "320000", "2026") == 2
    assert val("recalls_decided", "320102", "2026Q2") == 1
    # credit grades: a stock, carried forward; the latest month of the period counts
    assert val("credit_grade_aa_or_above", "320500", "202601") == 2
    assert val("credit_grade_aa_or_above", "320500", "202602") == 1
    assert val("credit_grade_aa_or_above", "320500", "2026Q1") == 1
    assert val("credit_grade_aa_or_above", "320500", "2026") == 1
    assert val("credit_grade_c", "320500", "202601") == 0                       # superseded in the same month
    assert val("credit_grade_b", "320505", "2026Q2") == 1


def test_pass_rate_rolls_up_sums_then_divides(computed):
    # 虎丘 2/3, 昆山 1/1: 苏州 is 3/4 = 75 %, not the mean of 66.7 % and 100 %
    assert ind("pass_rate_agricultural", "320505", "2026Q1").value.quantize(Decimal("0.01")) == Decimal("66.67")
    assert ind("pass_rate_agricultural", "320583", "2026Q1").value == 100
    city = ind("pass_rate_agricultural", "320500", "2026Q1")
    assert city.value == 75 and (city.numerator, city.denominator) == (3, 4)
    assert ind("pass_rate_agricultural", "320500", "2026").value == 80                  # quarters → year: 4/5
    assert ind("pass_rate_agricultural", "320000", "2026").value.quantize(Decimal("0.01")) == Decimal("66.67")
    assert ind("pass_rate_agricultural", "320100", "2026Q1").value == 0                 # none qualified: 0 %, not "no data"
    assert ind("pass_rate_manufactured", "320500", "2026").value == Decimal(200) / 3    # (2 + 0) / (2 + 1)
    assert ind("complaints_upheld_share", "320500", "2026").value == Decimal(200) / 3


def test_no_tests_in_a_period_is_no_value_with_a_reason(computed):
    v = ind("pass_rate_agricultural", "320500", "2026Q3")
    assert v.value is None and "division by zero" in v.reason
    v = ind("pass_rate_agricultural", "320500", "2027")
    assert v.value is None and "not been computed" in v.reason


def test_recomputing_replaces_the_months(computed):
    n = DataValue.objects.filter(origin="computed").count()
    services.compute_values("202601", "202612")
    assert DataValue.objects.filter(origin="computed").count() == n
    assert ComputationRun.objects.count() == 2


# --------------------------------------------------------------------------- entered values


@pytest.fixture
def users(make_user):
    return {"province": make_user(ROLE_PROVINCE_ADMIN, "320000"), "suzhou": make_user(ROLE_OFFICER, "320500"),
            "nanjing": make_user(ROLE_OFFICER, "320100")}


def test_entered_values_count_after_approval(db, users):
    e = DataElement.objects.get(code="producer_service_satisfaction")
    dv = services.submit_value(users["suzhou"], element=e, division="320500", period="2026", value=Decimal("86.5"))
    assert dv.status == "pending" and dv.events.get().type == "submitted"
    assert ind("producer_service_satisfaction", "320500", "2026").value is None    # not yet approved
    with pytest.raises(PermissionDenied):
        services.review_value(dv, users["suzhou"], approve=True)
    with pytest.raises(ValidationError):
        services.review_value(dv, users["province"], approve=False)                 # a rejection needs a reason
    services.review_value(dv, users["province"], approve=True)
    assert ind("producer_service_satisfaction", "320500", "2026").value == Decimal("86.5")


def test_entry_is_checked(db, users):
    e = DataElement.objects.get(code="gdp")
    with pytest.raises(PermissionDenied):
        services.submit_value(users["nanjing"], element=e, division="320500", period="2026", value=1)
    with pytest.raises(ValidationError, match="reported per"):
        services.submit_value(users["suzhou"], element=e, division="320500", period="2026Q1", value=1)
    with pytest.raises(ValidationError, match="period code"):
        services.submit_value(users["suzhou"], element=e, division="320500", period="2026-1", value=1)
    with pytest.raises(ValidationError, match="computed"):
        services.submit_value(users["province"], element=DataElement.objects.get(code="tested_batches_all"),
                              division="320500", period="202601", value=1)
    services.submit_value(users["suzhou"], element=e, division="320583", period="2026", value=100)
    with pytest.raises(ValidationError, match="one level"):
        services.submit_value(users["suzhou"], element=e, division="320500", period="2026", value=300)


def test_entered_values_roll_up_over_divisions_and_ratio_of_sums(db, users):
    p = users["province"]
    for code, division, value in [("own_brand_value_added", "320500", 30), ("gdp", "320500", 100),
                                  ("own_brand_value_added", "320100", 5), ("gdp", "320100", 100)]:
        dv = services.submit_value(p, element=DataElement.objects.get(code=code), division=division, period="2026",
                                   value=Decimal(value))
        services.review_value(dv, p, approve=True)
    assert ind("own_brand_share", "320500", "2026").value == 30
    assert ind("own_brand_share", "320000", "2026").value == Decimal("17.5")          # 35 / 200, not (30 + 5) / 2
    assert ind("own_brand_share", "320000", "2026Q1").value is None                   # reported yearly


def test_progress_with_lights_and_cumulative_counts(db, users):
    p = users["province"]
    ts = TargetSet.objects.get(code="seed_2020")
    for year, n in [(2016, 1), (2018, 1)]:
        dv = services.submit_value(p, element=DataElement.objects.get(code="national_quality_award"), division="320000",
                                   period=str(year), value=n)
        services.review_value(dv, p, approve=True)
    for code, value in [("manufacturing_quality_index", "84"), ("producer_service_satisfaction", "86"),
                        ("consumer_service_satisfaction", "79.5")]:
        dv = services.submit_value(p, element=DataElement.objects.get(code=code), division="320000", period="2020",
                                   value=Decimal(value))
        services.review_value(dv, p, approve=True)
    rows = {r.target.indicator.code: r for r in services.progress(ts, "320000", "2020")}
    assert rows["national_quality_award"].value == 2 and rows["national_quality_award"].light == "not_met"  # 2016–2020
    assert rows["manufacturing_quality_index"].light == "near"      # 84 ≥ 88 × 0.95 = 83.6
    assert rows["producer_service_satisfaction"].light == "met"
    assert rows["consumer_service_satisfaction"].light == "near"
    assert rows["luban_award"].light == "no_data"
    assert len(rows) == ts.targets.count()


@pytest.mark.parametrize("direction,target,value,expected", [
    ("gte", 90, "90", "met"), ("gte", 90, "85.5", "near"), ("gte", 90, "85.49", "not_met"),
    ("lte", 0, "0", "met"), ("lte", 10, "10.5", "near"), ("lte", 10, "10.51", "not_met"),
    ("count", 100, "95", "near"), ("count", 100, "100", "met"), ("gte", 90, None, "no_data")])
def test_traffic_lights(direction, target, value, expected):
    t = Target(direction=direction, value=Decimal(target))
    assert services.light(t, Decimal(value) if value is not None else None) == expected
