"""The workflow pages through Django's test client: commit, draw, publish, task steps, files,
result publication and the dashboard — scope (a 南京 officer gets 404), CSRF, errors, audit."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from zhijian.accounts.audit import verify_chain
from zhijian.accounts.models import AuditEntry
from zhijian.core import scope as S
from zhijian.registry.models import Inspector, Lab, Product, ProductCategory
from zhijian.spotcheck import draw as engine
from zhijian.spotcheck import drawing, services
from zhijian.spotcheck.models import Plan, PlanLab, Task, TaskAttachment
from zhijian.spotcheck.tests.draw_helpers import draw_plan

D = dt.date
PASS = [{"name": "标志和说明", "verdict": "qualified"}]
FAIL = [{"name": "输入功率和电流", "verdict": "unqualified"}]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(make_user, enterprise_factory):
    cat = ProductCategory.objects.filter(key_supervised=True).order_by("code").first()
    for i in range(6):
        e = enterprise_factory(["320505", "320506"][i % 2], name=f"工作流企业{i}")
        Product.objects.create(enterprise=e, category=cat, name=f"产品{i}")
    inspectors = []
    for i in range(3):
        insp = Inspector.objects.create(name=f"检查员{i}", badge_number=f"WF{i:04d}", division_id="320500")
        insp.categories.add(cat)
        inspectors.append(insp)
    lab = Lab.objects.create(name="苏州质检院", accreditation_number="CMA-WF-1", division_id="320500",
                             level="city")
    plan = Plan.objects.create(title="2026 年苏州市工作流抽查", kind="routine", year=2026, period="2026",
                               starts_on=D(2026, 3, 1), ends_on=D(2026, 12, 31), division_id="320500",
                               quota_mode="count", quota_count=1)
    plan.categories.add(cat)
    PlanLab.objects.create(plan=plan, category=cat, lab=lab)
    return {
        "plan": plan, "cat": cat, "lab": lab, "inspectors": inspectors,
        "officer": make_user(S.ROLE_OFFICER, "320500"),
        "witness": make_user(S.ROLE_OFFICER, "320500"),
        "nanjing": make_user(S.ROLE_OFFICER, "320100"),
        "lab_user": make_user(S.ROLE_LAB, lab=lab),
        "inspector": make_user(S.ROLE_INSPECTOR, "320500", inspector=inspectors[0]),
    }


def client_for(user, csrf=False):
    c = Client(enforce_csrf_checks=csrf, headers={"accept-language": "en"})  # messages matched in English
    c.force_login(user)
    return c


def url(name, *args):
    return reverse(f"spotcheck:{name}", args=args)


def committed(w):
    """Committed two days ago, naming a public value announced yesterday (so it can be entered now)."""
    secret = engine.make_secret()
    now = timezone.now()
    drawing.commit(w["plan"], w["officer"], engine.commitment_of(secret), public_value_source="test lottery",
                   public_value_at=now - dt.timedelta(days=1), now=now - dt.timedelta(days=2))
    return secret


def drawn(w):
    draw_plan(w["plan"], w["officer"], public_value="07 11 23", public_value_source="test lottery",
              witness=w["witness"], committed_at=timezone.now() - dt.timedelta(days=3))
    return list(Task.objects.filter(plan=w["plan"]).order_by("pk"))


# a value announced a month from now (21:15 local, when the lottery draws)
ANNOUNCED = (timezone.localtime() + dt.timedelta(days=30)).strftime("%Y-%m-%dT21:15")
COMMIT_FIELDS = {"public_value_source": "福利彩票3D 第2026330期", "public_value_at": ANNOUNCED}


def test_commit_page_posts_only_the_commitment(world):
    w = world
    c = client_for(w["officer"])
    page = c.get(url("plan_commit", w["plan"].pk))
    assert page.status_code == 200
    assert b"spotcheck/commit.js" in page.content and b'name="secret"' not in page.content
    secret = engine.make_secret()
    audit_before = AuditEntry.objects.count()
    # the public value must be named, and announced after the commitment
    response = c.post(url("plan_commit", w["plan"].pk), {"commitment": engine.commitment_of(secret)})
    assert response.status_code == 200 and Plan.objects.get(pk=w["plan"].pk).status == "draft"
    past = {**COMMIT_FIELDS, "public_value_at": (timezone.localtime() - dt.timedelta(hours=1))
            .strftime("%Y-%m-%dT%H:%M")}
    response = c.post(url("plan_commit", w["plan"].pk), {"commitment": engine.commitment_of(secret), **past})
    assert response.status_code == 200 and b"announced after the commitment" in response.content
    response = c.post(url("plan_commit", w["plan"].pk),
                      {"commitment": engine.commitment_of(secret).upper(), **COMMIT_FIELDS})
    assert response.status_code == 302
    plan = Plan.objects.get(pk=w["plan"].pk)
    assert plan.status == "committed"
    assert plan.draw.commitment == engine.commitment_of(secret)
    assert plan.draw.secret == ""
    assert plan.draw.public_value_source == COMMIT_FIELDS["public_value_source"]
    assert timezone.localtime(plan.draw.public_value_at).strftime("%Y-%m-%dT%H:%M") == ANNOUNCED
    assert plan.draw.pool_size == 6 and plan.draw.pool_file
    assert AuditEntry.objects.count() > audit_before
    # committing twice is refused with the service's message
    response = c.post(url("plan_commit", plan.pk), {"commitment": "a" * 64, **COMMIT_FIELDS})
    assert response.status_code == 200
    assert b"Only a draft plan can be committed" in response.content


def test_commit_rejects_a_malformed_commitment(world):
    c = client_for(world["officer"])
    response = c.post(url("plan_commit", world["plan"].pk), {"commitment": "xyz" * 21 + "z", **COMMIT_FIELDS})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert Plan.objects.get(pk=world["plan"].pk).status == "draft"


def test_workflow_posts_need_the_csrf_token(world):
    c = client_for(world["officer"], csrf=True)
    response = c.post(url("plan_commit", world["plan"].pk), {"commitment": "a" * 64})
    assert response.status_code == 403
    assert Plan.objects.get(pk=world["plan"].pk).status == "draft"


def test_out_of_scope_officer_gets_404_everywhere(world):
    w = world
    tasks = drawn(w)
    c = client_for(w["nanjing"])
    pk = w["plan"].pk
    for name in ("plan_detail", "plan_commit", "plan_draw"):
        assert c.get(url(name, pk)).status_code == 404, name
    assert c.post(url("plan_publish", pk)).status_code == 404
    task = tasks[0]
    assert c.get(url("task_detail", task.pk)).status_code == 404
    assert c.post(url("task_step", task.pk, "sample"),
                  {"sample-sample_name": "x", "sample-sample_quantity": "1"}).status_code == 404
    assert c.post(url("task_publish", task.pk)).status_code == 404
    task.refresh_from_db()
    assert task.status == "assigned"
    assert Plan.objects.get(pk=pk).status == "drawn"


def test_draw_page_wrong_secret_then_right_secret_then_publish(world):
    w = world
    secret = committed(w)
    c = client_for(w["officer"])
    pk = w["plan"].pk
    page = c.get(url("plan_draw", pk))
    assert page.status_code == 200 and b'id="second-officer"' in page.content
    # the officer who committed cannot enter the public value
    refused = c.post(url("plan_public_value", pk), {"public_value": "1 2 3"})
    assert refused.status_code == 403 and b"second officer" in refused.content
    # the drawing step is refused until a second officer has entered it
    early = c.post(url("plan_draw", pk), {"secret": secret})
    assert early.status_code == 200 and b"has not been entered" in early.content
    witness = client_for(w["witness"])
    page = witness.get(url("plan_draw", pk))
    assert b'id="enter-public-value"' in page.content
    assert witness.post(url("plan_public_value", pk), {"public_value": " 1 2 3 "}).status_code == 302
    again = witness.post(url("plan_public_value", pk), {"public_value": "4 5 6"})
    assert again.status_code == 200 and b"cannot be changed" in again.content
    page = c.get(url("plan_draw", pk))
    assert b'id="perform-draw"' in page.content and b"1 2 3" in page.content
    wrong = c.post(url("plan_draw", pk), {"secret": engine.make_secret()})
    assert wrong.status_code == 200
    assert b"does not match the published commitment" in wrong.content
    assert not Task.objects.filter(plan_id=pk).exists()
    response = c.post(url("plan_draw", pk), {"secret": secret})
    assert response.status_code == 302
    assert Task.objects.filter(plan_id=pk).count() == 2  # two counties, one each
    detail = c.get(url("plan_detail", pk))
    assert secret.encode() in detail.content  # revealed after the draw
    assert url("plan_publish", pk).encode() in detail.content
    assert c.post(url("plan_publish", pk)).status_code == 302
    plan = Plan.objects.get(pk=pk)
    assert plan.status == "published" and plan.draw.published_at
    assert verify_chain().ok


def test_an_empty_pool_is_refused_at_commit(world):
    w = world
    Product.objects.all().delete()  # nobody produces the category any more
    c = client_for(w["officer"])
    response = c.post(url("plan_commit", w["plan"].pk),
                      {"commitment": engine.commitment_of(engine.make_secret()), **COMMIT_FIELDS})
    assert response.status_code == 200
    assert b"No enterprise is eligible" in response.content
    assert Plan.objects.get(pk=w["plan"].pk).status == "draft"


def test_draw_failure_is_shown(world):
    w = world
    secret = committed(w)
    drawing.enter_public_value(w["plan"], w["witness"], "1")
    draw = w["plan"].draw
    draw.inputs["inspectors"] = []  # as if nobody had been qualified at the commitment
    draw.inputs_hash = drawing.inputs_sha256(draw.inputs)
    draw.save()
    c = client_for(w["officer"])
    response = c.post(url("plan_draw", w["plan"].pk), {"secret": secret})
    assert response.status_code == 200
    assert b"The draw failed" in response.content and b"inspectors" in response.content


def test_task_steps_through_the_pages(world, make_user):
    w = world
    task = drawn(w)[0]
    officer, lab = client_for(w["officer"]), client_for(w["lab_user"])
    # the detail page offers exactly the available steps
    page = officer.get(url("task_detail", task.pk))
    assert b'id="step-sample"' in page.content and b'id="step-deliver"' not in page.content
    # sampling with a record file and two photos
    response = officer.post(url("task_step", task.pk, "sample"), {
        "sample-sample_name": "电烤箱", "sample-sample_quantity": "2 台", "sample-sample_batch": "B01",
        "sample-sampling_record": SimpleUploadedFile("record.pdf", b"%PDF-1.4 record", "application/pdf"),
        "sample-photos": [SimpleUploadedFile("p1.jpg", b"\xff\xd8one", "image/jpeg"),
                          SimpleUploadedFile("p2.jpg", b"\xff\xd8two", "image/jpeg")]})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "sampled" and task.sampling_record
    photos = list(TaskAttachment.objects.filter(task=task))
    assert [p.name for p in photos] == ["p1.jpg", "p2.jpg"]
    # files only through the scoped view
    got = officer.get(url("attachment_download", task.pk, photos[1].pk))
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"\xff\xd8two"
    assert b"".join(officer.get(url("task_sampling_record", task.pk)).streaming_content) == b"%PDF-1.4 record"
    assert client_for(w["nanjing"]).get(url("attachment_download", task.pk, photos[0].pk)).status_code == 404
    # an illegal step: the lab cannot notify; an out-of-order step is refused with the reason
    response = lab.post(url("task_step", task.pk, "notify"), {"notify-notified_on": "2026-03-10"})
    assert response.status_code == 403
    assert b"Your role cannot" in response.content
    response = officer.post(url("task_step", task.pk, "close"), {})
    assert response.status_code == 200
    assert b"Cannot close a task that is sampled" in response.content
    task.refresh_from_db()
    assert task.status == "sampled"
    # the lab confirms delivery and records an unqualified result with its items
    assert lab.post(url("task_step", task.pk, "deliver"), {"deliver-delivered_on": ""}).status_code == 302
    items = {"record_result-items-TOTAL_FORMS": 3, "record_result-items-INITIAL_FORMS": 0,
             "record_result-items-MIN_NUM_FORMS": 1, "record_result-items-MAX_NUM_FORMS": 1000,
             "record_result-items-0-name": "标志和说明", "record_result-items-0-verdict": "qualified",
             "record_result-items-1-name": "输入功率和电流", "record_result-items-1-clause": "10.1",
             "record_result-items-1-requirement": "≤ +15%", "record_result-items-1-measured": "+18%",
             "record_result-items-1-verdict": "unqualified"}
    # a verdict that contradicts the items is refused, nothing is written
    bad = lab.post(url("task_step", task.pk, "record_result"),
                   {**items, "record_result-verdict": "qualified", "record_result-report_number": "R1"})
    assert bad.status_code == 200 and b"unqualified exactly when" in bad.content
    task.refresh_from_db()
    assert task.status == "delivered" and not task.items.exists()
    ok = lab.post(url("task_step", task.pk, "record_result"),
                  {**items, "record_result-verdict": "unqualified", "record_result-report_number": "R1"})
    assert ok.status_code == 302
    task.refresh_from_db()
    assert task.verdict == "unqualified" and task.items.count() == 2
    assert task.items.get(verdict="unqualified").measured == "+18%"
    # the officer notifies; publication must wait for the objection window
    today = timezone.localdate()
    assert officer.post(url("task_step", task.pk, "notify"),
                        {"notify-notified_on": today.isoformat()}).status_code == 302
    task.refresh_from_db()
    assert task.objection_due > today
    page = officer.post(url("task_publish", task.pk), follow=True)
    assert b"may still change on re-inspection" in page.content
    task.refresh_from_db()
    assert task.published_on is None
    # the enterprise files an objection on its own page
    ent_user = make_user(S.ROLE_ENTERPRISE, enterprise=task.enterprise)
    ent = client_for(ent_user)
    page = ent.get(url("task_detail", task.pk))
    assert b'id="step-file_objection"' in page.content
    assert ent.post(url("task_step", task.pk, "file_objection"),
                    {"file_objection-reason": "样品保存不当"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "objection"
    events = list(task.events.values_list("type", flat=True))
    assert events == ["drawn", "sampled", "delivered", "tested", "notified", "objection_filed"]


def test_enterprise_and_lab_lists_show_their_own_tasks(world, make_user):
    """The list shows what the user may see (own + published); "my tasks" narrows it to own."""
    w = world
    tasks = drawn(w)
    mine, other = tasks
    Task.objects.filter(pk=other.pk).update(published_on=D(2026, 4, 1), status="closed")
    ent = client_for(make_user(S.ROLE_ENTERPRISE, enterprise=mine.enterprise))
    page = ent.get(url("task_list"))
    assert mine.get_absolute_url().encode() in page.content
    assert other.get_absolute_url().encode() in page.content  # published: public
    page = ent.get(url("task_list") + "?mine=true")
    assert mine.get_absolute_url().encode() in page.content
    assert other.get_absolute_url().encode() not in page.content
    Task.objects.filter(pk=other.pk).update(published_on=None)
    assert other.get_absolute_url().encode() not in ent.get(url("task_list")).content
    lab = client_for(w["lab_user"])
    page = lab.get(url("task_list") + "?mine=true")
    assert mine.get_absolute_url().encode() in page.content


def test_dashboard_lists_overdue_tasks_in_scope(world):
    w = world
    tasks = drawn(w)
    late = tasks[0]
    Task.objects.filter(pk=late.pk).update(status="rectifying", verdict="unqualified",
                                           rectification_due=D(2026, 1, 31))
    Task.objects.filter(pk=tasks[1].pk).update(status="closed", verdict="qualified", notified_on=D(2026, 1, 5),
                                               publication_due=D(2026, 1, 25))
    page = client_for(w["officer"]).get(url("dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    rect = html.split('id="overdue-rectification"')[1].split("</section>")[0]
    assert late.get_absolute_url() in rect
    pub = html.split('id="overdue-publication"')[1].split("</section>")[0]
    assert tasks[1].get_absolute_url() in pub
    nanjing = client_for(w["nanjing"]).get(url("dashboard")).content.decode()
    assert late.get_absolute_url() not in nanjing
    assert client_for(w["lab_user"]).get(url("dashboard")).status_code == 403
    # the home page links to the dashboard through the menu
    assert url("dashboard") in client_for(w["officer"]).get("/").content.decode()


def test_publish_result_button(world):
    w = world
    task = drawn(w)[0]
    on = timezone.localdate()
    u = {"officer": w["officer"], "lab": w["lab_user"]}
    services.apply(task, "sample", u["officer"], {"sample_name": "x", "sample_quantity": "1"}, on=on)
    services.apply(task, "deliver", u["lab"], {}, on=on)
    services.apply(task, "record_result", u["lab"], {"verdict": "qualified", "items": PASS}, on=on)
    services.apply(task, "notify", u["officer"], {"notified_on": on.isoformat()}, on=on)
    c = client_for(w["officer"])
    page = c.get(url("task_detail", task.pk))
    assert url("task_publish", task.pk).encode() in page.content
    assert c.post(url("task_publish", task.pk)).status_code == 302
    task.refresh_from_db()
    assert task.published_on == on
    assert Task.objects.restrict(None).filter(pk=task.pk).exists()
