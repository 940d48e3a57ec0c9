"""The access matrix (DESIGN §10): every API endpoint and page × every role × every object.

The endpoints are found at run time, so an endpoint or page added later is
covered without touching this file:

* API: every route of the routers included under ``/api/`` (walking the URL
  resolvers of ``zhijian.api_urls``), with its viewset's model;
* pages: every URL of the ``registry`` and ``portal`` namespaces whose name ends
  in ``_list``, ``_detail``, ``_add``, ``_edit`` or ``_delete``.

A world with objects of every registry and spot-check model in 苏州 (a city
district and the county-level city 昆山), 南京 and 北京 is built once per module,
with a user of every role (the inspector is bound to an inspector record, so that
models whose rows belong to their assigned inspectors — spot-check tasks and their
test items — are exercised with own and foreign rows). What each role should see is computed here, independently of
``restrict``: from where each object was built (its division), who owns it
(enterprise / lab), whether it was built public, and the roles' declared model
permissions (``<app>/roles.py``). Then, for each role × endpoint:

* a list contains no object outside the role's expected visible set (and does
  contain the world's visible objects, so the check cannot pass vacuously);
* the detail of an object outside that set is 404 (401/403, or a redirect to
  the login page, when the role may not read the model at all);
* PUT / PATCH / DELETE (API) and edit / delete (pages) of an object the role
  may not change or delete change nothing in the database (re-read);
* creating an object in another division or for another enterprise is refused
  and writes nothing.

Each failure names the role, the URL and the object.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from zhijian.accounts.roles import default_permissions
from zhijian.core.models import ScopedModel, audit_value
from zhijian.core.querysets import scope_q
from zhijian.registry import models as m
from zhijian.registry.identifiers import make_uscc

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PAGE_NAMESPACES = ("registry", "portal", "spotcheck", "credit", "complaints", "risk", "enforcement", "recall",
                   "targets")
# Add pages whose form data this harness cannot yet generate, so their "foreign create is
# refused" cases are not proven by a positive control (their own view tests cover them).
PAYLOAD_GAPS = {
    "spotcheck:plan_add": "the plan form carries an inline formset of labs per category",
    "spotcheck:conflict_add": "the fresh enterprise the payload hook makes is rolled back between tests",
    "spotcheck:inspectorconflict_add": "the fresh enterprise the payload hook makes is rolled back between tests",
}
PAGE_KINDS = ("list", "detail", "add", "edit", "delete")
# Pages that show what the public sees, whoever is signed in.
PUBLIC_NAMESPACES = {"portal"}
# Page URL names whose base is not the model name.
PAGE_MODEL_ALIASES = {"declaration": m.StandardDeclaration}


def _recall_aliases():
    from zhijian.recall.models import RecallRecord

    return {"recall": RecallRecord}  # portal:recall_list / recall_detail: published recall records
REFUSED = (401, 403)

# ------------------------------------------------------------------ the world's places

PROVINCE = "320000"
LOCATIONS = {  # key -> (division code, description)
    "gusu": ("320505", "苏州虎丘区"),
    "gusu2": ("320505", "苏州虎丘区, second enterprise"),
    "kunshan": ("320583", "昆山市"),
    "xuanwu": ("320102", "南京玄武区"),
    "beijing": ("110101", "北京东城区"),
}
# Sample reference rows: divisions in and out of each region, industries.
SAMPLE_DIVISIONS = ["320000", "320500", "320583", "320100", "320102", "110101"]
SAMPLE_INDUSTRIES = ["C", "3854"]


@dataclass(frozen=True)
class RoleSpec:
    key: str
    role: str | None  # None = anonymous
    division: str | None = None  # the user's division (its GB/T 2260 prefix is the region)
    bound_to: str | None = None  # "enterprise:gusu" / "lab:gusu" / "inspector:gusu" / "hospital:gusu"
    token: bool = False  # API requests with an API token (pages: the session)


ROLES = [
    RoleSpec("province_admin", "province_admin", PROVINCE),
    RoleSpec("suzhou_officer", "officer", "320500"),
    RoleSpec("kunshan_officer", "officer", "320583"),
    RoleSpec("nanjing_officer", "officer", "320100"),
    RoleSpec("suzhou_inspector", "inspector", "320500", bound_to="inspector:gusu"),
    RoleSpec("lab_user", "lab", bound_to="lab:gusu"),
    RoleSpec("enterprise_user", "enterprise", bound_to="enterprise:gusu"),
    RoleSpec("agency_token", "agency", PROVINCE, token=True),
    RoleSpec("hospital_user", "hospital", bound_to="hospital:gusu"),
    RoleSpec("hospital_token", "hospital", bound_to="hospital:gusu", token=True),
    RoleSpec("anonymous", None),
]


def region_prefix(code: str) -> str:
    """GB/T 2260: province ``32`` · city ``3205`` · county: all six digits (computed here, on purpose)."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


# ------------------------------------------------------------------ facts and the oracle


@dataclass(frozen=True)
class Facts:
    """Where an object lives and who owns it, as built."""

    division: str | None  # None: reference data without a region
    enterprise: int | None
    lab: int | None
    public: bool
    inspectors: frozenset = frozenset()  # assigned inspectors (models with ``scope_inspector``)
    hospital: int | None = None  # the sentinel hospital (models with ``scope_hospital``)


@dataclass
class Obj:
    instance: object
    facts: Facts
    label: str

    @property
    def model(self):
        return type(self.instance)

    @property
    def pk(self):
        return self.instance.pk


@dataclass
class Actor:
    spec: RoleSpec
    user: object | None = None
    token_key: str | None = None
    enterprise_id: int | None = None
    lab_id: int | None = None
    inspector_id: int | None = None
    hospital_id: int | None = None
    perms: dict = field(default_factory=dict)  # "app.model" -> {"view", ...}

    @property
    def prefix(self):
        if self.spec.role in ("province_admin", "agency"):
            return region_prefix(PROVINCE)
        return region_prefix(self.spec.division) if self.spec.division else None

    @property
    def token_writes(self) -> bool:
        """API tokens are read-only, except those of the submission roles (sentinel hospitals)."""
        return self.spec.role == "hospital"

    def may(self, action: str, model, facts: Facts, audience: str = "role") -> bool:
        """Whether this actor should be able to ``action`` an object with ``facts``."""
        if audience == "public" or self.spec.role is None:
            return action == "view" and facts.public
        if self.spec.token and action != "view" and not self.token_writes:
            return False
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if action not in self.perms.get(label, ()):
            return False
        if self.spec.role == "enterprise":
            return facts.enterprise == self.enterprise_id or (action == "view" and facts.public)
        if self.spec.role == "lab":
            return facts.lab == self.lab_id or (action == "view" and facts.public)
        if self.spec.role == "hospital":
            return (facts.hospital is not None and facts.hospital == self.hospital_id) \
                or (action == "view" and facts.public)
        if self.spec.role == "inspector" and getattr(model, "scope_inspector", None):
            # inspectors work on their own assignments only
            return self.inspector_id is not None and self.inspector_id in facts.inspectors
        if facts.division is None:
            return True
        return facts.division.startswith(self.prefix)

    def may_model(self, action: str, model, audience: str = "role") -> bool:
        """Whether the actor may ``action`` any row of ``model`` (permission-level)."""
        if audience == "public" or self.spec.role is None:
            return action == "view" and getattr(model, "public_q", lambda: None)() is not None
        if self.spec.token and action != "view" and not self.token_writes:
            return False
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if action not in self.perms.get(label, ()):
            return False
        if self.spec.role in ("enterprise", "lab", "hospital") and hasattr(model, "public_q"):
            # bound users see their own rows (if the model has an owner) and public rows
            owner = {"enterprise": model.scope_enterprise, "lab": model.scope_lab,
                     "hospital": getattr(model, "scope_hospital", None)}[self.spec.role]
            return bool(owner) or (action == "view" and model.public_q() is not None)
        return True

    def api_denial(self, action: str, model) -> tuple[int, ...]:
        """How the API refuses a row outside the scope: 404 when the role may ``action`` the
        model at all (the row's existence is not disclosed), else 401/403 up front."""
        if self.spec.token and action != "view" and not self.token_writes:
            return REFUSED
        return (404,) if self.may_model(action, model) else REFUSED

    def page_denial(self, action: str, model, audience: str = "role") -> tuple[int, ...]:
        """Likewise for pages; anonymous visitors are sent to the login page instead of 403."""
        if audience == "public" or self.may_model(action, model, audience):
            return (404,)
        return (302,) if self.spec.role is None else (403,)


def _path_value(obj, path):
    value = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return getattr(value, "pk", value)


def declared_facts(instance, public_pks) -> Facts:
    """Facts derived from the model's scope declarations (for rows the world did not build)."""
    model = type(instance)
    div = _path_value(instance, model.scope_division) if model.scope_division else None
    ent = _path_value(instance, model.scope_enterprise) if model.scope_enterprise else None
    lab = _path_value(instance, model.scope_lab) if model.scope_lab else None
    hospital = _path_value(instance, model.scope_hospital) if getattr(model, "scope_hospital", None) else None
    inspectors = frozenset()
    path = getattr(model, "scope_inspector", None)
    if path:
        *head, last = path.split("__")
        owner = instance
        for part in head:
            owner = getattr(owner, part)
        inspectors = frozenset(getattr(owner, last).values_list("pk", flat=True))
    return Facts(str(div) if div is not None else None, ent, lab, instance.pk in public_pks,
                 inspectors, hospital)


# ------------------------------------------------------------------ the world


class World:
    def __init__(self):
        self.objects: list[Obj] = []
        self.actors: dict[str, Actor] = {}
        self.enterprises: dict[str, m.Enterprise] = {}
        self.labs: dict[str, m.Lab] = {}
        self.inspectors: dict[str, m.Inspector] = {}
        self.hospitals: dict = {}
        # (model, field) -> f(current value, obj): a fresh related row for a unique constraint
        # that includes a relation (e.g. a plan's lab per category), in the object's region
        self.fresh_related: dict = {}
        self._public_pks: dict = {}
        self.cache: dict = {}  # payloads built once (the world is the same in every test)
        self._serial = itertools.count(7_000_000)

    def add(self, instance, division, *, enterprise=None, lab=None, public=True, where="",
            inspectors=(), hospital=None):
        facts = Facts(division, enterprise, lab, public, frozenset(inspectors), hospital)
        label = f"{type(instance).__name__}#{instance.pk} [{where or division}]"
        self.objects.append(Obj(instance, facts, label))
        return instance

    def of(self, model) -> list[Obj]:
        return [o for o in self.objects if o.model is model]

    def by_model_pk(self, model, pk) -> Obj | None:
        if getattr(self, "_index_size", None) != len(self.objects):
            self._index = {(o.model, str(o.pk)): o for o in self.objects}
            self._index_size = len(self.objects)
        return self._index.get((model, str(pk)))

    def public_pks(self, model) -> set:
        if model not in self._public_pks:
            q = model.public_q()
            self._public_pks[model] = set() if q is None else set(
                model._base_manager.filter(q).values_list("pk", flat=True))
        return self._public_pks[model]

    def facts_of_rows(self, model, pks) -> dict:
        """Facts for any rows (world-built rows use what was recorded at construction)."""
        result = {}
        rest = []
        for pk in pks:
            o = self.by_model_pk(model, pk)
            if o is not None:
                result[str(pk)] = o.facts
            else:
                rest.append(pk)
        if rest:
            related = [p.rsplit("__", 1)[0] for p in (model.scope_division, model.scope_enterprise,
                                                       model.scope_lab)
                       if p and "__" in p]
            qs = model._base_manager.select_related(*related) if related else model._base_manager.all()
            public = self.public_pks(model)
            for chunk in range(0, len(rest), 500):
                for inst in qs.filter(pk__in=rest[chunk:chunk + 500]):
                    result[str(inst.pk)] = declared_facts(inst, public)
        return result

    def uscc(self, division):
        return make_uscc(division, next(self._serial))

    def serial(self):
        return next(self._serial)


def build_spotcheck_world(w: World, cats) -> None:
    """Spot-check plans (published and not), draws, plan labs, tasks assigned to inspectors and
    labs (published results and pending ones), test items and inspector conflicts."""
    import datetime as dt

    from django.utils import timezone

    from zhijian.spotcheck import models as sc

    def plan(division, status, where):
        p = sc.Plan.objects.create(title=f"矩阵{where}抽查计划", kind="routine", year=2026, period="2026",
                                   starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 11, 30),
                                   division_id=division, quota_mode="count", quota_count=1,
                                   status=status)
        p.categories.set(cats[:2])
        return p

    published, draft = sc.Plan.Status.PUBLISHED, sc.Plan.Status.DRAFT
    plans = {}
    for key, division, status in [("suzhou", "320500", published), ("kunshan", "320583", draft),
                                  ("nanjing", "320100", published), ("beijing", "110101", draft)]:
        p = plan(division, status, key)
        plans[key] = p
        w.add(p, division, public=status == published, where=f"plan {key}, {status}")
        if status == published or key == "kunshan":
            is_public = status == published
            d = sc.Draw.objects.create(plan=p, commitment="ab" * 32, committed_at=timezone.now(),
                                       published_at=timezone.now() if is_public else None)
            from django.core.files.base import ContentFile

            d.record_file.save(f"matrix-plan-{p.pk}-draw-record.json", ContentFile(b"{}\n"), save=False)
            d.pool_file.save(f"matrix-plan-{p.pk}-pool.csv", ContentFile(b"uscc,division,category,risk_class\n"),
                             save=False)
            d.save()
            w.add(d, division, public=is_public, where=f"draw {key}")
    # spare draft plans: a fresh (plan, category) pair for plan-lab create payloads
    spare = {}
    for division in ("320500", "320583", "320100", "110101"):
        spare[division] = plan(division, draft, f"spare {division}")
    w.fresh_related[(sc.PlanLab, "plan")] = lambda current, obj: spare[obj.facts.division].pk
    for key, lab_key in [("suzhou", "gusu"), ("kunshan", "kunshan"), ("nanjing", "xuanwu"),
                         ("beijing", "beijing")]:
        p, lab = plans[key], w.labs[lab_key]
        pl = sc.PlanLab.objects.create(plan=p, category=cats[0], lab=lab)
        w.add(pl, p.division_id, lab=lab.pk, public=False, where=f"plan lab {key}")
    # tasks: (enterprise key, plan key, lab key, inspector key, published)
    for ent_key, plan_key, lab_key, insp_key, is_public in [
            ("gusu", "suzhou", "gusu", "gusu", True), ("gusu2", "suzhou", None, "kunshan", False),
            ("kunshan", "suzhou", "kunshan", "kunshan", False),
            ("xuanwu", "nanjing", "xuanwu", "xuanwu", True),
            ("beijing", "beijing", "beijing", "beijing", False)]:
        e = w.enterprises[ent_key]
        lab = w.labs[lab_key] if lab_key else None
        insp = w.inspectors[insp_key]
        t = sc.Task.objects.create(plan=plans[plan_key], enterprise=e, category=cats[0],
                                   division_id=e.division_id, stratum=f"{e.division_id}/x", lab=lab,
                                   status=sc.Task.Status.CLOSED, verdict="unqualified",
                                   published_on=dt.date(2026, 4, 1) if is_public else None)
        t.inspectors.set([insp])
        kw = dict(enterprise=e.pk, lab=lab.pk if lab else None, public=is_public,
                  inspectors=[insp.pk])
        w.add(t, e.division_id, where=f"task {ent_key}{', published' if is_public else ''}", **kw)
        item = sc.TestItem.objects.create(task=t, name=f"矩阵{ent_key}检验项目", verdict="unqualified")
        w.add(item, e.division_id, where=f"test item {ent_key}", **kw)
    # conflicts: (inspector key, enterprise key); fresh enterprises of the same division
    for insp_key, ent_key in [("gusu", "gusu2"), ("kunshan", "kunshan"), ("xuanwu", "xuanwu"),
                              ("beijing", "beijing")]:
        insp = w.inspectors[insp_key]
        c = sc.InspectorConflict.objects.create(inspector=insp, enterprise=w.enterprises[ent_key],
                                                reason=f"矩阵{insp_key}回避关系")
        w.add(c, insp.division_id, public=False, where=f"conflict {insp_key}")

    def fresh_enterprise(current, obj):
        # the API and forms name the enterprise by its id (forms may use the USCC)
        key = {"uscc": current} if isinstance(current, str) and not current.isdigit() else {"pk": current}
        division = m.Enterprise.objects.get(**key).division_id
        e = m.Enterprise.objects.create(uscc=w.uscc(division), name=f"矩阵回避企业{w.serial()}",
                                        division_id=division)
        return e.uscc if "uscc" in key else e.pk

    w.fresh_related[(sc.InspectorConflict, "enterprise")] = fresh_enterprise


def build_complaints_world(w: World) -> None:
    """Complaint cases handled in 苏州 (a district and 昆山), 南京 and 北京 (the bureau of the division
    the respondent operates in; the respondents are not in the registry)."""
    from zhijian.complaints import services as complaints

    for key in ("gusu", "kunshan", "xuanwu", "beijing"):
        division = LOCATIONS[key][0]
        case, _code = complaints.receive(
            {"kind": "complaint", "channel": "phone", "complainant_name": "矩阵投诉人",
             "complainant_phone": "13800000000", "complainant_address": "矩阵路1号",
             "respondent_name": f"矩阵{key}被投诉商店", "facts": "矩阵测试：商品质量问题。",
             "request": "退货", "received_on": "2026-03-02"},
            division=m.Division.objects.get(pk=division))
        w.add(case, division, public=False, where=f"complaint {key}")


def build_risk_world(w: World, cats) -> None:
    """Incidents of the world's enterprises, risk alerts (published in 苏州 and 南京, drafts
    elsewhere), sentinel hospitals and their injury cases, and the incident levels (data)."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from zhijian.accounts.services import create_user
    from zhijian.risk import models as rk

    # the NEISS PSU number is unique and optional: a fresh hospital in a payload has none
    w.fresh_related[(rk.SentinelHospital, "psu")] = lambda current, obj: None
    for level in rk.IncidentLevel.objects.all():
        w.add(level, None, where=f"incident level {level.code}")
    for definition in rk.SignalDefinition.objects.all():
        w.add(definition, None, where=f"signal definition {definition.code}")
    definition = rk.SignalDefinition.objects.get(code="complaints_cusum_city")
    owner = create_user("amx-risk-owner", "pw-amx-risk-owner", "province_admin",
                        division=m.Division.objects.get(pk=PROVINCE))
    general = rk.IncidentLevel.objects.get(code="general")
    now = timezone.now()
    for key in ("gusu", "kunshan", "xuanwu", "beijing"):
        division = LOCATIONS[key][0]
        e = w.enterprises[key]
        incident = rk.Incident.objects.create(
            number=f"SGAMX{key}", enterprise=e, category=cats[0], product_name=f"矩阵{key}事故产品",
            occurred_at=now - dt.timedelta(days=2), division_id=division, place=f"矩阵{key}路1号",
            description="矩阵测试：产品起火", channel="officer", reported_at=now - dt.timedelta(days=2),
            level=general, last_report_at=now - dt.timedelta(days=2))
        w.add(incident, division, enterprise=e.pk, public=False, where=f"incident {key}")
        published = key in ("gusu", "xuanwu")
        alert = rk.Alert.objects.create(
            number=f"FXAMX{key}", title=f"矩阵{key}风险警示", division_id=division, category=cats[0],
            level="H", source="manual", owner=owner, status="published" if published else "draft",
            published_at=now if published else None)
        w.add(alert, division, public=published, where=f"alert {key}{', published' if published else ''}")
        hospital = rk.SentinelHospital.objects.create(code=f"AMX-H-{key}", name=f"矩阵{key}哨点医院",
                                                      division_id=division, stratum="M", weight=Decimal("12.5"))
        w.hospitals[key] = hospital
        w.add(hospital, division, public=False, where=f"sentinel hospital {key}", hospital=hospital.pk)
        case = rk.InjuryCase.objects.create(
            hospital=hospital, case_number=f"AMX-{key}-1", treated_on=dt.date(2026, 5, 1), age=7, sex="male",
            diagnosis="烧伤", body_part="手", disposition="released", product=cats[0],
            narrative="矩阵测试：儿童被电暖器烫伤", weight=hospital.weight)
        w.add(case, division, public=False, where=f"injury case {key}", hospital=hospital.pk)
        assessment = rk.RiskAssessment.objects.create(
            division_id=division, category=cats[0], product=f"矩阵{key}评估产品", hazard="fire",
            scenarios=[{"name": "起火", "severity": 4, "steps": [{"description": "", "probability": "1/100"}],
                        "probability": "1/100", "band": "> 1/1,000", "level": "S"}],
            level="S", probability="1/100", worst_scenario="起火", evidence="矩阵测试证据", assessor=owner)
        w.add(assessment, division, public=False, where=f"risk assessment {key}")
        signal = rk.Signal.objects.create(
            definition=definition, category=cats[0], division_id=division, week=dt.date(2026, 6, 1), observed=9,
            statistic=4.45, threshold=4.0, series={"weeks": ["2026-06-01"], "values": [9]})
        w.add(signal, division, public=False, where=f"signal {key}")
        source = rk.OpinionSource.objects.create(name=f"矩阵{key}舆情源", kind="rss",
                                                 location=f"http://127.0.0.1:9/{key}.xml", division_id=division)
        w.add(source, division, public=False, where=f"opinion source {key}")
        story = rk.OpinionStory.objects.create(title=f"矩阵{key}舆情事件", first_seen=now, last_seen=now,
                                               item_count=1, category=cats[0], division_id=division)
        w.add(story, division, public=False, where=f"opinion story {key}")
        item = rk.OpinionItem.objects.create(
            source=source, external_id=f"amx-{key}", title=f"矩阵{key}舆情条目", text="矩阵测试：电暖器起火",
            published=now, published_on=now.date(), fetched=now, simhash=12345, category=cats[0],
            division_id=division, story=story)
        w.add(item, division, public=False, where=f"opinion item {key}")


def build_enforcement_world(w: World) -> None:
    """Enforcement cases of the world's enterprises (handled where each operates), penalty
    decisions (read by the enterprise concerned) and transfers to judicial organs."""
    import datetime as dt
    from decimal import Decimal

    from zhijian.enforcement import models as en

    for key in ("gusu", "gusu2", "kunshan", "xuanwu", "beijing"):
        e = w.enterprises[key]
        case = en.Case.objects.create(number=f"ZFAMX{key}", title=f"矩阵{key}违法案件", enterprise=e,
                                      division_id=e.division_id, origin="tip_off", facts="矩阵测试：举报",
                                      status="investigating", proposed_on=dt.date(2026, 3, 2),
                                      filed_on=dt.date(2026, 3, 2), decision_due=dt.date(2026, 5, 31))
        w.add(case, e.division_id, public=False, where=f"enforcement case {key}")
        if key in ("gusu", "gusu2", "xuanwu", "beijing"):
            case.status = "decided"
            case.save()
            decision = en.PenaltyDecision.objects.create(
                case=case, number=f"矩阵罚〔2026〕{key}号", decided_on=dt.date(2026, 5, 21), authority="矩阵市场监督管理局",
                kinds=["fine"], fine=Decimal("1000"), violation="矩阵测试违法", penalty="罚款", legal_basis="矩阵依据",
                severity="ordinary", served_on=dt.date(2026, 5, 21), payment_due=dt.date(2026, 6, 5))
            w.add(decision, e.division_id, enterprise=e.pk, public=False, where=f"penalty decision {key}")
        if key in ("kunshan", "xuanwu"):
            transfer = en.JudicialTransfer.objects.create(
                case=case, organ_kind="public_security", organ_name=f"矩阵{key}公安局", suspected_crime="矩阵罪名",
                transferred_on=dt.date(2026, 3, 20), documents="移送书", reply_due=dt.date(2026, 3, 23),
                status_on=dt.date(2026, 3, 20))
            w.add(transfer, e.division_id, public=False, where=f"judicial transfer {key}")


def build_recall_world(w: World) -> None:
    """Lots of the world's enterprises and a movement between two of them (an input: both ends
    with one holder), a recall case per enterprise, and its public record (published in 苏州 and
    南京, unpublished elsewhere)."""
    import datetime as dt

    from zhijian.recall import models as rc

    for key in ("gusu", "kunshan", "xuanwu", "beijing"):
        division = LOCATIONS[key][0]
        e = w.enterprises[key]
        material = rc.Lot.objects.create(code=f"AMX-M-{key}", operator=e, quantity=100, unit="kg",
                                         description=f"矩阵{key}原料批次")
        product = rc.Lot.objects.create(code=f"AMX-P-{key}", operator=e, quantity=50, unit="个",
                                        description=f"矩阵{key}产品批次")
        for lot in (material, product):
            w.add(lot, division, enterprise=e.pk, public=False, where=f"lot {key}")
        move = rc.Movement.objects.create(source=material, target=product, kind="input", quantity=100,
                                          document=f"AMX-DOC-{key}")
        w.add(move, division, enterprise=e.pk, public=False, where=f"movement {key}")
        case = rc.RecallCase.objects.create(
            number=f"ZHAMX{key}", title=f"矩阵{key}召回案件", division_id=division, producer=e,
            product_description=f"矩阵{key}召回产品", defect="矩阵测试：过热", origin="defect_report",
            opened_on=dt.date(2026, 3, 2))
        w.add(case, division, enterprise=e.pk, public=False, where=f"recall case {key}")
        published = key in ("gusu", "xuanwu")
        record = rc.RecallRecord.objects.create(
            recall_number=f"ZHAMX{key}", classification="II", product_description=f"矩阵{key}召回产品",
            reason_for_recall="矩阵测试：过热", recalling_firm=e.name, enterprise=e, division_id=division,
            voluntary_mandated="voluntary", case=case, published=published, report_date=dt.date(2026, 3, 9))
        w.add(record, division, enterprise=e.pk, public=published,
              where=f"recall record {key}{', published' if published else ''}")


def build_targets_world(w: World) -> None:
    """Targets reference data (elements, indicators, target sets and targets), entered data values
    in 苏州, 昆山, 南京 and 北京, an assessment scheme with an item and city assessments of 苏州
    and 南京; award applications, recognised brands and demonstration zones of the world's
    enterprises."""
    from decimal import Decimal

    from zhijian.targets import models as tg

    for model in (tg.DataElement, tg.Indicator, tg.TargetSet, tg.Target):
        for obj in model.objects.all():
            w.add(obj, None, public=False, where=f"{model._meta.model_name} {obj.pk}")
    gdp = tg.DataElement.objects.get(code="gdp")
    for key in ("gusu", "kunshan", "xuanwu", "beijing"):
        division = LOCATIONS[key][0]
        dv = tg.DataValue.objects.create(element=gdp, division_id=division, period="2026", value=Decimal("1.5"),
                                         source=f"矩阵{key}统计")
        w.add(dv, division, public=False, where=f"data value {key}")
    # a fresh period (a later year) for create payloads: element × division × period is unique
    w.fresh_related[(tg.DataValue, "period")] = lambda current, obj: str(2100 + w.serial() % 800)
    w.fresh_related[(tg.AssessmentScheme, "year")] = lambda current, obj: 2100 + w.serial() % 800
    w.fresh_related[(tg.DataElement, "code")] = lambda current, obj: f"amx_{w.serial()}"
    w.fresh_related[(tg.Indicator, "code")] = lambda current, obj: f"amx_{w.serial()}"

    def free_indicator(current, obj):
        used = set(obj.instance.target_set.targets.values_list("indicator_id", flat=True))
        return tg.Indicator.objects.exclude(pk__in=used).values_list("pk", flat=True).first()

    w.fresh_related[(tg.Target, "indicator")] = free_indicator
    scheme = tg.AssessmentScheme.objects.create(year=2031, name="矩阵质量工作考核")
    w.add(scheme, None, public=False, where="assessment scheme")
    item = tg.AssessmentItem.objects.create(scheme=scheme, code="M1", title="矩阵考核项目", max_points=100)
    w.add(item, None, public=False, where="assessment item")
    for division in ("320500", "320100"):
        a = tg.Assessment.objects.create(scheme=scheme, division_id=division)
        tg.AssessmentScore.objects.create(assessment=a, item=item)
        w.add(a, division, public=False, where=f"assessment {division}")
    # award applications of the world's enterprises (drafts and one granted), recognised brands
    # and demonstration zones (issue 12 §3)
    w.fresh_related[(tg.AwardApplication, "year")] = lambda current, obj: 1990 + w.serial() % 110
    for n, key in enumerate(("gusu", "gusu2", "kunshan", "xuanwu", "beijing")):
        e = w.enterprises[key]
        app = tg.AwardApplication.objects.create(
            enterprise=e, kind="jiangsu_quality_award", year=2026, title=f"矩阵{key}质量奖申报", documents="自评报告",
            status="granted" if key == "kunshan" else "draft")
        w.add(app, e.division_id, enterprise=e.pk, public=False, where=f"award application {key}")
        if key == "gusu2":
            continue
        brand = tg.Brand.objects.create(name=f"矩阵{key}名牌", kind="jiangsu_famous_brand", enterprise=e,
                                        division_id=e.division_id, year=2025)
        w.add(brand, e.division_id, enterprise=e.pk, public=False, where=f"recognised brand {key}")
        zone = tg.DemonstrationZone.objects.create(name=f"矩阵{key}示范区", kind="quality_city",
                                                   division_id=e.division_id, year=2026)
        w.add(zone, e.division_id, public=False, where=f"demonstration zone {key}")
    # quality-status reports: the province's (built, not published), 苏州's (built, published on
    # the portal), 南京's (queued)
    for division, status, published in (("320000", "done", False), ("320500", "done", True),
                                        ("320100", "queued", False)):
        r = tg.QualityReport.objects.create(division_id=division, period="2026", status=status, published=published)
        w.add(r, division, public=published, where=f"quality report {division}")


def build_world() -> World:
    from zhijian.accounts.models import APIToken
    from zhijian.accounts.services import create_user

    w = World()
    cats = list(m.ProductCategory.objects.order_by("code")[:3])
    category = m.ProductCategory.objects.create(code="AMX-CAT", name="矩阵测试产品")
    w.add(category, None, where="catalog")
    std = m.Standard.objects.create(code="Q/AMX 1-2026", title="矩阵测试标准", kind="enterprise")
    w.add(std, None, where="catalog")
    for code in SAMPLE_DIVISIONS:
        w.add(m.Division.objects.get(pk=code), code, where=f"division {code}")
    for code in SAMPLE_INDUSTRIES:
        w.add(m.Industry.objects.get(pk=code), None, where=f"industry {code}")

    for key, (div, desc) in LOCATIONS.items():
        e = m.Enterprise.objects.create(uscc=w.uscc(div), name=f"矩阵{key}企业有限公司",
                                        division_id=div, phone="0000-0000")
        w.enterprises[key] = e
        w.add(e, div, enterprise=e.pk, where=desc)
        p = m.Product.objects.create(enterprise=e, category=cats[0], name=f"矩阵{key}产品",
                                     standard=std)
        w.add(p, div, enterprise=e.pk, where=desc)
        if key != "gusu2":
            pub = m.StandardDeclaration.objects.create(
                enterprise=e, product_name=f"矩阵{key}声明", standard=std, category=cats[1],
                published_on="2026-01-02", status="published")
            w.add(pub, div, enterprise=e.pk, where=f"{desc}, published")
        if key != "beijing":
            draft = m.StandardDeclaration.objects.create(
                enterprise=e, product_name=f"矩阵{key}草稿", standard=std, status="draft")
            w.add(draft, div, enterprise=e.pk, public=False, where=f"{desc}, draft")
        if key == "gusu2":
            continue  # a second 苏州 enterprise: its products and drafts are not the user's
        c = m.Certification.objects.create(enterprise=e, kind="ccc", number=f"AMX-{key}")
        w.add(c, div, enterprise=e.pk, where=desc)
        a = m.Award.objects.create(enterprise=e, kind="provincial_quality", year=2025,
                                   title=f"矩阵{key}奖")
        w.add(a, div, enterprise=e.pk, where=desc)
        b = m.Brand.objects.create(enterprise=e, kind="famous", name=f"矩阵{key}品牌", year=2024)
        w.add(b, div, enterprise=e.pk, where=desc)
        lab = m.Lab.objects.create(name=f"矩阵{key}检测所", accreditation_number=f"AMX-CMA-{key}",
                                   division_id=div, level="city")
        lab.categories.set(cats[:2])
        w.labs[key] = lab
        w.add(lab, div, lab=lab.pk, where=desc)
        i = m.Inspector.objects.create(name=f"矩阵{key}检查员", badge_number=f"AMX-{key}",
                                       division_id=div, phone="1380000")
        i.categories.set(cats[:1])
        w.inspectors[key] = i
        w.add(i, div, public=False, where=desc)

    build_spotcheck_world(w, cats)
    build_complaints_world(w)
    build_risk_world(w, cats)
    build_enforcement_world(w)
    build_recall_world(w)
    build_targets_world(w)

    from django.contrib.auth import get_user_model

    w.root = get_user_model().objects.create_superuser("amx-root", "root@example.org", "pw")
    declared = default_permissions()
    for spec in ROLES:
        actor = Actor(spec)
        if spec.role is not None:
            kwargs = {}
            if spec.bound_to:
                kind, key = spec.bound_to.split(":")
                target = {"enterprise": w.enterprises, "lab": w.labs,
                          "inspector": w.inspectors, "hospital": w.hospitals}[kind][key]
                kwargs["sentinel_hospital" if kind == "hospital" else kind] = target
                setattr(actor, f"{kind}_id", target.pk)
            division = m.Division.objects.get(pk=spec.division) if spec.division else None
            actor.user = create_user(f"amx-{spec.key}", "pw-amx", spec.role, division=division,
                                     **kwargs)
            if spec.token:
                _token, actor.token_key = APIToken.issue(actor.user, "access matrix")
            perms: dict = {}
            for app_label, codename in declared[spec.role]:
                action, model_name = codename.split("_", 1)
                perms.setdefault(f"{app_label}.{model_name}", set()).add(action)
            actor.perms = perms
        w.actors[spec.key] = actor
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once per module inside a transaction rolled back at the end.

    Each test runs in a savepoint inside it (pytest-django's ``db``), so a write
    that wrongly succeeds cannot leak into the next test.
    """
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            w = build_world()
            yield w
            transaction.set_rollback(True)


# ------------------------------------------------------------------ enumeration


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace, p


@dataclass(frozen=True)
class Endpoint:
    kind: str  # "api" | "page"
    name: str  # fully qualified URL name
    model: type | None
    kwargs: tuple[str, ...]  # URL kwargs (e.g. ("pk",) or ("uscc",))
    methods: tuple[str, ...]  # API: HTTP methods the route handles
    page_kind: str = ""  # list / detail / add / edit / delete
    audience: str = "role"  # "public" for the public portal and public APIs
    row_key: str = ""  # API: the field that names a listed row, when it is not the primary key

    def __str__(self):
        return self.name


def api_endpoints() -> list[Endpoint]:
    """Every route of the API routers (``/api/``), with the model behind it."""
    resolver = get_resolver("zhijian.api_urls")
    found = {}
    for _route, namespace, pattern in _walk(resolver.url_patterns):
        callback = pattern.callback
        cls = getattr(callback, "cls", None)
        actions = getattr(callback, "actions", None)
        if not pattern.name or cls is None or not actions:
            continue
        kwargs = tuple(sorted(pattern.pattern.regex.groupindex))
        if "format" in kwargs:
            continue  # the ``.json`` suffix twin of a route
        queryset = getattr(cls, "queryset", None)
        model = getattr(queryset, "model", None)
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        # a public API (``audience = "public"``) shows every caller what the public sees
        audience = getattr(cls, "audience", "role")
        row_key = getattr(cls, "lookup_field", "pk") if audience == "public" else ""
        found[name] = Endpoint("api", name, model, kwargs, tuple(sorted(m.upper() for m in actions)),
                               audience=audience, row_key="" if row_key == "pk" else row_key)
    return sorted(found.values(), key=lambda e: e.name)


def _page_model(view_class, base):
    model = getattr(view_class, "model", None)
    if model is not None:
        return model
    if base in PAGE_MODEL_ALIASES:
        return PAGE_MODEL_ALIASES[base]
    if base in _recall_aliases():
        return _recall_aliases()[base]
    for candidate in (m.Division, m.Industry, m.ProductCategory, m.Standard, m.Enterprise,
                      m.Product, m.StandardDeclaration, m.Certification, m.Lab, m.Inspector,
                      m.Award, m.Brand):
        if candidate._meta.model_name == base:
            return candidate
    return None


def page_endpoints() -> list[Endpoint]:
    """Every list/detail/add/edit/delete page of the registry and portal namespaces."""
    resolver = get_resolver()
    found = {}
    for _route, namespace, pattern in _walk(resolver.url_patterns):
        if not namespace or namespace.split(":")[0] not in PAGE_NAMESPACES or not pattern.name:
            continue
        base, _sep, kind = pattern.name.rpartition("_")
        if kind not in PAGE_KINDS:
            continue
        view_class = getattr(pattern.callback, "view_class", None)
        model = _page_model(view_class, base)
        name = f"{namespace}:{pattern.name}"
        audience = "public" if namespace.split(":")[0] in PUBLIC_NAMESPACES else "role"
        found[name] = Endpoint("page", name, model, tuple(sorted(pattern.pattern.regex.groupindex)),
                               (), kind, audience)
    return sorted(found.values(), key=lambda e: e.name)


API_ENDPOINTS = api_endpoints()
PAGE_ENDPOINTS = page_endpoints()


# ------------------------------------------------------------------ clients and helpers


def api_client(actor: Actor) -> APIClient:
    client = APIClient()
    if actor.token_key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {actor.token_key}")
    elif actor.user is not None:
        client.force_login(actor.user)
    return client


def page_client(actor: Actor) -> Client:
    client = Client()
    if actor.user is not None:
        client.force_login(actor.user)
    return client


def url_for(endpoint: Endpoint, obj=None) -> str | None:
    kwargs = {}
    for name in endpoint.kwargs:
        if obj is None:
            return None
        value = obj.pk if name == "pk" else getattr(obj, name, None)
        if value is None:
            return None
        kwargs[name] = value
    return reverse(endpoint.name, kwargs=kwargs)


def stored(obj: Obj):
    fresh = obj.model._base_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return None
    return fresh.snapshot() if isinstance(fresh, ScopedModel) else {
        f.attname: audit_value(f.value_from_object(fresh)) for f in fresh._meta.concrete_fields}


def text_field(model):
    """A plain text field to alter in write attempts (name, title, ...)."""
    for f in model._meta.concrete_fields:
        if (f.get_internal_type() == "CharField" and not f.choices and not f.unique
                and not f.primary_key and f.max_length and f.max_length >= 32 and f.editable):
            return f.name
    return None


def unique_fields(model):
    names = {f.name for f in model._meta.concrete_fields if f.unique and not f.primary_key
             and f.editable}
    pk = model._meta.pk
    if not pk.auto_created and pk.get_internal_type() != "BigAutoField":
        names.add(pk.name)
    for constraint in model._meta.constraints:
        names.update(getattr(constraint, "fields", ()) or ())
    return names


def fresh_value(world: World, model, name, current, obj: Obj):
    """A new value for a unique field, valid for the field (a real USCC, a free code)."""
    n = world.serial()
    f = model._meta.get_field(name)
    if (model, name) in world.fresh_related:
        return world.fresh_related[(model, name)](current, obj)
    if f.choices or f.is_relation:
        return current  # a constraint's other column (kind, enterprise) changes nothing
    if name == "uscc":
        return world.uscc(obj.facts.division or "320505")
    if model is m.Division and name == "code":
        return f"{obj.facts.division[:2]}99{n % 100:02d}"
    if model is m.Industry and name == "code":
        return f"99{n % 100:02d}"
    if isinstance(current, str) or current is None:
        return f"{current or ''}N{n}"[-(model._meta.get_field(name).max_length or 32):]
    return current


HREF = re.compile(r'href="([^"#?]+)')


def hrefs(response) -> set[str]:
    return {urlsplit(h).path for h in HREF.findall(response.content.decode("utf-8", "replace"))}


class Failures(list):
    def add(self, actor: Actor, method: str, url: str, what: str, problem: str):
        self.append(f"[{actor.spec.key}] {method} {url} {what}: {problem}")

    def check(self):
        assert not self, f"{len(self)} access violation(s):\n" + "\n".join(self[:60])


def _param(endpoints):
    return [pytest.param(role.key, ep, id=f"{role.key}-{ep.name}") for ep in endpoints for role in ROLES]


# ------------------------------------------------------------------ API


def representation(world, endpoint: Endpoint, obj: Obj) -> dict | None:
    """The object as a superuser reads it from the API (the base of write payloads).

    Cached on the world: every test's writes are rolled back, so the row is as built.
    """
    detail = endpoint.name.rsplit("-", 1)[0] + "-detail"
    key = (detail, obj.model, str(obj.pk))
    if key not in world.cache:
        client = APIClient()
        client.force_login(world.root)
        try:
            response = client.get(reverse(detail, args=[obj.pk]))
        except NoReverseMatch:  # no detail route: no payload
            world.cache[key] = None
        else:
            world.cache[key] = response.json() if response.status_code == 200 else None
    data = world.cache[key]
    return dict(data) if data is not None else None


def create_payload(world, endpoint, obj: Obj) -> dict | None:
    data = representation(world, endpoint, obj)
    if data is None:
        return None
    for name in unique_fields(obj.model):
        if name in data:
            data[name] = fresh_value(world, obj.model, name, data[name], obj)
    marker = text_field(obj.model)
    if marker and marker in data:
        data[marker] = f"AMX-NEW-{world.serial()}"
    return {k: v for k, v in data.items() if not k.endswith("_detail") and v is not None}


@pytest.mark.django_db
@pytest.mark.parametrize("role_key,endpoint", _param(API_ENDPOINTS))
def test_api(world, role_key, endpoint):
    actor = world.actors[role_key]
    model = endpoint.model
    client = api_client(actor)
    failures = Failures()
    if model is None:
        url = url_for(endpoint)
        if url and "GET" in endpoint.methods:
            status = client.get(url).status_code
            if status >= 500:
                failures.add(actor, "GET", url, "", f"server error {status}")
        failures.check()
        return
    objects = world.of(model)
    readable = actor.may_model("view", model, endpoint.audience)

    if not endpoint.kwargs:  # a list route: list and create
        url = reverse(endpoint.name)
        if "GET" in endpoint.methods:
            _check_api_list(world, actor, client, url, model, readable, failures, endpoint)
        if "POST" in endpoint.methods:
            tried = set()
            for obj in objects:
                if actor.may("add", model, obj.facts) or obj.facts in tried:
                    continue
                tried.add(obj.facts)  # one attempt per place and owner
                payload = create_payload(world, endpoint, obj)
                if payload is None:
                    continue
                before = model._base_manager.count()
                response = client.post(url, payload, format="json")
                if response.status_code not in REFUSED:
                    failures.add(actor, "POST", url, f"like {obj.label}",
                                 f"expected 401/403, got {response.status_code}")
                if model._base_manager.count() != before:
                    failures.add(actor, "POST", url, f"like {obj.label}", "a row was written")
    else:  # an object route (detail, by-uscc, ...)
        for obj in objects:
            url = url_for(endpoint, obj.instance)
            if url is None:
                continue
            visible = actor.may("view", model, obj.facts)
            if "GET" in endpoint.methods:
                status = client.get(url).status_code
                if visible and status != 200:
                    failures.add(actor, "GET", url, obj.label, f"in scope but got {status}")
                if not visible:
                    allowed = actor.api_denial("view", model)
                    if status not in allowed:
                        failures.add(actor, "GET", url, obj.label,
                                     f"out of scope: expected {allowed}, got {status}")
            _check_api_writes(world, actor, client, endpoint, url, obj, failures)
    failures.check()


def _check_api_list(world, actor, client, url, model, readable, failures, endpoint):
    audience = endpoint.audience
    response = client.get(url, {"limit": 1000})
    if not readable:
        if response.status_code not in REFUSED:
            failures.add(actor, "GET", url, "", f"may not read the model: expected 401/403, got "
                                                f"{response.status_code}")
        return
    pks = []
    while True:
        if response.status_code != 200:
            failures.add(actor, "GET", url, "", f"list failed with {response.status_code}")
            return
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        pk_name = model._meta.pk.name
        if endpoint.row_key:  # rows named by another unique field (e.g. a recall number)
            keys = [row[endpoint.row_key] for row in rows]
            pk_of = dict(model._base_manager.filter(**{f"{endpoint.row_key}__in": keys})
                         .values_list(endpoint.row_key, "pk"))
            pks += [pk_of.get(key, key) for key in keys]
        else:
            pks += [row.get(pk_name, row.get("id")) for row in rows]
        nxt = body.get("next") if isinstance(body, dict) else None
        if not nxt:
            break
        response = client.get(nxt)
    listed = {str(pk) for pk in pks}
    facts = world.facts_of_rows(model, [pk for pk in pks])
    for pk in listed:
        f = facts.get(pk)
        if f is None or not actor.may("view", model, f, audience):
            obj = world.by_model_pk(model, pk)
            failures.add(actor, "GET", url, obj.label if obj else f"{model.__name__}#{pk}",
                         "listed but outside the role's scope")
    for obj in world.of(model):
        if actor.may("view", model, obj.facts, audience) and str(obj.pk) not in listed:
            failures.add(actor, "GET", url, obj.label, "in scope but missing from the list")


def _check_api_writes(world, actor, client, endpoint, url, obj: Obj, failures):
    model = obj.model
    methods = endpoint.methods
    may_change = actor.may("change", model, obj.facts)
    may_delete = actor.may("delete", model, obj.facts)
    if not may_change and ({"PUT", "PATCH"} & set(methods)):
        expected = actor.api_denial("change", model)
        before = stored(obj)
        marker = text_field(model)
        rep = representation(world, endpoint, obj) or {}
        if marker:
            rep[marker] = "AMX-CHANGED"
        rep = {k: v for k, v in rep.items() if not k.endswith("_detail") and v is not None}
        for method, body in (("PUT", rep), ("PATCH", {marker: "AMX-CHANGED"} if marker else {})):
            if method not in methods:
                continue
            response = getattr(client, method.lower())(url, body, format="json")
            if response.status_code not in expected:
                failures.add(actor, method, url, obj.label,
                             f"may not change: expected {expected}, got {response.status_code}")
        if stored(obj) != before:
            failures.add(actor, "PUT/PATCH", url, obj.label, "the row changed")
    if not may_delete and "DELETE" in methods:
        expected = actor.api_denial("delete", model)
        response = client.delete(url)
        if response.status_code not in expected:
            failures.add(actor, "DELETE", url, obj.label,
                         f"may not delete: expected {expected}, got {response.status_code}")
        if stored(obj) is None:
            failures.add(actor, "DELETE", url, obj.label, "the row was deleted")


# ------------------------------------------------------------------ pages


def form_payload(world, endpoint: Endpoint, obj: Obj, *, fresh_unique: bool) -> dict | None:
    """POST data for the page's form, from the form itself filled with ``obj`` (as a superuser)."""
    key = ("form", endpoint.name, obj.model, str(obj.pk), fresh_unique)
    if key not in world.cache:
        world.cache[key] = _form_payload(world, endpoint, obj, fresh_unique=fresh_unique)
    data = world.cache[key]
    return dict(data) if data is not None else None


def _form_payload(world, endpoint: Endpoint, obj: Obj, *, fresh_unique: bool) -> dict | None:
    view_class = getattr(_resolve(endpoint).callback, "view_class", None)
    form_class = getattr(view_class, "form_class", None)
    if form_class is None or not hasattr(form_class, "_meta"):
        return None  # no model form to fill from the object (the page's own tests cover it)
    admin = world.root
    try:
        form = form_class(instance=obj.model._base_manager.get(pk=obj.pk), user=admin)
    except TypeError:
        form = form_class(instance=obj.model._base_manager.get(pk=obj.pk))
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        if isinstance(value, (list, tuple)):
            value = [str(getattr(v, "pk", v)) for v in value]
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        else:
            value = str(getattr(value, "pk", value))
        data[name] = value
    if fresh_unique:
        for name in unique_fields(obj.model):
            if name in data:
                data[name] = fresh_value(world, obj.model, name, data[name], obj)
    marker = text_field(obj.model)
    if marker and marker in data:
        data[marker] = f"AMX-PAGE-{world.serial()}"
    return data


_PATTERNS: dict = {}


def _resolve(endpoint: Endpoint):
    if not _PATTERNS:
        for _route, namespace, pattern in _walk(get_resolver().url_patterns):
            if namespace and pattern.name:
                _PATTERNS.setdefault(f"{namespace}:{pattern.name}", pattern)
    return _PATTERNS[endpoint.name]


def _detail_urls(world: World) -> dict:
    """Every page URL that shows one world object (detail / edit / delete), to scan links."""
    if not hasattr(world, "_detail_urls"):
        table = {}
        for ep in PAGE_ENDPOINTS:
            if ep.page_kind in ("detail", "edit", "delete") and ep.model is not None:
                for obj in world.of(ep.model):
                    url = url_for(ep, obj.instance)
                    if url:
                        table[url] = (obj, ep)
        world._detail_urls = table
    return world._detail_urls


def _check_links(world, actor, url, response, failures, *, strict_model=None, audience="role"):
    """Links on a page must not lead to objects the role may not see.

    On a list page, every linked object of the listed model must be in the
    role's visible set; elsewhere a link to a non-public object outside the
    role's scope is a leak.
    """
    table = _detail_urls(world)
    for path in hrefs(response):
        hit = table.get(path)
        if hit is None:
            continue
        obj, ep = hit
        ok = actor.may("view", obj.model, obj.facts, ep.audience)
        if ok:
            continue
        if not obj.facts.public or (obj.model is strict_model and not _self_related(obj.model)):
            failures.add(actor, "GET", url, obj.label, f"page links to out-of-scope {path}")


@pytest.mark.django_db
@pytest.mark.parametrize("role_key,endpoint", _param(PAGE_ENDPOINTS))
def test_page(world, role_key, endpoint):
    actor = world.actors[role_key]
    model = endpoint.model
    client = page_client(actor)
    failures = Failures()
    audience = endpoint.audience
    kind = endpoint.page_kind

    if kind == "list":
        url = url_for(endpoint)
        if url is None:
            pytest.skip("list page with URL arguments")
        # the world's rows fit on one page of 100; reference tables are checked by their links
        response = client.get(url, {"per_page": 100})
        readable = model is not None and actor.may_model("view", model, audience)
        if response.status_code >= 500:
            failures.add(actor, "GET", url, "", f"server error {response.status_code}")
        elif response.status_code == 200:
            _check_links(world, actor, url, response, failures, strict_model=model)
            detail = _sibling(endpoint, "detail")
            if model is not None and detail is not None and readable:
                linked = hrefs(response)
                for obj in world.of(model):
                    target = url_for(detail, obj.instance)
                    should = actor.may("view", model, obj.facts, audience)
                    # (a public parent in a tree's "parent" column is a link, not a row)
                    if target in linked and not should and not (
                            obj.facts.public and _self_related(model)):
                        failures.add(actor, "GET", url, obj.label, "listed but out of scope")
                    if should and target not in linked and _listable(model):
                        failures.add(actor, "GET", url, obj.label, "in scope but not listed")
        elif readable:
            failures.add(actor, "GET", url, "", f"may read {model.__name__}: got {response.status_code}")
        failures.check()
        return

    if model is None:
        pytest.skip(f"no model known for {endpoint.name}")

    if kind == "add":
        url = url_for(endpoint)
        status = client.get(url).status_code
        if status >= 500:
            failures.add(actor, "GET", url, "", f"server error {status}")
        if audience == "role":
            tried = set()
            for obj in world.of(model):
                if actor.may("add", model, obj.facts, audience) or obj.facts in tried:
                    continue
                tried.add(obj.facts)  # one attempt per place and owner
                data = form_payload(world, endpoint, obj, fresh_unique=True)
                if data is None:
                    continue
                before = model._base_manager.count()
                response = client.post(url, data)
                if response.status_code >= 500:
                    failures.add(actor, "POST", url, f"like {obj.label}", f"server error "
                                                                         f"{response.status_code}")
                if model._base_manager.count() != before:
                    failures.add(actor, "POST", url, f"like {obj.label}", "a row was written")
        failures.check()
        return

    for obj in world.of(model):
        url = url_for(endpoint, obj.instance)
        if url is None:
            continue
        if kind == "detail":
            response = client.get(url)
            visible = actor.may("view", model, obj.facts, audience)
            if visible and response.status_code != 200:
                failures.add(actor, "GET", url, obj.label, f"in scope but got {response.status_code}")
            elif not visible and response.status_code not in actor.page_denial("view", model, audience):
                failures.add(actor, "GET", url, obj.label,
                             f"out of scope: expected {actor.page_denial('view', model, audience)}, "
                             f"got {response.status_code}")
            if response.status_code == 200:
                _check_links(world, actor, url, response, failures)
        else:  # edit / delete pages
            action = "change" if kind == "edit" else "delete"
            if actor.may(action, model, obj.facts, audience):
                continue
            denial = actor.page_denial(action, model, audience)
            response = client.get(url)
            if response.status_code not in denial:
                failures.add(actor, "GET", url, obj.label,
                             f"may not {action}: expected {denial}, got {response.status_code}")
            before = stored(obj)
            data = form_payload(world, endpoint, obj, fresh_unique=False) if kind == "edit" else {}
            response = client.post(url, data or {"confirm": "yes"})
            if response.status_code not in denial:
                failures.add(actor, "POST", url, obj.label,
                             f"may not {action}: expected {denial}, got {response.status_code}")
            if stored(obj) != before:
                failures.add(actor, "POST", url, obj.label, f"the row was {action}d")
    failures.check()


def _sibling(endpoint: Endpoint, kind: str) -> Endpoint | None:
    name = endpoint.name.rsplit("_", 1)[0] + f"_{kind}"
    for ep in PAGE_ENDPOINTS:
        if ep.name == name:
            return ep
    return None


def _self_related(model) -> bool:
    """A tree (divisions, industries): its list links each row's parent too."""
    return any(f.is_relation and f.related_model is model for f in model._meta.concrete_fields)


def _listable(model) -> bool:
    """World objects of reference tables may sit beyond the first page (thousands of rows)."""
    return model not in (m.Division, m.Industry)


# ------------------------------------------------------------------ the matrix itself


def test_every_registry_model_has_api_and_pages():
    api_models = {ep.model for ep in API_ENDPOINTS}
    page_models = {(ep.model, ep.page_kind) for ep in PAGE_ENDPOINTS}
    for model in (m.Division, m.Industry, m.ProductCategory, m.Standard, m.Enterprise, m.Product,
                  m.StandardDeclaration, m.Certification, m.Lab, m.Inspector, m.Award, m.Brand):
        assert model in api_models, f"no API endpoint found for {model.__name__}"
        for kind in PAGE_KINDS:
            assert (model, kind) in page_models, f"no {kind} page found for {model.__name__}"


@pytest.mark.django_db
def test_world_facts_match_model_declarations(world):
    """What the world recorded agrees with each model's scope declarations."""
    for obj in world.objects:
        declared = declared_facts(obj.instance, world.public_pks(obj.model))
        assert declared == obj.facts, obj.label


@pytest.mark.django_db
def test_oracle_agrees_with_restrict_on_the_world(world):
    """A cross-check of the two implementations (the oracle above and ``restrict``)."""
    for actor in world.actors.values():
        user = actor.user or AnonymousUser()
        for obj in world.objects:
            for action in ("view", "change", "delete"):
                q = scope_q(obj.model, user, action)
                by_restrict = q is not None and obj.model._base_manager.filter(q, pk=obj.pk).exists()
                expected = actor.may(action, obj.model, obj.facts)
                if actor.spec.token and action != "view" and not actor.token_writes:
                    continue  # the token's read-only rule lives in the API permission
                assert by_restrict == expected, (actor.spec.key, action, obj.label)


def _in_province(obj: Obj) -> bool:
    return obj.facts.division is None or obj.facts.division.startswith(region_prefix(PROVINCE))


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", [ep for ep in API_ENDPOINTS
                                      if ep.model is not None and not ep.kwargs
                                      and "POST" in ep.methods], ids=str)
def test_api_create_payloads_are_valid(world, endpoint):
    """The refused creations above are refused for their scope, not for a bad payload:
    the same payloads, for a place inside the province, create a row for the province
    administrator."""
    actor = world.actors["province_admin"]
    client = api_client(actor)
    candidates = [o for o in world.of(endpoint.model) if _in_province(o)]
    assert candidates, f"the world has no {endpoint.model.__name__} in the province"
    obj = candidates[-1]
    payload = create_payload(world, endpoint, obj)
    before = endpoint.model._base_manager.count()
    response = client.post(reverse(endpoint.name), payload, format="json")
    assert response.status_code == 201, (obj.label, payload, response.content[:500])
    assert endpoint.model._base_manager.count() == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", [ep for ep in PAGE_ENDPOINTS
                                      if ep.page_kind == "add" and ep.model is not None
                                      and ep.audience == "role"], ids=str)
def test_page_add_payloads_are_valid(world, endpoint):
    """Likewise for the pages' forms: the generated form data creates a row when allowed."""
    if endpoint.name in PAYLOAD_GAPS:
        pytest.skip(PAYLOAD_GAPS[endpoint.name])
    candidates = [o for o in world.of(endpoint.model) if _in_province(o)]
    if not candidates:
        pytest.skip(f"the world has no {endpoint.model.__name__}")
    data = form_payload(world, endpoint, candidates[-1], fresh_unique=True)
    if data is None:
        pytest.skip(f"{endpoint.name} has no model form")
    client = page_client(world.actors["province_admin"])
    before = endpoint.model._base_manager.count()
    response = client.post(url_for(endpoint), data)
    assert endpoint.model._base_manager.count() == before + 1, (
        candidates[-1].label, data, response.status_code,
        re.findall(r'class="[^"]*(?:error|invalid)[^"]*"[^>]*>([^<]+)<', response.content.decode())[:5])
