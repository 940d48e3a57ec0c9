"""Mandatory major-incident reports: levels from the data, time limits, follow-ups, credit, alerts."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from zhijian.accounts.audit import verify_chain
from zhijian.core import scope as S
from zhijian.credit.models import CreditEvent
from zhijian.registry.models import Division, ProductCategory
from zhijian.risk import services
from zhijian.risk.models import Alert, AlertEvent, Incident, IncidentEvent, IncidentLevel, IncidentReport

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 7, 6, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a Monday morning


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def w(make_user, enterprise_factory):
    ent = enterprise_factory("320505", name="苏州某电器有限公司")
    other = enterprise_factory("320505", name="苏州另一家有限公司")
    cat = ProductCategory.objects.filter(key_supervised=True).order_by("code").first()
    return {"ent": ent, "other": other, "cat": cat, "division": Division.objects.get(pk="320505"),
            "officer": make_user(S.ROLE_OFFICER, "320500"), "second": make_user(S.ROLE_OFFICER, "320500"),
            "nanjing": make_user(S.ROLE_OFFICER, "320100"),
            "ent_user": make_user(S.ROLE_ENTERPRISE, enterprise=ent),
            "inspector": make_user(S.ROLE_INSPECTOR, "320500")}


def report(w, user=None, *, occurred=T0, at=T0 + dt.timedelta(minutes=40), **figures):
    kw = {"enterprise": w["ent"], "category": w["cat"], "product_name": "电热水器", "batch": "20260501",
          "occurred_at": occurred, "division": w["division"], "place": "某小区 3 幢",
          "description": "热水器漏电，用户受伤", **figures}
    return services.report_incident(user or w["officer"], now=at, **kw)


def test_the_levels_are_data_with_their_basis():
    levels = list(IncidentLevel.objects.order_by("rank").values_list("code", "min_deaths", "min_serious_injuries",
                                                                     "min_loss", "escalate_to"))
    assert levels == [("general", 0, 0, Decimal("0.00"), "city"),
                      ("larger", 3, 10, Decimal("1000.00"), "province"),
                      ("major", 10, 50, Decimal("5000.00"), "national"),
                      ("especially_serious", 30, 100, Decimal("10000.00"), "national")]
    assert all("493" in b for b in IncidentLevel.objects.values_list("basis", flat=True))


@pytest.mark.parametrize("deaths, serious, loss, level", [
    (0, 0, 0, "general"), (2, 9, "999.99", "general"),
    (3, 0, 0, "larger"), (0, 10, 0, "larger"), (0, 0, "1000", "larger"),
    (9, 49, "4999.99", "larger"), (10, 0, 0, "major"), (0, 50, 0, "major"), (0, 0, 5000, "major"),
    (29, 99, "9999.99", "major"), (30, 0, 0, "especially_serious"), (0, 100, 0, "especially_serious"),
    (0, 0, 10000, "especially_serious"), (1, 0, 20000, "especially_serious"),
])
def test_level_follows_any_threshold_reached(deaths, serious, loss, level):
    assert services.level_for(deaths, serious, Decimal(str(loss))).code == level


def test_officer_report_opens_an_alert_and_is_audited(w):
    incident = report(w, serious_injuries=2, minor_injuries=1)
    assert incident.number.startswith("SG20260706") and len(incident.number) == 16
    assert incident.level.code == "general" and incident.channel == "officer"
    assert list(incident.reports.values_list("kind", flat=True)) == ["initial"]
    assert incident.events.get().type == IncidentEvent.Type.REPORTED
    alert = incident.alerts.get()
    assert alert.source == "incident" and alert.status == "draft" and alert.owner == w["officer"]
    assert alert.level == Alert.Level.HIGH and alert.category == w["cat"]
    assert [s["done"] for s in alert.plan_steps] == [None] * len(services.DEFAULT_PLAN_STEPS)
    assert verify_chain().ok


def test_first_report_late_and_follow_up_overdue(w):
    on_time = report(w)
    clock = services.incident_clock(on_time, T0 + dt.timedelta(days=1))
    assert not clock.first_report_late and clock.first_report_due == T0 + dt.timedelta(hours=1)
    assert clock.next_report_due == T0 + dt.timedelta(minutes=40, days=7) and not clock.follow_up_overdue
    assert clock.supplement_until == T0 + dt.timedelta(days=30) and clock.escalate_to == "city"
    late = report(w, at=T0 + dt.timedelta(hours=1, minutes=1))
    assert services.incident_clock(late).first_report_late
    later = T0 + dt.timedelta(days=8)
    overdue = services.overdue_incidents(Incident.objects.all(), later)
    assert {i.pk for i in overdue["follow_up"]} == {on_time.pk, late.pk}
    assert [i.pk for i in overdue["late_first_report"]] == [late.pk]
    # a follow-up report restarts the clock
    services.add_report(on_time, w["officer"], kind="follow_up", text="仍在调查", now=T0 + dt.timedelta(days=6))
    overdue = services.overdue_incidents(Incident.objects.all(), later)
    assert {i.pk for i in overdue["follow_up"]} == {late.pk}


def test_follow_ups_raise_the_level_and_totals_never_go_down(w):
    incident = report(w, serious_injuries=8)
    with pytest.raises(ValidationError) as err:
        services.add_report(incident, w["officer"], kind="follow_up", text="x", serious_injuries=7,
                            now=T0 + dt.timedelta(days=1))
    assert "serious_injuries" in err.value.message_dict
    services.add_report(incident, w["officer"], kind="supplement", text="又发现 3 名重伤者",
                        serious_injuries=11, now=T0 + dt.timedelta(days=2))
    incident.refresh_from_db()
    assert incident.level.code == "larger" and incident.serious_injuries == 11
    assert incident.events.filter(type="level_changed", parameters__to="larger").exists()
    assert services.incident_clock(incident).escalate_to == "province"


def test_enterprise_reports_its_own_incident_only(w):
    own = report(w, w["ent_user"])
    assert own.channel == "enterprise" and not own.alerts.exists()
    with pytest.raises(PermissionDenied):
        report(w, w["ent_user"], enterprise=w["other"])
    services.add_report(own, w["ent_user"], kind="follow_up", text="已停止销售该批次",
                        now=T0 + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):  # only officers confirm
        services.confirm_incident(own, w["ent_user"])
    for user in (w["inspector"], w["nanjing"]):
        with pytest.raises(PermissionDenied):
            report(w, user)


def test_confirmation_is_a_credit_event_and_opens_the_alert(w):
    incident = report(w, w["ent_user"])
    services.confirm_incident(incident, w["officer"], now=T0 + dt.timedelta(hours=3))
    event = CreditEvent.objects.get(enterprise=w["ent"])
    assert event.type.code == "major_incident" and event.date == dt.date(2026, 7, 6)
    assert incident.alerts.get().owner == w["officer"]
    with pytest.raises(ValidationError):
        services.confirm_incident(incident, w["officer"])
    # closing needs the final report
    with pytest.raises(ValidationError, match="final report"):
        services.close_incident(incident, w["officer"])
    services.add_report(incident, w["officer"], kind="final", text="调查结束：产品接地不良", now=T0 + dt.timedelta(days=20))
    services.close_incident(incident, w["officer"], now=T0 + dt.timedelta(days=21))
    incident.refresh_from_db()
    assert incident.status == "closed" and services.incident_clock(incident).next_report_due is None
    with pytest.raises(ValidationError, match="closed"):
        services.add_report(incident, w["officer"], kind="follow_up", text="x")


def test_out_of_scope_officer_cannot_touch_an_incident(w):
    incident = report(w)
    with pytest.raises(PermissionDenied):
        services.confirm_incident(incident, w["nanjing"])
    with pytest.raises(PermissionDenied):
        services.add_report(incident, w["nanjing"], kind="follow_up", text="x")


def test_bad_reports_are_refused_and_nothing_is_written(w):
    with pytest.raises(ValidationError) as err:
        report(w, occurred=T0 + dt.timedelta(days=1))
    assert "occurred_at" in err.value.message_dict
    with pytest.raises(ValidationError):
        report(w, product_name="")
    assert not Incident.objects.exists() and not IncidentReport.objects.exists()


def test_alert_lifecycle_with_second_officer_reactions_and_hand_off(w):
    incident = report(w)
    alert = incident.alerts.get()
    with pytest.raises(PermissionDenied, match="Another officer"):
        services.move_alert(alert, w["officer"], "validate")
    with pytest.raises(ValidationError):
        services.move_alert(alert, w["second"], "publish")
    services.move_alert(alert, w["second"], "validate")
    plan = services.hand_off_to_spotcheck(alert, w["officer"])
    assert plan.kind == "risk" and list(plan.categories.all()) == [w["cat"]] and plan.status == "draft"
    services.mark_step(alert, w["officer"], 0)
    with pytest.raises(ValidationError):
        services.mark_step(alert, w["officer"], 0)
    # before publication another region cannot react
    with pytest.raises(PermissionDenied):
        services.react(alert, w["nanjing"], kind="not_found")
    services.move_alert(alert, w["officer"], "publish")
    assert Alert.objects.restrict(None).filter(pk=alert.pk).exists()  # a consumer warning now
    with pytest.raises(ValidationError):
        services.react(alert, w["nanjing"], kind="found")  # found needs the measures
    services.react(alert, w["nanjing"], kind="found", text="在南京两家门店发现同批次产品，已下架")
    assert alert.reactions.get().division_id == "320100"
    with pytest.raises(ValidationError):
        services.move_alert(alert, w["officer"], "withdraw")
    services.move_alert(alert, w["officer"], "close")
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.closed_at
    assert list(alert.events.values_list("type", flat=True)) == [
        "opened", "validated", "handed_off", "step_done", "published", "reaction", "closed"]
    assert AlertEvent.objects.filter(alert=alert, type="handed_off", parameters__plan=plan.pk).exists()
    assert verify_chain().ok


def test_withdrawn_alerts_are_not_public(w):
    alert = report(w).alerts.get()
    services.move_alert(alert, w["second"], "validate")
    services.move_alert(alert, w["officer"], "publish")
    services.move_alert(alert, w["officer"], "withdraw", reason="评估有误")
    assert not Alert.objects.restrict(None).filter(pk=alert.pk).exists()
    assert timezone.now()


# --------------------------------------------------------------------------- risk assessment

HEATER = [
    {"name": "儿童触碰外壳烫伤", "severity": 2,
     "steps": [{"description": "外壳温度超过 90 ℃", "probability": "1/2"},
               {"description": "儿童在使用时接触外壳", "probability": "1/10"},
               {"description": "接触时间足以造成二度烫伤", "probability": "1/10"}]},
    {"name": "过热引燃窗帘", "severity": 4,
     "steps": [{"description": "温控器失效", "probability": "1/1000"},
               {"description": "靠近可燃物", "probability": "1/10"}]},
]


def test_assessment_keeps_the_worst_scenario_and_opens_a_serious_alert(w):
    a = services.assess_product(w["officer"], division=w["division"], category=w["cat"], product="某牌电暖器 NSB-200",
                                hazard="fire", scenarios=HEATER, evidence="抽检：温控器失效 3/20")
    by_name = {s["name"]: s for s in a.scenarios}
    # 1/2 x 1/10 x 1/10 = 1/200, in the band > 1/1,000; severity 2 there is H
    assert (by_name["儿童触碰外壳烫伤"]["probability"], by_name["儿童触碰外壳烫伤"]["level"]) == ("1/200", "H")
    # 1/1000 x 1/10 = 1/10,000 exactly: not > 1/10,000, so the band > 1/100,000; severity 4 there is H
    assert (by_name["过热引燃窗帘"]["probability"], by_name["过热引燃窗帘"]["level"]) == ("1/10000", "H")
    # both H: the higher probability is the worst
    assert a.level == "H" and a.worst_scenario == "儿童触碰外壳烫伤" and a.probability == "1/200"
    assert a.version == 1 and a.assessor == w["officer"] and not a.alerts.exists()
    # a thermostat failing twice as often makes the fire scenario serious: an alert opens
    worse = [HEATER[0], {**HEATER[1], "steps": [{"description": "温控器失效", "probability": "1/500"},
                                               {"description": "靠近可燃物", "probability": "1/10"}]}]
    b = services.assess_product(w["officer"], division=w["division"], category=w["cat"], product="某牌电暖器 NSB-200",
                                hazard="fire", scenarios=worse, evidence="复检：温控器失效 6/20", previous=a)
    assert b.level == "S" and b.worst_scenario == "过热引燃窗帘" and b.version == 2
    alert = b.alerts.get()
    assert alert.source == "assessment" and alert.level == "S" and alert.status == "draft"


def test_assessment_versions_and_bad_scenarios(w):
    first = services.assess_product(w["officer"], division=w["division"], category=w["cat"], product="P",
                                    hazard="cut", scenarios=[{"name": "x", "severity": 1, "steps": ["3/4"]}],
                                    evidence="e")
    assert first.level == "H" and not first.alerts.exists()  # above 50 % at severity 1
    second = services.assess_product(w["officer"], division=w["division"], category=w["cat"], product="P",
                                     hazard="cut", scenarios=[{"name": "x", "severity": 1, "steps": ["1/20"]}],
                                     evidence="e2", previous=first)
    assert second.version == 2 and second.previous == first and second.level == "M"
    with pytest.raises(ValidationError, match="revised already"):
        services.assess_product(w["officer"], division=w["division"], category=w["cat"], product="P", hazard="cut",
                                scenarios=[{"name": "x", "severity": 1, "steps": ["1/2"]}], evidence="e", previous=first)
    with pytest.raises(ValidationError) as err:
        services.assess_product(w["officer"], division=w["division"], category=w["cat"], product="P", hazard="cut",
                                scenarios=[{"name": "坏", "severity": 5, "steps": ["1/2"]}], evidence="e")
    assert "坏" in str(err.value)
    with pytest.raises(ValidationError) as err:
        services.assess_product(w["officer"], division=w["division"], category=w["cat"], product="P", hazard="cut",
                                scenarios=[{"name": "s", "severity": 2, "steps": ["1/2", "3/2"]}], evidence="e")
    assert "step 2" in str(err.value)
    with pytest.raises(PermissionDenied):
        services.assess_product(w["ent_user"], division=w["division"], category=w["cat"], product="P", hazard="cut",
                                scenarios=[{"name": "s", "severity": 2, "steps": ["1/2"]}], evidence="e")


def test_assessment_made_for_an_alert_links_it_and_raises_its_level(w):
    alert = services.open_alert(w["officer"], title="投诉激增：电暖器", division=w["division"], category=w["cat"],
                                level=Alert.Level.MEDIUM, hazard="fire")
    worse = [HEATER[0], {**HEATER[1], "steps": [{"description": "温控器失效", "probability": "1/500"},
                                               {"description": "靠近可燃物", "probability": "1/10"}]}]
    with pytest.raises(PermissionDenied):  # another city's officer cannot assess for this alert
        services.assess_product(w["nanjing"], division=Division.objects.get(pk="320102"), category=w["cat"],
                                product="某牌电暖器", hazard="fire", scenarios=worse, evidence="e", alert=alert)
    a = services.assess_product(w["officer"], division=w["division"], category=w["cat"], product="某牌电暖器 NSB-200",
                                hazard="fire", scenarios=worse, evidence="复检：温控器失效 6/20", alert=alert)
    alert.refresh_from_db()
    assert a.level == "S" and alert.assessment == a and alert.level == "S" and alert.product == "某牌电暖器 NSB-200"
    assert Alert.objects.count() == 1  # no second alert for the same case
    event = alert.events.get(type="assessed")
    assert event.parameters == {"assessment": a.pk, "level": "S", "version": 1, "level_raised": True}
    services.move_alert(alert, w["second"], "validate")
    services.move_alert(alert, w["officer"], "publish")
    services.move_alert(alert, w["officer"], "close")
    with pytest.raises(ValidationError, match="closed"):
        services.assess_product(w["officer"], division=w["division"], category=w["cat"], product="P", hazard="fire",
                                scenarios=worse, evidence="e", alert=alert)
    assert verify_chain().ok
