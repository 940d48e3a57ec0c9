"""Credit with the apps around it: events from spot-check results, risk classes into the draw."""
import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from zhijian.core import scope as S
from zhijian.credit import services
from zhijian.credit.models import CreditEvent, EventType, Grade, Method
from zhijian.registry.models import Inspector, Lab, Product, ProductCategory
from zhijian.spotcheck import draw as engine
from zhijian.spotcheck import drawing
from zhijian.spotcheck.models import Plan, Task
from zhijian.spotcheck.services import apply
from zhijian.spotcheck.tests.draw_helpers import draw_plan

D = dt.date
PASS = [{"name": "标志和说明", "verdict": "qualified"}]
FAIL = [{"name": "输入功率和电流", "verdict": "unqualified", "measured": "+18%", "requirement": "≤ +15%"}]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_record_event_is_idempotent_per_type_and_source(enterprise_factory):
    ent = enterprise_factory()
    source = Lab.objects.create(name="src", accreditation_number="CMA-X", division_id="320500", level="city")
    first = services.record_event(ent, "complaint_upheld", D(2025, 5, 1), source=source)
    again = services.record_event(ent, "complaint_upheld", D(2025, 6, 1), source=source)
    assert again.pk == first.pk and CreditEvent.objects.filter(enterprise=ent).count() == 1
    assert (first.source_type, first.source_id) == ("registry.lab", str(source.pk))
    assert first.weight == EventType.objects.get(code="complaint_upheld").weight
    # another type from the same source is a different event
    services.record_event(ent, "penalty_ordinary", D(2025, 6, 1), source=source)
    assert CreditEvent.objects.filter(enterprise=ent).count() == 2


def test_record_event_errors_name_the_field(enterprise_factory):
    ent = enterprise_factory()
    with pytest.raises(ValidationError) as exc:
        services.record_event(ent, "no_such_type", D(2025, 1, 1))
    assert "type" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.record_event(ent, "award", D(2025, 1, 1), weight=20)
    assert "weight_reason" in exc.value.message_dict
    assert not CreditEvent.objects.filter(enterprise=ent).exists()


def test_event_type_version_in_force_on_the_date(enterprise_factory):
    ent = enterprise_factory()
    EventType.objects.create(code="award", name="Quality award (2025 weights)", group="capability",
                             weight=10, half_life_months=24, validity_months=60, valid_from=D(2025, 1, 1))
    old = services.record_event(ent, "award", D(2024, 12, 31))
    new = services.record_event(ent, "award", D(2025, 1, 1))
    assert (old.weight, new.weight) == (8, 10)
    assert new.type.valid_from == D(2025, 1, 1)


@pytest.fixture
def task_world(make_user, enterprise_factory):
    category = ProductCategory.objects.filter(key_supervised=True).first()
    plan = Plan.objects.create(title="2026 电热毯专项", kind="seasonal", year=2026, period="2026",
                               starts_on=D(2026, 1, 5), ends_on=D(2026, 12, 31), division_id="320500")
    plan.categories.add(category)
    lab = Lab.objects.create(name="苏州质检院", accreditation_number="CMA-320500-9",
                             division_id="320500", level="city")
    inspectors = [Inspector.objects.create(name=f"检查员{i}", badge_number=f"CR{i:04d}",
                                           division_id="320500") for i in range(2)]
    users = {"officer": make_user(S.ROLE_OFFICER, "320500"),
             "inspector": make_user(S.ROLE_INSPECTOR, "320500", inspector=inspectors[0]),
             "lab": make_user(S.ROLE_LAB, lab=lab)}

    def new_task():
        ent = enterprise_factory("320505")
        task = Task.objects.create(plan=plan, enterprise=ent, category=category, division_id="320505",
                                   stratum="320505/x", lab=lab)
        task.inspectors.add(*inspectors)
        return task

    return new_task, users


def _to_notified(task, u, verdict):
    on = D(2026, 3, 2)
    apply(task, "sample", u["inspector"], {"sample_name": "电热毯", "sample_quantity": "4 条"}, on=on)
    apply(task, "deliver", u["lab"], {}, on=on)
    apply(task, "record_result", u["lab"], {"verdict": verdict,
                                             "items": FAIL if verdict == "unqualified" else PASS}, on=on)
    apply(task, "notify", u["officer"], {"notified_on": "2026-03-10"}, on=D(2026, 3, 10))


def _codes(task):
    return sorted(CreditEvent.objects.filter(source_type="spotcheck.task", source_id=str(task.pk))
                  .values_list("type__code", flat=True))


def test_spotcheck_results_become_credit_events(task_world):
    new_task, u = task_world
    good = new_task()
    _to_notified(good, u, "qualified")
    assert _codes(good) == ["spotcheck_qualified"]
    apply(good, "close", u["officer"], on=D(2026, 3, 11))
    assert _codes(good) == ["spotcheck_qualified"]  # idempotent: closing does not add a second one
    ev = CreditEvent.objects.get(source_type="spotcheck.task", source_id=str(good.pk))
    assert ev.enterprise_id == good.enterprise_id and ev.date == D(2026, 3, 10)

    bad = new_task()
    _to_notified(bad, u, "unqualified")
    assert _codes(bad) == []  # not final while an objection is possible
    apply(bad, "order_rectification", u["officer"], {"rectification_due": "2026-06-30"}, on=D(2026, 4, 1))
    assert _codes(bad) == ["spotcheck_unqualified"]
    apply(bad, "recheck", u["inspector"], {"verdict": "qualified"}, on=D(2026, 7, 1))
    assert _codes(bad) == ["recheck_qualified", "spotcheck_unqualified"]


# ----------------------------------------------------------------------------- the draw


def _grade(ent, cls, when):
    Grade.objects.create(enterprise=ent, method=Method.objects.get(version="2020.1"), as_of=when.date(),
                         score=50, grade="C", risk_class=cls, computed_at=when, explanation={})


def test_draw_takes_risk_classes_from_credit_grades(make_user, enterprise_factory):
    """One class-A and one class-D enterprise make every product; quota 1 per stratum over 40
    categories and 20 seeds: D is picked about 30 times as often as A (weights 1 % vs 30 %)."""
    cats = list(ProductCategory.objects.filter(key_supervised=True).order_by("code")[:40])
    a, d = enterprise_factory("320505", name="A 企业"), enterprise_factory("320505", name="D 企业")
    for ent in (a, d):
        Product.objects.bulk_create([Product(enterprise=ent, category=c, name=c.name) for c in cats])
    now = timezone.now()
    _grade(a, "D", now - dt.timedelta(days=40))  # superseded by the later grade
    _grade(a, "A", now)
    _grade(d, "D", now)
    insp = [Inspector.objects.create(name=f"检查员{i}", badge_number=f"DR{i:04d}", division_id="320500")
            for i in range(8)]
    for i in insp:
        i.categories.add(*cats)
    officer = make_user(S.ROLE_OFFICER, "320500")
    picks = Counter()
    for seed in range(20):
        plan = Plan.objects.create(title=f"plan {seed}", kind="routine", year=2026, period=f"2026-{seed}",
                                   starts_on=D(2026, 3, 1), ends_on=D(2026, 11, 30), division_id="320500",
                                   quota_mode="count", quota_count=1)
        plan.categories.add(*cats)
        draw_plan(plan, officer, public_value=f"public value {seed}", public_value_source="test")
        picks.update(Task.objects.filter(plan=plan).values_list("enterprise_id", flat=True))
    n = 20 * len(cats)
    assert picks[a.pk] + picks[d.pk] == n
    # expected A = n/31 ≈ 25.8 (sd ≈ 5); unweighted it would be n/2 = 400
    assert 8 <= picks[a.pk] <= 50, picks
    assert 15 < picks[d.pk] / max(picks[a.pk], 1) < 100, picks
