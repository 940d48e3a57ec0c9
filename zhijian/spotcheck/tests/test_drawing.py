"""A plan through commit, draw and publication against the real database."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhijian.accounts.audit import verify_chain
from zhijian.core import scope as S
from zhijian.registry.models import Inspector, Lab, Product, ProductCategory
from zhijian.spotcheck import draw as engine
from zhijian.spotcheck import drawing
from zhijian.spotcheck.models import InspectorConflict, Plan, PlanLab, Task

D = dt.date


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English (the default language is zh-Hans)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def setting(make_user, enterprise_factory):
    cats = list(ProductCategory.objects.filter(key_supervised=True).order_by("code")[:2])
    enterprises = []
    for i in range(30):
        county = ["320505", "320506", "320583"][i % 3]
        e = enterprise_factory(county, name=f"苏州企业{i}")
        Product.objects.create(enterprise=e, category=cats[i % 2], name=f"产品{i}")
        enterprises.append(e)
    nanjing = enterprise_factory("320102", name="南京企业")
    Product.objects.create(enterprise=nanjing, category=cats[0], name="南京产品")
    inspectors = []
    for i in range(8):
        insp = Inspector.objects.create(name=f"检查员{i}", badge_number=f"SZ{i:04d}",
                                        division_id=["320500", "320505", "320583", "320506"][i % 4])
        insp.categories.add(*cats)
        inspectors.append(insp)
    lab = Lab.objects.create(name="苏州质检院", accreditation_number="CMA-1", division_id="320500",
                             level="city")
    plan = Plan.objects.create(title="2026 年苏州市重点产品抽查", kind="routine", year=2026,
                               period="2026", starts_on=D(2026, 3, 1), ends_on=D(2026, 11, 30),
                               division_id="320500", quota_mode="count", quota_count=2)
    plan.categories.add(*cats)
    PlanLab.objects.create(plan=plan, category=cats[0], lab=lab)
    officer = make_user(S.ROLE_OFFICER, "320500")
    return {"plan": plan, "cats": cats, "enterprises": enterprises, "nanjing": nanjing,
            "inspectors": inspectors, "officer": officer, "lab": lab}


def committed(s):
    secret = engine.make_secret()
    drawing.commit(s["plan"], s["officer"], engine.commitment_of(secret))
    return secret


def test_commit_draw_publish_and_verify(setting):
    s = setting
    secret = committed(s)
    plan = Plan.objects.get(pk=s["plan"].pk)
    assert plan.status == "committed" and not plan.draw.secret
    draw = drawing.perform_draw(plan, s["officer"], secret=secret, public_value="2026001 03 08 15 22 27 31",
                                public_value_source="福利彩票双色球 2026001 期")
    tasks = Task.objects.filter(plan=plan)
    # 3 counties x 2 categories, 2 per stratum
    assert tasks.count() == 12
    assert not tasks.filter(enterprise=s["nanjing"]).exists()
    for task in tasks.prefetch_related("inspectors"):
        assert task.inspectors.count() >= 2
        assert task.division_id.startswith("3205")
        assert task.lab_id == (s["lab"].pk if task.category == s["cats"][0] else None)
        assert task.events.filter(type="drawn").exists()
    # the stored files verify
    result = engine.verify(draw.record_file.read(), draw.pool_file.read())
    assert result.match, result
    drawing.publish_draw(plan, s["officer"])
    plan.refresh_from_db()
    assert plan.status == "published"
    assert Plan.objects.restrict(None).filter(pk=plan.pk).exists()
    assert verify_chain().ok


def test_wrong_secret_is_refused_and_nothing_is_drawn(setting):
    s = setting
    committed(s)
    with pytest.raises(ValidationError, match="commitment"):
        drawing.perform_draw(s["plan"], s["officer"], secret=engine.make_secret(), public_value="x",
                             public_value_source="y")
    assert not Task.objects.exists()
    assert Plan.objects.get(pk=s["plan"].pk).status == "committed"


def test_draw_needs_the_commitment_first(setting):
    s = setting
    with pytest.raises(ValidationError):
        drawing.perform_draw(s["plan"], s["officer"], secret=engine.make_secret(), public_value="x",
                             public_value_source="y")


def test_out_of_scope_officer_cannot_commit_or_draw(setting, make_user):
    s = setting
    nanjing_officer = make_user(S.ROLE_OFFICER, "320100")
    with pytest.raises(PermissionDenied):
        drawing.commit(s["plan"], nanjing_officer, "0" * 64)
    secret = committed(s)
    with pytest.raises(PermissionDenied):
        drawing.perform_draw(s["plan"], nanjing_officer, secret=secret, public_value="x",
                             public_value_source="y")


def test_higher_level_sample_of_the_same_period_is_excluded(setting, make_user):
    s = setting
    province = Plan.objects.create(title="2026 省级监督抽查", kind="routine", year=2026, period="2026",
                                   starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31), division_id="320000",
                                   quota_mode="count", quota_count=1)
    province.categories.add(*s["cats"])
    sampled = [e for e in s["enterprises"] if e.division_id == "320505"]
    cat_of = {p.enterprise_id: p.category for p in Product.objects.filter(enterprise__in=sampled)}
    for e in sampled:
        Task.objects.create(plan=province, enterprise=e, category=cat_of[e.pk], division_id=e.division_id,
                            stratum="x")
    secret = committed(s)
    draw = drawing.perform_draw(s["plan"], s["officer"], secret=secret, public_value="v",
                                public_value_source="src")
    drawn = set(Task.objects.filter(plan=s["plan"]).values_list("enterprise_id", flat=True))
    assert not drawn & {e.pk for e in sampled}
    record = engine.load_record(draw.record_file.read())
    assert len(record["exclusions"]) == len(sampled)


def test_conflicted_inspector_is_avoided(setting):
    s = setting
    barred = s["inspectors"][0]
    for e in s["enterprises"]:
        InspectorConflict.objects.create(inspector=barred, enterprise=e, reason="亲属关系")
    secret = committed(s)
    drawing.perform_draw(s["plan"], s["officer"], secret=secret, public_value="v", public_value_source="s")
    assert not Task.objects.filter(plan=s["plan"], inspectors=barred).exists()


def test_risk_classes_feed_the_weights(setting):
    s = setting
    s["plan"].quota_mode = "class_ratios"
    s["plan"].save()
    classes = {e.uscc: ("D" if i % 5 == 0 else "A") for i, e in enumerate(s["enterprises"])}
    secret = committed(s)
    draw = drawing.perform_draw(s["plan"], s["officer"], secret=secret, public_value="v",
                                public_value_source="s", risk_classes=classes)
    record = engine.load_record(draw.record_file.read())
    assert record["params"]["quota_mode"] == "risk"
    pool_classes = {line.split(",")[0]: line.split(",")[3]
                    for line in draw.pool_file.read().decode().splitlines()[1:]}
    assert pool_classes == classes


@pytest.mark.django_db
@pytest.mark.parametrize("ratios, ok", [
    ({"A": 0.01, "B": 0.02, "C": 0.05, "D": 1}, True),
    ({"A": "0.005", "B": 0.02, "C": 0.05, "D": 1}, True),
    ({"A": 0, "B": 0.02, "C": 0.05, "D": 1}, False),          # the draw refuses a zero ratio
    ({"A": 1e-10, "B": 0.02, "C": 0.05, "D": 1}, False),      # below the engine's 1e-9 grain
    ({"A": 0.01, "B": 0.02, "C": 0.05, "D": 1.5}, False),
    ({"A": 0.01, "B": 0.02, "C": 0.05}, False),
    ({"A": True, "B": 0.02, "C": 0.05, "D": 1}, False),
])
def test_plan_entry_checks_class_ratios_with_the_draw_engines_rule(ratios, ok):
    """A plan is refused at entry with ratios the draw would refuse after it is frozen."""
    plan = Plan(title="比例校验", kind="routine", year=2026, period="2026",
                starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 11, 30), division_id="320500",
                quota_mode="class_ratios", class_ratios=ratios)
    if ok:
        plan.clean()
        engine.DrawParams(plan_id="1", quota_mode="risk",
                          class_ratios={k: engine.ratio_text(v) for k, v in ratios.items()}).validate()
    else:
        with pytest.raises(ValidationError) as err:
            plan.clean()
        assert "class_ratios" in err.value.message_dict
