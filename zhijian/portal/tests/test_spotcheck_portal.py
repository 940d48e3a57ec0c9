"""Spot-check publication on the public portal: plans, draws, results, pass rates, open data."""
import csv
import io
import json
import datetime as dt
import math

import pytest
from django.core.cache import cache
from django.urls import reverse

from zhijian.core import scope as S
from zhijian.portal.spotcheck_views import OPEN_DATA_FIELDS
from zhijian.spotcheck import draw as engine
from zhijian.spotcheck.models import Draw, Task

from .spotcheck_world import FAIL, INSPECTOR_NAME, LEGAL_REP, PHONE, SECRETS_NEVER_PUBLIC, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(make_user, enterprise_factory):
    cache.clear()
    return build(make_user, enterprise_factory)


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def assert_no_personal_data(text):
    for secret in SECRETS_NEVER_PUBLIC:
        assert secret not in text, secret


# ----------------------------------------------------------------- plans and draws


def test_plan_list_shows_published_plans_only(client, w):
    response = client.get(reverse("portal:spotcheck_plan_list"))
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"]] == [w.plan.pk]
    html = body(response)
    assert w.plan.title in html and w.hidden_plan.title not in html and w.draft_plan.title not in html


def test_plan_list_is_public_even_for_signed_in_staff(client, w, make_user):
    client.force_login(make_user(S.ROLE_PROVINCE_ADMIN, "320000"))
    response = client.get(reverse("portal:spotcheck_plan_list"))
    assert [p.pk for p in response.context["page"]] == [w.plan.pk]


def test_commitments_are_public_from_the_moment_they_are_made(client, w):
    """The commitment, the frozen pool's SHA-256 and the named public value are published at the
    commitment — before the public value exists; secrets, values and results only with the draw."""
    from django.utils import timezone

    from zhijian.spotcheck import drawing

    announced = timezone.now() + dt.timedelta(days=2)
    secret = engine.make_secret()
    pending = drawing.commit(w.draft_plan, w.officer, engine.commitment_of(secret),
                             public_value_source="中国福利彩票3D 第2026331期", public_value_at=announced)
    response = client.get(reverse("portal:spotcheck_commitments"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = body(response)
    rows = {d.plan_id: d for d in response.context["page"]}
    assert set(rows) == {w.plan.pk, w.hidden_plan.pk, w.draft_plan.pk}
    assert pending.commitment in html and pending.pool_hash in html
    assert "中国福利彩票3D 第2026331期" in html and "awaiting the public value" in html
    assert timezone.localtime(announced).strftime("%Y-%m-%d %H:%M") in html
    hidden = Draw.objects.get(plan=w.hidden_plan)
    assert hidden.commitment in html and "drawn, not yet published" in html
    for never in (secret, hidden.secret, hidden.public_value, hidden.seed):
        assert never not in html
    # only the published plan links to its draw
    assert reverse("portal:spotcheck_plan_detail", args=[w.plan.pk]) in html
    assert reverse("portal:spotcheck_plan_detail", args=[w.hidden_plan.pk]) not in html
    assert_no_personal_data(html)


def test_plan_detail_shows_the_draw_and_how_to_verify(client, w):
    draw = Draw.objects.get(plan=w.plan)
    response = client.get(reverse("portal:spotcheck_plan_detail", args=[w.plan.pk]),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = body(response)
    for value in (draw.commitment, draw.public_value, draw.public_value_source, draw.seed,
                  draw.pool_hash, draw.record_hash, draw.algorithm, draw.secret):
        assert value in html
    assert f"zhijian verify-draw plan-{w.plan.pk}-draw-record.json plan-{w.plan.pk}-pool.csv" in html
    assert reverse("portal:spotcheck_draw_record", args=[w.plan.pk]) in html
    assert reverse("portal:spotcheck_draw_pool", args=[w.plan.pk]) in html
    assert reverse("portal:spotcheck_draw_spec") in html and "docs/draw.md" in html
    # the eight drawn tasks, with the published results linked and the pending one not
    drawn = list(response.context["drawn_page"])
    assert len(drawn) == 8
    linked = {row["task"].pk for row in drawn if row["task"]}
    published = set(Task.objects.filter(plan=w.plan, published_on__isnull=False).values_list("pk", flat=True))
    assert linked == published and w.tasks["agr_pending"].pk not in linked
    assert reverse("portal:spotcheck_result_detail", args=[w.tasks["agr_pending"].pk]) not in html
    bad = next(row for row in drawn if row["task"] and row["task"].pk == w.tasks["ind_bad"].pk)
    assert bad["unqualified"] == ["输入功率和电流"]
    assert_no_personal_data(html)


@pytest.mark.parametrize("which", ["hidden_plan", "draft_plan"])
def test_unpublished_plan_and_its_files_are_404(client, w, which):
    plan = getattr(w, which)
    for name in ("portal:spotcheck_plan_detail", "portal:spotcheck_draw_record", "portal:spotcheck_draw_pool"):
        assert client.get(reverse(name, args=[plan.pk])).status_code == 404, name


def test_unpublished_plan_is_404_for_signed_in_staff_too(client, w):
    client.force_login(w.officer)
    assert client.get(reverse("portal:spotcheck_plan_detail", args=[w.draft_plan.pk])).status_code == 404


def test_downloads_are_the_stored_bytes_and_verify(client, w):
    draw = Draw.objects.get(plan=w.plan)
    record = client.get(reverse("portal:spotcheck_draw_record", args=[w.plan.pk]))
    pool = client.get(reverse("portal:spotcheck_draw_pool", args=[w.plan.pk]))
    assert record.status_code == pool.status_code == 200
    record_bytes, pool_bytes = b"".join(record.streaming_content), b"".join(pool.streaming_content)
    with draw.record_file.open("rb") as f:
        assert record_bytes == f.read()
    with draw.pool_file.open("rb") as f:
        assert pool_bytes == f.read()
    assert record["Content-Type"] == "application/json"
    assert pool["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="plan-{w.plan.pk}-draw-record.json"' in record["Content-Disposition"]
    assert f'filename="plan-{w.plan.pk}-pool.csv"' in pool["Content-Disposition"]
    result = engine.verify(record_bytes, pool_bytes)
    assert result.match, result.first_difference
    # and a single changed byte does not verify
    assert not engine.verify(record_bytes, pool_bytes.replace(b"\n", b"\r\n", 1)).match
    assert_no_personal_data(record_bytes.decode() + pool_bytes.decode())


def test_the_verify_command_accepts_the_downloads(client, w, tmp_path):
    from django.core.management import call_command

    rec = tmp_path / "record.json"
    pool = tmp_path / "pool.csv"
    rec.write_bytes(b"".join(client.get(reverse("portal:spotcheck_draw_record", args=[w.plan.pk]))
                             .streaming_content))
    pool.write_bytes(b"".join(client.get(reverse("portal:spotcheck_draw_pool", args=[w.plan.pk]))
                              .streaming_content))
    out = io.StringIO()
    call_command("verify_draw", str(rec), str(pool), stdout=out)
    assert "match" in out.getvalue().lower() and "mismatch" not in out.getvalue().lower()


def test_draw_spec_is_served(client, w):
    response = client.get(reverse("portal:spotcheck_draw_spec"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert "zhijian-draw/2" in body(response)


# ----------------------------------------------------------------- results


def test_results_show_published_results_only(client, w):
    response = client.get(reverse("portal:spotcheck_results"), {"per_page": 100})
    assert response.status_code == 200
    shown = {t.pk for t in response.context["page"]}
    published = {t.pk for name, t in w.tasks.items() if name != "agr_pending"}
    assert shown == published
    html = body(response)
    assert "输入功率和电流" in html
    assert_no_personal_data(html)


def test_results_search(client, w):
    url = reverse("portal:spotcheck_results")
    bad = w.tasks["ind_bad"]
    by_uscc = client.get(url, {"q": bad.enterprise.uscc})
    assert bad.pk in {t.pk for t in by_uscc.context["page"]}
    assert all(t.enterprise_id == bad.enterprise_id for t in by_uscc.context["page"])
    unq = client.get(url, {"verdict": "unqualified"})
    assert {t.pk for t in unq.context["page"]} == {w.tasks["ind_bad"].pk, w.tasks["agr_bad"].pk}
    by_cat = client.get(url, {"category": w.agr.pk})
    assert {t.pk for t in by_cat.context["page"]} == {w.tasks[n].pk for n in ("agr_ok1", "agr_ok2", "agr_bad")}
    assert client.get(url, {"city": "320100"}).context["page"].paginator.count == 0
    assert client.get(url, {"city": "320500"}).context["page"].paginator.count == 7
    assert client.get(url, {"period": "2025"}).context["page"].paginator.count == 0
    # bad input is ignored, never an error
    assert client.get(url, {"category": "x" * 40, "city": "abc", "page": "-1"}).status_code == 200


def test_results_are_paginated(client, w):
    response = client.get(reverse("portal:spotcheck_results"), {"per_page": 3, "page": 3})
    assert response.context["page"].paginator.num_pages == 3 and len(response.context["page"]) == 1


def test_result_detail(client, w):
    bad = w.tasks["ind_bad"]
    response = client.get(reverse("portal:spotcheck_result_detail", args=[bad.pk]))
    assert response.status_code == 200
    html = body(response)
    assert bad.enterprise.uscc in html and FAIL[0]["measured"] in html
    assert_no_personal_data(html)
    pending = w.tasks["agr_pending"]
    assert client.get(reverse("portal:spotcheck_result_detail", args=[pending.pk])).status_code == 404


# ----------------------------------------------------------------- pass rates


def test_pass_rates_by_category_with_wilson_intervals_by_hand(client, w):
    response = client.get(reverse("portal:spotcheck_passrates"), {"period": "2026"})
    assert response.status_code == 200
    rows = {r["key"]: r for r in response.context["rows"]}
    # industrial: 3 of 4 qualified; agricultural: 2 of 3 (the unpublished result is not counted)
    ind, agr = rows["PUB-IND"], rows["PUB-AGR"]
    assert (ind["tested"], ind["qualified"], agr["tested"], agr["qualified"]) == (4, 3, 3, 2)
    # Wilson 95 % (z = 1.96): 3/4 -> [0.3006, 0.9544]; 2/3 -> [0.2077, 0.9385]
    assert ind["low"] == pytest.approx(0.3006, abs=1e-4) and ind["high"] == pytest.approx(0.9544, abs=1e-4)
    assert agr["low"] == pytest.approx(0.2077, abs=1e-4) and agr["high"] == pytest.approx(0.9385, abs=1e-4)
    # targets of the seed (一(三)2): agricultural >= 98 %, industrial >= 90 %
    assert ind["target"] == pytest.approx(0.90) and agr["target"] == pytest.approx(0.98)
    assert ind["meets"] is False and agr["meets"] is False
    # the chart's data is embedded as JSON for ECharts, with the targets as mark lines
    html = body(response)
    assert "vendor/echarts.min.js" in html and "markLine" in html
    start = html.index('id="passrate-data"')
    data = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])
    assert data["rates"] == [66.7, 75.0] or data["rates"] == [75.0, 66.7]
    i = data["labels"].index("电热毯")
    assert data["rates"][i] == 75.0 and data["intervals"][i] == [30.1, 95.4]
    # the table as the chart: percentages with one decimal, the interval the same way
    row = html[html.index('data-key="PUB-IND"'):]
    row = row[:row.index("</tr>")]
    assert "<td class=\"below\">75.0 %</td>" in row and "<td>30.1 % – 95.4 %</td>" in row
    assert "≥ 90.0 %" in row and "0.75" not in row
    assert sorted(t["value"] for t in data["targets"]) == [90.0, 98.0]


def test_pass_rates_by_city(client, w):
    response = client.get(reverse("portal:spotcheck_passrates"), {"by": "city"})
    rows = response.context["rows"]
    assert [(r["key"], r["tested"], r["qualified"]) for r in rows] == [("320500", 7, 5)]
    # Wilson 95 %: 5/7 -> [0.3589, 0.9178]
    assert rows[0]["low"] == pytest.approx(0.3589, abs=1e-4)
    assert rows[0]["high"] == pytest.approx(0.9178, abs=1e-4)
    lines = {ln["kind"]: ln["target"] for ln in response.context["lines"]}
    assert lines == {"agricultural": pytest.approx(0.98), "industrial": pytest.approx(0.90)}
    only_ind = client.get(reverse("portal:spotcheck_passrates"), {"by": "city", "kind": "industrial"})
    assert [(r["tested"], r["qualified"]) for r in only_ind.context["rows"]] == [(4, 3)]
    assert [ln["kind"] for ln in only_ind.context["lines"]] == ["industrial"]


def test_wilson_hand_values_are_what_the_formula_gives():
    """The literals above, recomputed from the textbook formula (not from stats.wilson)."""
    def wilson(k, n, z=1.96):
        p = k / n
        c = (p + z * z / (2 * n)) / (1 + z * z / n)
        h = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return round(c - h, 4), round(c + h, 4)

    assert wilson(3, 4) == (0.3006, 0.9544)
    assert wilson(2, 3) == (0.2077, 0.9385)
    assert wilson(5, 7) == (0.3589, 0.9178)


# ----------------------------------------------------------------- open data


def test_open_data_page_documents_the_columns(client, w):
    response = client.get(reverse("portal:spotcheck_opendata"))
    assert response.status_code == 200
    html = body(response)
    for name in OPEN_DATA_FIELDS:
        assert f"<code>{name}</code>" in html


def test_open_data_csv(client, w):
    response = client.get(reverse("portal:spotcheck_opendata"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = body(response)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0].keys()) == OPEN_DATA_FIELDS
    assert len(rows) == 7
    bad = next(r for r in rows if r["result_id"] == str(w.tasks["ind_bad"].pk))
    assert bad["verdict"] == "unqualified" and bad["unqualified_items"] == "输入功率和电流"
    assert bad["enterprise_uscc"] == w.tasks["ind_bad"].enterprise.uscc and bad["city"] == "320500"
    assert bad["published_on"] == "2026-03-27" and bad["category_kind"] == "industrial"
    assert_no_personal_data(text)
    only_bad = body(client.get(reverse("portal:spotcheck_opendata"), {"format": "csv", "verdict": "unqualified"}))
    assert len(list(csv.DictReader(io.StringIO(only_bad.lstrip("\ufeff"))))) == 2


def test_open_data_json(client, w):
    response = client.get(reverse("portal:spotcheck_opendata"), {"format": "json"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(body(response))
    assert data["columns"] == OPEN_DATA_FIELDS
    assert len(data["results"]) == 7 and all(list(r) == OPEN_DATA_FIELDS for r in data["results"])
    assert str(w.tasks["agr_pending"].pk) not in {str(r["result_id"]) for r in data["results"]}
    text = body(response)
    assert_no_personal_data(text)
    assert PHONE not in text and LEGAL_REP not in text and INSPECTOR_NAME not in text


def test_open_data_unknown_format_is_400(client, w):
    assert client.get(reverse("portal:spotcheck_opendata"), {"format": "xml"}).status_code == 400


def test_csv_cells_cannot_be_formulas(client, w):
    task = w.tasks["ind_ok1"]
    Task.objects.filter(pk=task.pk).update(sample_name="=HYPERLINK(\"http://x\")")
    text = body(client.get(reverse("portal:spotcheck_opendata"), {"format": "csv"}))
    assert "'=HYPERLINK" in text


# ----------------------------------------------------------------- rate limit and query counts


def test_public_pages_are_rate_limited(client, w, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "portal": "3/minute"}}
    cache.clear()
    url = reverse("portal:spotcheck_opendata")
    statuses = [client.get(url, {"format": "json"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(reverse("portal:spotcheck_plan_list"))
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    # another client address has its own budget
    assert client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200


def test_every_public_page_answers_without_personal_data(client, w):
    urls = [reverse("portal:spotcheck_plan_list"), reverse("portal:spotcheck_plan_detail", args=[w.plan.pk]),
            reverse("portal:spotcheck_results"), reverse("portal:spotcheck_passrates"),
            reverse("portal:spotcheck_passrates") + "?by=city", reverse("portal:spotcheck_opendata")]
    urls += [reverse("portal:spotcheck_result_detail", args=[t.pk]) for n, t in w.tasks.items()
             if n != "agr_pending"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_personal_data(body(response))


def test_result_list_query_count_does_not_grow(client, w, django_assert_max_num_queries):
    url = reverse("portal:spotcheck_results")
    client.get(url)
    with django_assert_max_num_queries(14):
        client.get(url, {"per_page": 100})


def test_a_damaged_record_file_does_not_break_the_plan_page(client, w):
    from django.core.files.base import ContentFile

    draw = Draw.objects.get(plan=w.plan)
    draw.record_file.save("damaged.json", ContentFile(b"{}\n"), save=True)
    response = client.get(reverse("portal:spotcheck_plan_detail", args=[w.plan.pk]))
    assert response.status_code == 200 and response.context["drawn_page"] is None


def test_pages_render_in_chinese(client, w):
    response = client.get(reverse("portal:spotcheck_plan_detail", args=[w.plan.pk]),
                          HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "如何验证本次抽取" in body(response)
    assert "合格率" in body(client.get(reverse("portal:spotcheck_passrates"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
