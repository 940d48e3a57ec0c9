"""Public-opinion monitoring end to end, with RSS, Atom and JSON feeds served from loopback."""
import datetime as dt
import http.server
import json
import threading

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from zhijian.core import scope as S
from zhijian.registry.models import ProductCategory
from zhijian.risk import opinion
from zhijian.risk.models import OpinionItem, OpinionSource, OpinionStory, OpinionStoryEvent

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
STAMP = (NOW - dt.timedelta(hours=5)).strftime("%a, %d %b %Y %H:%M:%S +0000")
ISO = (NOW - dt.timedelta(hours=4)).isoformat()

EBIKE = "苏州市姑苏区一小区楼道内电动自行车充电时电池自燃起火，整个楼道都是黑烟，两名居民被烫伤送医，邻居称该品牌电瓶车多次出现过热问题。"
REPOST = "转发：" + EBIKE + "（来源：网友爆料）"
HEATER = "南京市玄武区消费者反映，新买的电热水器洗澡时漏电，手臂发麻，商家拒绝退货。"
TOY = "昆山一家商场销售的儿童玩具小零件容易脱落，家长担心孩子误吞窒息。"

RSS = f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>
<item><guid>rss-1</guid><title>电动自行车楼道充电起火</title><link>http://example.org/1</link>
<description>{EBIKE}</description><pubDate>{STAMP}</pubDate></item>
<item><guid>rss-2</guid><title>电热水器漏电</title><link>http://example.org/2</link>
<description>{HEATER}</description><pubDate>{STAMP}</pubDate></item>
</channel></rss>"""
ATOM = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>a</title>
<id>urn:a</id><updated>{ISO}</updated>
<entry><id>urn:atom-1</id><title>转发：电动自行车楼道充电起火</title><link href="http://example.org/a1"/>
<updated>{ISO}</updated><summary>{REPOST}</summary></entry></feed>"""
JSONFEED = json.dumps({"data": {"posts": [{"pid": "j1", "headline": "玩具小零件脱落", "body": {"text": TOY},
                                            "time": ISO}]}}, ensure_ascii=False)
ROUTES = {"/rss.xml": ("application/rss+xml", RSS), "/atom.xml": ("application/atom+xml", ATOM),
          "/feed.json": ("application/json", JSONFEED), "/broken.xml": ("text/plain", "this is not a feed")}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path not in ROUTES:
            self.send_error(500, "boom")
            return
        kind, body = ROUTES[self.path]
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def source(url, kind, **kw):
    return OpinionSource.objects.create(name=kw.pop("name", f"src {kind} {url[-12:]}"), kind=kind, location=url,
                                        division_id=kw.pop("division", "320000"), **kw)


def test_feeds_are_ingested_deduplicated_classified_and_clustered(server):
    rss = source(f"{server}/rss.xml", "rss")
    atom = source(f"{server}/atom.xml", "atom")
    js = source(f"{server}/feed.json", "json_feed", mapping={"items": "data.posts", "id": "pid", "title": "headline",
                                                        "text": "body.text", "published": "time"})
    assert opinion.fetch_source(rss, NOW) == 2
    assert opinion.fetch_source(atom, NOW) == 1
    assert opinion.fetch_source(js, NOW) == 1
    assert opinion.fetch_source(rss, NOW) == 0  # idempotent: nothing new
    rss.refresh_from_db()
    assert rss.last_status == "ok" and rss.last_error == "" and rss.last_fetched == NOW
    ebike = OpinionItem.objects.get(external_id="rss-1")
    repost = OpinionItem.objects.get(external_id="urn:atom-1")
    heater = OpinionItem.objects.get(external_id="rss-2")
    toy = OpinionItem.objects.get(external_id="j1")
    # the repost is caught, different stories are kept
    assert repost.duplicate_of == ebike and repost.distance <= opinion.DUPLICATE_BITS
    assert heater.duplicate_of is None and toy.duplicate_of is None
    assert opinion.hamming(ebike.simhash, heater.simhash) > opinion.DUPLICATE_BITS
    # classification: category and hazard from the complaints classifier, region, sentiment
    assert ebike.category.code == "KP134" and ebike.hazard in ("fire", "burn")
    assert ebike.division_id == "320508" and ebike.division_found  # 姑苏区 of 苏州市
    assert heater.division_id == "320102" and toy.division_id == "320583"  # 玄武区; 昆山 without 市
    assert ebike.sentiment == "negative" and ebike.sentiment_score < 0
    assert toy.published_on == timezone.localtime(toy.published).date()
    # stories: the repost joins the original's story; the others stand alone
    assert repost.story == ebike.story and ebike.story.item_count == 2
    assert heater.story != ebike.story and toy.story not in (ebike.story, heater.story)
    assert OpinionStory.objects.count() == 3
    assert ebike.story.events.filter(type="created").exists()


def test_sentiment_lexicon_and_region_names():
    assert opinion.sentiment("产品抽检不合格")[0] == "negative"
    assert opinion.sentiment("抽检全部合格，消费者很满意")[0] == "positive"
    assert opinion.sentiment("这款插座没有安全隐患")[0] == "positive"  # 安全隐患 negated
    assert opinion.sentiment("今天天气")[0] == "neutral"
    names = opinion.division_names()
    assert opinion.find_division("苏州某商场", names) == "320500"
    assert opinion.find_division("江苏省", names) is None


def test_similar_but_new_items_cluster_into_one_story(server):
    rss = source(f"{server}/rss.xml", "rss")
    opinion.fetch_source(rss, NOW)
    story = OpinionItem.objects.get(external_id="rss-1").story
    follow = opinion.Entry("f1", "电动自行车楼道充电起火后续", "姑苏区楼道电动自行车充电时电池自燃起火事件后续：两名居民烫伤，"
                                                     "物业称将禁止楼道充电，该品牌电瓶车过热问题引关注。",
                           "", NOW - dt.timedelta(hours=1))
    with transaction_atomic():
        item = opinion.ingest(OpinionSource.objects.get(pk=rss.pk), [follow], NOW)[0]
    assert item.duplicate_of is None and item.story == story
    story.refresh_from_db()
    assert story.item_count == 2


def transaction_atomic():
    from django.db import transaction

    return transaction.atomic()


def test_a_failing_feed_is_recorded_and_writes_nothing(server):
    for path in ("/missing.xml", "/broken.xml"):
        bad = source(f"{server}{path}", "rss")
        with pytest.raises(opinion.FetchError):
            opinion.fetch_source(bad, NOW)
        bad.refresh_from_db()
        assert bad.last_status == "failed" and bad.last_error and bad.last_fetched == NOW
    assert not OpinionItem.objects.exists()


def test_a_failure_inside_the_transaction_rolls_the_whole_fetch_back(server, monkeypatch):
    rss = source(f"{server}/rss.xml", "rss")
    real = opinion._add_to_story
    calls = []

    def explode(story, item):
        calls.append(item)
        raise RuntimeError("disk full")

    monkeypatch.setattr(opinion, "_story_for", lambda item, grams, cache: explode(None, item))
    with pytest.raises(opinion.FetchError):
        opinion.fetch_source(rss, NOW)
    assert calls and not OpinionItem.objects.exists() and not OpinionStory.objects.exists()
    rss.refresh_from_db()
    assert rss.last_status == "failed" and "disk full" in rss.last_error
    monkeypatch.setattr(opinion, "_add_to_story", real)


def test_file_drops_are_read_and_moved(tmp_path):
    (tmp_path / "a.txt").write_text("电热水器漏电\n" + HEATER, encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps([{"id": "d1", "title": "玩具", "content_text": TOY}],
                                                ensure_ascii=False), encoding="utf-8")
    (tmp_path / "c.xml").write_text(RSS, encoding="utf-8")
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    drop = source(str(tmp_path), "file_drop")
    assert opinion.fetch_source(drop, NOW) == 4
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == ["a.txt", "b.json", "c.xml"]
    assert (tmp_path / "ignored.pdf").exists()
    assert opinion.fetch_source(drop, NOW) == 0
    # a broken drop fails the fetch and stays in place
    (tmp_path / "d.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(opinion.FetchError):
        opinion.fetch_source(drop, NOW)
    assert (tmp_path / "d.json").exists()


def test_schedule_fetches_due_sources_only(server, monkeypatch):
    due = source(f"{server}/rss.xml", "rss", interval_minutes=60)
    recent = source(f"{server}/feed.json", "json_feed", interval_minutes=60, mapping={"items": "data.posts", "id": "pid"})
    recent.last_fetched = NOW - dt.timedelta(minutes=10)
    recent.save()
    source(f"{server}/atom.xml", "atom", active=False)
    assert opinion.fetch_due(NOW) == {due.name: 2}
    assert opinion.fetch_due(NOW + dt.timedelta(minutes=30)) == {}
    later = opinion.fetch_due(NOW + dt.timedelta(minutes=61))
    assert later == {due.name: 0, recent.name: 0}
    from django.core.management import call_command

    call_command("risk_opinion_fetch")


def test_triage_is_audited_and_retrains_the_relevance_classifier(server, make_user, enterprise_factory):
    from zhijian.accounts.models import AuditEntry

    opinion.fetch_source(source(f"{server}/rss.xml", "rss"), NOW)
    opinion.fetch_source(source(f"{server}/feed.json", "json_feed", mapping={
        "items": "data.posts", "id": "pid", "title": "headline", "text": "body.text", "published": "time"}), NOW)
    ebike = OpinionItem.objects.get(external_id="rss-1").story
    heater = OpinionItem.objects.get(external_id="rss-2").story
    toy = OpinionItem.objects.get(external_id="j1").story
    assert toy.relevance is None  # nothing triaged yet
    officer = make_user(S.ROLE_OFFICER, "320500")
    ent = enterprise_factory("320508", name="苏州某电动车有限公司")
    opinion.triage_story(ebike, officer, triage="relevant", enterprise=ent, product="某牌电动自行车")
    nanjing = make_user(S.ROLE_OFFICER, "320100")
    opinion.triage_story(heater, nanjing, triage="not_relevant", note="广告")
    toy.refresh_from_db()
    first = toy.relevance
    assert first is not None
    ebike.refresh_from_db()
    assert ebike.triage == "relevant" and ebike.enterprise == ent and ebike.triaged_by == officer
    assert list(ebike.events.values_list("type", flat=True)) == ["created", "triaged", "linked"]
    assert AuditEntry.objects.filter(object_type="risk.opinionstory", object_id=str(ebike.pk)).exists()
    # the toy story is triaged relevant elsewhere: a similar new story now scores higher
    kunshan = make_user(S.ROLE_OFFICER, "320583")
    other = OpinionStory.objects.create(title="x", first_seen=NOW, last_seen=NOW, division_id="320583")
    OpinionItem.objects.create(source=toy.items.first().source, external_id="t2", title="玩具零件脱落",
                               text="昆山商场儿童玩具小零件脱落，孩子误吞窒息风险", published=NOW, published_on=NOW.date(),
                               fetched=NOW, simhash=1, division_id="320583", story=other)
    opinion.refresh_relevance()
    other.refresh_from_db()
    before = other.relevance
    toy_cat = ProductCategory.objects.exclude(pk=toy.category_id).first()
    opinion.triage_story(toy, kunshan, triage="relevant", category=toy_cat)
    other.refresh_from_db()
    assert other.relevance > before
    assert toy.items.first().__class__.objects.filter(story=toy, category=toy_cat).exists()
    assert list(opinion.confirmed_rows())[0][1] == toy_cat.code
    # scope and role are refused with nothing written
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        opinion.triage_story(ebike, nanjing, triage="not_relevant")
    with pytest.raises(PermissionDenied):
        opinion.triage_story(ebike, make_user(S.ROLE_INSPECTOR, "320500"), triage="not_relevant")
    ebike.refresh_from_db()
    assert ebike.triage == "relevant"
    assert OpinionStoryEvent.objects.filter(story=ebike).count() == 3


def test_pages_api_and_scope(server, make_user):
    opinion.fetch_source(source(f"{server}/rss.xml", "rss"), NOW)
    ebike = OpinionItem.objects.get(external_id="rss-1")
    heater = OpinionItem.objects.get(external_id="rss-2")
    suzhou = make_user(S.ROLE_OFFICER, "320500")
    from django.test import Client

    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(suzhou)
    listing = c.get(reverse("risk:opinionstory_list"))
    assert listing.status_code == 200 and ebike.story.title.encode() in listing.content
    assert heater.story.title.encode() not in listing.content  # 南京: outside the scope
    assert c.get(heater.story.get_absolute_url()).status_code == 404
    assert c.get(ebike.get_absolute_url()).status_code == 200
    assert c.get(reverse("risk:opinionitem_list")).status_code == 200
    detail = c.get(ebike.story.get_absolute_url())
    assert detail.status_code == 200 and b'id="triage-form"' in detail.content
    response = c.post(reverse("risk:opinionstory_triage", args=[ebike.story.pk]),
                      {"triage": "relevant", "product": "电动自行车", "note": ""})
    assert response.status_code == 302
    ebike.story.refresh_from_db()
    assert ebike.story.triage == "relevant"
    assert c.post(reverse("risk:opinionstory_triage", args=[heater.story.pk]), {"triage": "relevant"}).status_code == 404
    api = APIClient()
    api.force_login(suzhou)
    rows = api.get("/api/risk/opinion-stories/").json()
    assert [r["id"] for r in rows["results"]] == [ebike.story.pk]
    r = api.post(f"/api/risk/opinion-stories/{ebike.story.pk}/triage/", {"triage": "not_relevant"}, format="json")
    assert r.status_code == 200 and r.json()["triage"] == "not_relevant"
    assert api.post(f"/api/risk/opinion-stories/{heater.story.pk}/triage/", {"triage": "relevant"},
                    format="json").status_code == 404
    assert api.post("/api/risk/opinion-sources/", {"name": "x", "kind": "rss", "location": "http://x",
                                                   "division": "320500"}, format="json").status_code == 403
    admin = make_user(S.ROLE_PROVINCE_ADMIN, "320000")
    api.force_login(admin)
    assert api.post("/api/risk/opinion-sources/", {"name": "x", "kind": "rss", "location": "http://127.0.0.1:9/x",
                                                   "division": "320500"}, format="json").status_code == 201
    anon = APIClient()
    assert anon.get("/api/risk/opinion-items/").status_code in (401, 403)


def test_opinion_items_are_a_signal_source(server, tmp_path):
    import pyarrow.parquet as pq

    from zhijian.analytics import signal_counts

    opinion.fetch_source(source(f"{server}/rss.xml", "rss"), NOW)
    opinion.fetch_source(source(f"{server}/atom.xml", "atom"), NOW)
    signal_counts.export(tmp_path)
    rows = [r for r in pq.read_table(tmp_path / "signal_events.parquet").to_pylist() if r["source"] == "opinion"]
    assert len(rows) == 2  # the repost is not counted twice
    assert {r["division"] for r in rows} == {"320508", "320102"}
    from zhijian.risk.models import SignalDefinition

    assert SignalDefinition.objects.filter(source="opinion", active=True).exists()
