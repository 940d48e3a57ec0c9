"""The whole "double random, one public" procedure in a real browser (headless Chromium).

A 苏州 city officer creates a seasonal plan for electric blankets (电热毯), commits to a
secret generated in the browser, draws with a public value and publishes the draw; the
lab enters a qualified and an unqualified result; the officer notifies; the enterprise
of the unqualified result files an objection; the lab re-tests (still unqualified); the
officer orders rectification, records the re-check and publishes both results. Finally
an anonymous visitor opens the public plan page, sees the results, downloads the draw
record and the pool, and ``zhijian verify-draw`` says MATCH.

All steps are taken on today's date (the services' default), which keeps the objection
inside its 15-day window; the plan covers the winter months of the blanket's season.
"""
import datetime as dt
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from zhijian.core.scope import ROLE_ENTERPRISE, ROLE_LAB, ROLE_OFFICER
from zhijian.core.testing.browser import browser_login
from zhijian.registry.identifiers import make_uscc
from zhijian.registry.models import Enterprise, Inspector, Lab, Product, ProductCategory
from zhijian.spotcheck.models import Draw, Plan, Task, TaskAttachment

pytestmark = pytest.mark.browser

COUNTIES = ["320505", "320506"]  # 虎丘区, 吴中区
PUBLIC_VALUE = "2026137 03 08 15 22 27 31 + 09"
PUBLIC_SOURCE = "中国福利彩票双色球 2026137 期 (2026-11-24 开奖)"


@pytest.fixture
def world(transactional_db):
    blanket = ProductCategory.objects.filter(name__contains="电热毯").order_by("code").first()
    assert blanket is not None, "the key product catalog has an electric blanket category"
    assert {11, 12, 1} <= set(blanket.seasonal_months)
    enterprises = []
    for i in range(6):
        county = COUNTIES[i % 2]
        e = Enterprise.objects.create(uscc=make_uscc(county, 770000 + i), name=f"苏州暖冬电器{i}号有限公司",
                                      division_id=county)
        Product.objects.create(enterprise=e, category=blanket, name=f"暖冬牌电热毯 {i}")
        enterprises.append(e)
    for i in range(3):
        insp = Inspector.objects.create(name=f"苏州检查员{i}", badge_number=f"SZ-W{i:03d}",
                                        division_id="320500")
        insp.categories.add(blanket)
    lab = Lab.objects.create(name="苏州市产品质量监督检验院", accreditation_number="CMA-320500-W",
                             division_id="320500", level="city")
    lab.categories.add(blanket)
    return {"blanket": blanket, "enterprises": enterprises, "lab": lab}


def open_as(chromium_browser, live_server, username, password):
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                           timezone_id="Asia/Shanghai", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    if username:
        browser_login(page, live_server, username, password)
    return page


def take_step(page, task, name, fill=None, select=None, files=None):
    """Submit the task page's form of one transition and return to the task page."""
    from playwright.sync_api import expect

    form = page.locator(f"#step-{name} form")
    expect(form).to_be_visible()
    for field, value in (fill or {}).items():
        form.locator(f"[name='{name}-{field}']").fill(value)
    for field, value in (select or {}).items():
        form.locator(f"[name='{name}-{field}']").select_option(value)
    for field, value in (files or {}).items():
        form.locator(f"[name='{name}-{field}']").set_input_files(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")
    if page.locator(".messages .msg-success").count() != 1:
        errors = page.locator(".messages, .errorlist").all_inner_texts()
        pytest.fail(f"step {name} of task {task.pk} failed: {errors}")
    task.refresh_from_db()
    return task


def items(rows):
    data = {}
    for i, (name, clause, requirement, measured, _verdict) in enumerate(rows):
        data.update({f"items-{i}-name": name, f"items-{i}-clause": clause,
                     f"items-{i}-requirement": requirement, f"items-{i}-measured": measured})
    return data


def item_verdicts(rows):
    return {f"items-{i}-verdict": verdict for i, (*_rest, verdict) in enumerate(rows)}


def test_seasonal_plan_from_draw_to_verified_publication(live_server, chromium_browser, screenshot_dir,
                                                         make_user, world, tmp_path, request):
    from playwright.sync_api import expect

    # The walk moves the clock 2 hours on (objection window); late in the evening that crosses
    # midnight, so it starts at 09:00 of the next day then (forward only: the world is made now).
    now = timezone.localtime()
    if now.hour >= 20:
        start = time_machine.travel(timezone.make_aware(dt.datetime.combine(now.date() + dt.timedelta(days=1),
                                                                            dt.time(9, 0))), tick=True)
        start.start()
        request.addfinalizer(start.stop)
    today = timezone.localdate()
    blanket, lab = world["blanket"], world["lab"]
    make_user(ROLE_OFFICER, "320500", username="sz-officer", full_name="苏州市局 李科长")
    make_user(ROLE_OFFICER, "320500", username="sz-witness", full_name="苏州市局 王科员")
    make_user(ROLE_LAB, lab=lab, username="sz-lab", full_name="苏州质检院 张工")

    # ------------------------------------------------------------------ the plan
    officer = open_as(chromium_browser, live_server, "sz-officer", "pw-sz-officer")
    officer.goto(f"{live_server.url}/spotcheck/")
    expect(officer.locator("#status-counts")).to_be_visible()
    officer.goto(f"{live_server.url}/spotcheck/plans/add/")
    officer.fill("#id_title", "2026 年苏州市电热毯节令专项监督抽查")
    officer.select_option("#id_kind", "seasonal")
    officer.fill("#id_period", "2026W")
    officer.fill("#id_starts_on", "2026-11-01")
    officer.fill("#id_ends_on", "2027-01-31")
    with officer.expect_navigation():  # the form comes back with the categories in season for Nov-Jan
        officer.click("#refresh-categories")
    boxes = officer.locator("input[name=categories]")
    expect(officer.locator(f"input[name=categories][value='{blanket.pk}']")).to_be_checked()
    assert boxes.count() >= 2  # other winter products are offered too
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    officer.check(f"input[name=categories][value='{blanket.pk}']")
    expect(officer.locator("#id_title")).to_have_value("2026 年苏州市电热毯节令专项监督抽查")
    officer.select_option("#id_strata_level", "county")
    officer.select_option("#id_quota_mode", "count")
    officer.fill("#id_quota_count", "1")
    officer.select_option("select[name='labs-0-category']", str(blanket.pk))
    officer.select_option("select[name='labs-0-lab']", str(lab.pk))
    # not full_page: Chromium restores the scroll position of a full-page capture late, and the
    # click below then lands wherever the page has scrolled back to
    officer.screenshot(path=screenshot_dir / "1-plan-form.png")
    with officer.expect_navigation():
        officer.click("#save-plan")
    plan = Plan.objects.get(title="2026 年苏州市电热毯节令专项监督抽查")
    expect(officer).to_have_url(f"{live_server.url}/spotcheck/plans/{plan.pk}/")
    assert plan.kind == "seasonal" and list(plan.categories.all()) == [blanket]
    assert plan.labs.get().lab == lab

    # ------------------------------------------------------------------ commit (secret made in the browser)
    officer.click(f"a[href='/spotcheck/plans/{plan.pk}/commit/']")
    expect(officer.locator("#secret")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    secret = officer.locator("#secret").inner_text()
    commitment = officer.locator("#id_commitment").input_value()
    assert commitment == hashlib.sha256(bytes.fromhex(secret)).hexdigest()
    with officer.expect_download() as download:
        officer.click("#download-secret")
    secret_file = tmp_path / "secret.txt"
    download.value.save_as(secret_file)
    assert secret in secret_file.read_text()
    # name the public value: where it will be published and when (90 minutes from now)
    announced = timezone.localtime() + dt.timedelta(minutes=90)
    officer.fill("#id_public_value_source", PUBLIC_SOURCE)
    officer.fill("#id_public_value_at", announced.strftime("%Y-%m-%dT%H:%M"))
    officer.screenshot(path=screenshot_dir / "2-commit.png")
    officer.click("#publish-commitment")
    officer.wait_for_load_state("domcontentloaded")
    draw = Draw.objects.get(plan=plan)
    assert draw.commitment == commitment and draw.secret == ""  # the server never saw the secret
    assert draw.public_value_source == PUBLIC_SOURCE and draw.pool_size == 6 and draw.pool_hash
    expect(officer.locator("#commitment")).to_have_text(commitment)

    # ------------------------------------------------------------------ the public value, entered by a second
    # officer after its announced moment; then the draw, then its publication
    officer.click(f"a[href='/spotcheck/plans/{plan.pk}/draw/']")
    expect(officer.locator("#not-yet")).to_be_visible()  # before the moment: no form at all
    expect(officer.locator("#draw-form")).to_have_count(0)
    clock = time_machine.travel(timezone.now() + dt.timedelta(hours=2), tick=True)
    clock.start()
    request.addfinalizer(clock.stop)
    officer.reload()
    expect(officer.locator("#second-officer")).to_be_visible()  # the committing officer may not enter it
    witness = open_as(chromium_browser, live_server, "sz-witness", "pw-sz-witness")
    witness.goto(f"{live_server.url}/spotcheck/plans/{plan.pk}/draw/")
    witness.fill("#id_public_value", PUBLIC_VALUE)
    witness.click("#enter-public-value")
    witness.wait_for_load_state("domcontentloaded")
    draw.refresh_from_db()
    assert draw.public_value == PUBLIC_VALUE and draw.public_value_entered_by.username == "sz-witness"
    officer.reload()
    expect(officer.locator("#public-value")).to_have_text(PUBLIC_VALUE)
    officer.fill("#id_secret", "0" * 64)  # a wrong secret first
    officer.click("#perform-draw")
    expect(officer.locator("#draw-errors")).to_be_visible()
    assert not Task.objects.filter(plan=plan).exists()
    officer.fill("#id_secret", secret)
    officer.click("#perform-draw")
    officer.wait_for_load_state("domcontentloaded")
    tasks = list(Task.objects.filter(plan=plan).order_by("division_id"))
    assert [t.division_id for t in tasks] == COUNTIES  # one per county stratum
    assert all(t.lab_id == lab.pk and t.inspectors.count() == 2 for t in tasks)
    expect(officer.locator("#tasks table tbody tr")).to_have_count(2)
    officer.click("#publish-draw")
    officer.wait_for_load_state("domcontentloaded")
    plan.refresh_from_db()
    assert plan.status == "published"
    officer.screenshot(path=screenshot_dir / "3-plan-drawn.png")
    good, bad = tasks

    # ------------------------------------------------------------------ sampling (officer), with files
    record = tmp_path / "抽样单.pdf"
    record.write_bytes(b"%PDF-1.4 sampling record")
    photos = []
    for n in (1, 2):
        photo = tmp_path / f"photo{n}.jpg"
        photo.write_bytes(b"\xff\xd8\xff\xe0 photo %d" % n)
        photos.append(photo)
    for task in tasks:
        officer.goto(f"{live_server.url}{task.get_absolute_url()}")
        take_step(officer, task, "sample",
                  fill={"sample_name": "暖冬牌电热毯", "sample_quantity": "4 条", "sample_batch": "20261101"},
                  files={"sampling_record": str(record), "photos": [str(p) for p in photos]})
        assert task.status == "sampled"
    assert TaskAttachment.objects.filter(task=bad).count() == 2

    # ------------------------------------------------------------------ the lab: delivery and results
    lab_page = open_as(chromium_browser, live_server, "sz-lab", "pw-sz-lab")
    lab_page.goto(f"{live_server.url}/spotcheck/tasks/?mine=true")
    expect(lab_page.locator("#results table tbody tr")).to_have_count(2)
    pass_rows = [("标志和说明", "7.1", "应符合 GB 4706.8", "符合", "qualified"),
                 ("输入功率和电流", "10.1", "≤ +10%", "+4%", "qualified")]
    fail_rows = [("标志和说明", "7.1", "应符合 GB 4706.8", "符合", "qualified"),
                 ("发热", "11", "温升 ≤ 75 K", "92 K", "unqualified")]
    for task, rows, verdict in ((good, pass_rows, "qualified"), (bad, fail_rows, "unqualified")):
        lab_page.goto(f"{live_server.url}{task.get_absolute_url()}")
        take_step(lab_page, task, "deliver")
        take_step(lab_page, task, "record_result",
                  fill={"report_number": f"SZQ-2026-{task.pk:04d}", **items(rows)},
                  select={"verdict": verdict, **item_verdicts(rows)})
        assert task.status == "tested" and task.verdict == verdict
    lab_page.screenshot(path=screenshot_dir / "4-lab-result.png")
    assert bad.items.get(verdict="unqualified").measured == "92 K"

    # ------------------------------------------------------------------ the officer notifies both
    for task in tasks:
        officer.goto(f"{live_server.url}{task.get_absolute_url()}")
        take_step(officer, task, "notify", fill={"notified_on": today.isoformat()})
        assert task.status == "notified" and task.objection_due > today
    officer.goto(f"{live_server.url}{good.get_absolute_url()}")
    take_step(officer, good, "close")
    with officer.expect_navigation():
        officer.click("#publish-result")
    good.refresh_from_db()
    assert good.published_on == today
    # the unqualified result cannot be published while the enterprise may object
    officer.goto(f"{live_server.url}{bad.get_absolute_url()}")
    expect(officer.locator("#publish-result")).to_have_count(1)
    with officer.expect_navigation():
        officer.click("#publish-result")
    expect(officer.locator(".messages .msg-error")).to_have_count(1)
    bad.refresh_from_db()
    assert bad.published_on is None

    # ------------------------------------------------------------------ the enterprise objects
    make_user(ROLE_ENTERPRISE, enterprise=bad.enterprise, username="ent-user", full_name="企业质量负责人")
    ent = open_as(chromium_browser, live_server, "ent-user", "pw-ent-user")
    # own tasks ("my tasks"); others' published results also show without the filter
    ent.goto(f"{live_server.url}/spotcheck/tasks/?mine=true")
    expect(ent.locator("#results table tbody tr")).to_have_count(1)
    ent.goto(f"{live_server.url}{bad.get_absolute_url()}")
    take_step(ent, bad, "file_objection", fill={"reason": "送检样品在运输中受潮，申请复检。"})
    assert bad.status == "objection"
    ent.screenshot(path=screenshot_dir / "5-objection.png")

    # ------------------------------------------------------------------ re-test, rectification, re-check
    lab_page.goto(f"{live_server.url}{bad.get_absolute_url()}")
    take_step(lab_page, bad, "record_retest", fill=items(fail_rows),
              select={"verdict": "unqualified", **item_verdicts(fail_rows)})
    assert bad.status == "retested" and bad.retest_verdict == "unqualified"
    officer.goto(f"{live_server.url}{bad.get_absolute_url()}")
    due = today + dt.timedelta(days=30)
    take_step(officer, bad, "order_rectification", fill={"rectification_due": due.isoformat()})
    assert bad.status == "rectifying" and bad.rectification_due == due
    take_step(officer, bad, "recheck", select={"verdict": "qualified"})
    take_step(officer, bad, "close")
    with officer.expect_navigation():
        officer.click("#publish-result")
    bad.refresh_from_db()
    assert bad.status == "closed" and bad.published_on == today
    expect(officer.locator("#history li")).to_have_count(11)
    officer.screenshot(path=screenshot_dir / "6-task-history.png")
    officer.goto(f"{live_server.url}/spotcheck/")
    officer.screenshot(path=screenshot_dir / "7-dashboard.png")

    # ------------------------------------------------------------------ the public page, verified
    public = open_as(chromium_browser, live_server, None, None)
    public.goto(f"{live_server.url}/portal/spotchecks/{plan.pk}/")
    drawn = public.locator("#drawn table tbody tr")
    expect(drawn).to_have_count(2)
    expect(public.locator("#drawn a.qualified")).to_have_count(1)
    expect(public.locator("#drawn a.unqualified")).to_have_count(1)
    expect(public.locator("#drawn")).to_contain_text(bad.enterprise.name)
    expect(public.locator("#drawn")).to_contain_text("发热")  # the unqualified item
    expect(public.locator("#draw")).to_contain_text(secret)
    public.screenshot(path=screenshot_dir / "8-public-plan.png")
    files = {}
    for kind in ("draw-record.json", "pool.csv"):
        with public.expect_download() as download:
            public.click(f"#draw a[href$='{kind}']")
        files[kind] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[kind])
    zhijian = Path(sys.executable).with_name("zhijian")  # the console script of the package
    command = ([str(zhijian), "verify-draw"] if zhijian.exists()
               else [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "verify_draw"])
    result = subprocess.run([*command, str(files["draw-record.json"]), str(files["pool.csv"])],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "MATCH"
    # and a tampered pool does not verify
    tampered = tmp_path / "tampered.csv"
    tampered.write_bytes(files["pool.csv"].read_bytes().replace(b",320505,", b",320506,", 1))
    result = subprocess.run([*command, str(files["draw-record.json"]), str(tampered)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout.startswith("MISMATCH")
    for page in (officer, lab_page, ent, public):
        page.context.close()
