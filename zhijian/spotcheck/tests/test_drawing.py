"""A plan through commit, draw and publication against the real database."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhijian.accounts.audit import verify_chain
from zhijian.core import scope as S
from zhijian.registry.models import Inspector, Lab, Product, ProductCategory
from zhijian.spotcheck import draw as engine
from zhijian.spotcheck import drawing
from zhijian.spotcheck.models import Draw, InspectorConflict, Plan, PlanLab, Task

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
    witness = make_user(S.ROLE_OFFICER, "320500")  # the second officer, who enters the public value
    return {"plan": plan, "cats": cats, "enterprises": enterprises, "nanjing": nanjing,
            "inspectors": inspectors, "officer": officer, "witness": witness, "lab": lab}


def committed(s, risk_classes=None, now=None):
    """Commit now (or at ``now``), naming a public value announced a day later."""
    secret = engine.make_secret()
    now = now or timezone.now()
    drawing.commit(s["plan"], s["officer"], engine.commitment_of(secret),
                   public_value_source="福利彩票双色球 2026001 期", public_value_at=now + dt.timedelta(days=1),
                   risk_classes=risk_classes, now=now)
    return secret


def announced(s, value="2026001 03 08 15 22 27 31"):
    """The second officer enters the value just after its announcement; returns a moment to draw at."""
    draw = Draw.objects.get(plan=s["plan"])
    drawing.enter_public_value(s["plan"], s["witness"], value, now=draw.public_value_at + dt.timedelta(minutes=5))
    return draw.public_value_at + dt.timedelta(hours=1)


def drawn(s, secret, value="2026001 03 08 15 22 27 31"):
    return drawing.perform_draw(s["plan"], s["officer"], secret=secret, now=announced(s, value))


def test_commit_draw_publish_and_verify(setting):
    s = setting
    secret = committed(s)
    plan = Plan.objects.get(pk=s["plan"].pk)
    assert plan.status == "committed" and not plan.draw.secret
    draw = drawn(s, secret)
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
    at = announced(s)
    with pytest.raises(ValidationError, match="commitment"):
        drawing.perform_draw(s["plan"], s["officer"], secret=engine.make_secret(), now=at)
    assert not Task.objects.exists()
    assert Plan.objects.get(pk=s["plan"].pk).status == "committed"


def test_draw_needs_the_commitment_first(setting):
    s = setting
    with pytest.raises(ValidationError):
        drawing.perform_draw(s["plan"], s["officer"], secret=engine.make_secret())


def test_out_of_scope_officer_cannot_commit_or_draw(setting, make_user):
    s = setting
    nanjing_officer = make_user(S.ROLE_OFFICER, "320100")
    with pytest.raises(PermissionDenied):
        drawing.commit(s["plan"], nanjing_officer, "0" * 64, public_value_source="x",
                       public_value_at=timezone.now() + dt.timedelta(days=1))
    secret = committed(s)
    with pytest.raises(PermissionDenied):
        drawing.enter_public_value(s["plan"], nanjing_officer, "x", now=timezone.now() + dt.timedelta(days=2))
    at = announced(s)
    with pytest.raises(PermissionDenied):
        drawing.perform_draw(s["plan"], nanjing_officer, secret=secret, now=at)


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
    draw = drawn(s, secret)
    drawn_ids = set(Task.objects.filter(plan=s["plan"]).values_list("enterprise_id", flat=True))
    assert not drawn_ids & {e.pk for e in sampled}
    record = engine.load_record(draw.record_file.read())
    assert len(record["exclusions"]) == len(sampled)


def test_conflicted_inspector_is_avoided(setting):
    s = setting
    barred = s["inspectors"][0]
    for e in s["enterprises"]:
        InspectorConflict.objects.create(inspector=barred, enterprise=e, reason="亲属关系")
    secret = committed(s)
    drawn(s, secret)
    assert not Task.objects.filter(plan=s["plan"], inspectors=barred).exists()


def test_risk_classes_feed_the_weights(setting):
    s = setting
    s["plan"].quota_mode = "class_ratios"
    s["plan"].save()
    classes = {e.uscc: ("D" if i % 5 == 0 else "A") for i, e in enumerate(s["enterprises"])}
    secret = committed(s, risk_classes=classes)
    draw = drawn(s, secret)
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


# --------------------------------------------------------------------------- seed grinding (issue: the
# officer who holds the secret must not be able to choose the public value, nor reshape the pool)


def test_commit_freezes_the_pool_and_names_the_public_value(setting):
    s = setting
    now = timezone.now()
    committed(s, now=now)
    draw = Draw.objects.get(plan=s["plan"])
    assert draw.committed_by == s["officer"]
    assert draw.public_value_source == "福利彩票双色球 2026001 期"
    assert draw.public_value_at == now + dt.timedelta(days=1) and not draw.public_value
    pool = draw.pool_file.read()
    assert engine.Pool.from_bytes(pool).sha256 == draw.pool_hash and draw.pool_size == 30
    assert draw.inputs_hash == drawing.inputs_sha256(draw.inputs)
    assert {r[0] for r in draw.inputs["inspectors"]} == {i.badge_number for i in s["inspectors"]}


@pytest.mark.parametrize("delay", [dt.timedelta(seconds=-60), dt.timedelta(0), dt.timedelta(seconds=1.48),
                                   dt.timedelta(minutes=59)])
def test_a_public_value_announced_too_soon_is_refused_at_commit(setting, delay):
    s = setting
    now = timezone.now()
    with pytest.raises(ValidationError) as err:
        drawing.commit(s["plan"], s["officer"], engine.commitment_of(engine.make_secret()),
                       public_value_source="某期彩票", public_value_at=now + delay, now=now)
    assert "public_value_at" in err.value.message_dict
    assert not Draw.objects.exists() and Plan.objects.get(pk=s["plan"].pk).status == "draft"


def test_commit_needs_a_named_source(setting):
    s = setting
    with pytest.raises(ValidationError) as err:
        drawing.commit(s["plan"], s["officer"], engine.commitment_of(engine.make_secret()),
                       public_value_source="  ", public_value_at=timezone.now() + dt.timedelta(days=1))
    assert "public_value_source" in err.value.message_dict


def test_grinding_candidate_values_is_refused(setting):
    """The attack that was found: commit, try candidate public values, draw with the one that
    spares a chosen enterprise moments after the commitment. Each way in is closed."""
    s = setting
    now = timezone.now()
    secret = committed(s, now=now)
    announced_at = now + dt.timedelta(days=1)
    # before the announced moment neither the value nor the draw is accepted
    for moment in (now + dt.timedelta(seconds=1.48), announced_at - dt.timedelta(seconds=1)):
        with pytest.raises(ValidationError, match="announced"):
            drawing.enter_public_value(s["plan"], s["witness"], "candidate 1", now=moment)
        with pytest.raises(ValidationError, match="announced"):
            drawing.perform_draw(s["plan"], s["officer"], secret=secret, now=moment)
    # the officer who committed (and holds the secret) cannot enter the value
    with pytest.raises(PermissionDenied, match="second officer"):
        drawing.enter_public_value(s["plan"], s["officer"], "candidate 2", now=announced_at)
    # no draw without the value, even after the moment
    with pytest.raises(ValidationError, match="not been entered"):
        drawing.perform_draw(s["plan"], s["officer"], secret=secret, now=announced_at)
    drawing.enter_public_value(s["plan"], s["witness"], "  2026001 03 08 15 22 27 31 ", now=announced_at)
    # once entered, no other candidate can replace it
    for candidate in ("candidate 3", "candidate 4"):
        with pytest.raises(ValidationError, match="cannot be changed"):
            drawing.enter_public_value(s["plan"], s["witness"], candidate, now=announced_at)
    assert not Task.objects.exists()
    draw = drawing.perform_draw(s["plan"], s["officer"], secret=secret, now=announced_at + dt.timedelta(hours=2))
    record = engine.load_record(draw.record_file.read())
    r = record["randomness"]
    assert r["public_value"] == "2026001 03 08 15 22 27 31"  # stripped when entered, hashed as recorded
    assert r["public_value_source"] == "福利彩票双色球 2026001 期"
    assert (r["committed_at"], r["public_value_at"], r["drawn_at"]) == tuple(
        engine.format_time(t) for t in (now, announced_at, announced_at + dt.timedelta(hours=2)))
    assert r["committed_at"] < r["public_value_at"] <= r["drawn_at"]
    assert record["pool"]["sha256"] == draw.pool_hash


def test_the_draw_uses_the_frozen_pool_whatever_the_registry_holds_later(setting, enterprise_factory):
    s = setting
    secret = committed(s)
    frozen = Draw.objects.get(plan=s["plan"]).pool_hash
    # after the commitment: a new producer in scope, one enterprise closed, one risk class changed
    newcomer = enterprise_factory("320505", name="承诺后新设企业")
    Product.objects.create(enterprise=newcomer, category=s["cats"][0], name="新产品")
    closed = s["enterprises"][0]
    closed.status = "closed"
    closed.save()
    draw = drawn(s, secret)
    assert draw.pool_hash == frozen
    pool_rows = draw.pool_file.read().decode()
    assert newcomer.uscc not in pool_rows and closed.uscc in pool_rows
    assert engine.verify(draw.record_file.read(), pool_rows.encode()).match


def test_a_changed_pool_is_refused(setting):
    s = setting
    secret = committed(s)
    draw = Draw.objects.get(plan=s["plan"])
    lines = draw.pool_file.read().decode().splitlines(keepends=True)
    draw.pool_file.close()
    spared = lines.pop(3)  # drop one enterprise from the frozen pool file
    with draw.pool_file.storage.open(draw.pool_file.name, "wb") as f:
        f.write("".join(lines).encode())
    at = announced(s)
    with pytest.raises(drawing.DrawFailed, match="differs from the one frozen"):
        drawing.perform_draw(s["plan"], s["officer"], secret=secret, now=at)
    assert not Task.objects.exists() and Plan.objects.get(pk=s["plan"].pk).status == "committed"
    assert spared


def test_changed_frozen_inputs_are_refused(setting):
    s = setting
    secret = committed(s)
    draw = Draw.objects.get(plan=s["plan"])
    draw.inputs["inspectors"] = draw.inputs["inspectors"][:2]  # keep only two favoured inspectors
    draw.save()
    at = announced(s)
    with pytest.raises(drawing.DrawFailed, match="differ from those frozen"):
        drawing.perform_draw(s["plan"], s["officer"], secret=secret, now=at)
    assert not Task.objects.exists()


def test_verify_draw_rejects_a_record_whose_times_are_out_of_order(setting, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    s = setting
    draw = drawn(s, committed(s))
    record = engine.load_record(draw.record_file.read())
    pool = tmp_path / "pool.csv"
    pool.write_bytes(draw.pool_file.read())
    good = tmp_path / "record.json"
    good.write_bytes(engine.record_bytes(record))
    out = StringIO()
    call_command("verify_draw", str(good), str(pool), stdout=out)
    assert "MATCH" in out.getvalue()
    # the same record claiming the draw came before the public value was announced
    record["randomness"]["drawn_at"] = record["randomness"]["committed_at"]
    bad = tmp_path / "bad.json"
    bad.write_bytes(engine.record_bytes(record))
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_draw", str(bad), str(pool), stdout=out)
    assert exit_.value.code == 1
    assert "MISMATCH" in out.getvalue() and "before the public value was announced" in out.getvalue()
