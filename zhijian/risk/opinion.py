"""Public-opinion monitoring (舆情监控): fetch, normalise, de-duplicate, classify, cluster, triage.

Pure domain logic over the models (no HTTP views); see docs/risk.md, "Public-opinion monitoring".

* **Fetch** (``fetch_source``): RSS / Atom with feedparser, JSON feeds with the source's field
  mapping (stdlib ``json``), a file-drop directory of ``.json`` / ``.xml`` (a feed) / ``.txt``
  files (first line the title). Reading happens first; then one transaction writes the new
  items, their stories and the source's status. A failure rolls the whole fetch back and is
  recorded on the source (``last_status`` failed, ``last_error``); dropped files are moved to
  ``processed/`` only after the transaction committed, so a failed fetch leaves them in place.
  Items already stored (same source and external id) are skipped, so fetches are idempotent.
* **Near duplicates**: a 64-bit SimHash over character 3-shingles of the normalised text
  (title + text, punctuation and spaces removed); an item within ``DUPLICATE_BITS`` Hamming
  distance of an earlier item of the last ``WINDOW_DAYS`` days is a repost: stored with
  ``duplicate_of`` (it joins the original's story and is not counted twice in the signals).
* **Classification**: product category and hazard from the complaints classifier
  (``zhijian.complaints.classifier``, the same model and confidences); region by the names of
  the province's divisions in the text (with and without 市/区/县; an ambiguous county name is
  only used when its city is named too; otherwise the source's division); sentiment by a small
  lexicon with negation (``sentiment``), a documented heuristic, not a trained model.
* **Stories**: a new item joins the most similar open story of the same category whose last
  item is at most ``STORY_HOURS`` old (Jaccard similarity of character bigrams ≥
  ``STORY_JACCARD`` with one of its first items); otherwise it starts a story.
* **Triage** (``triage_story``): relevant / not relevant, linked enterprise and product, a
  corrected category; audited (model saves through the change log) and recorded as typed
  events. Each triage retrains the relevance classifier (``refresh_relevance``): TF-IDF of
  character 1–3-grams and a logistic regression over the items of triaged stories; every
  untriaged story gets the mean predicted relevance of its items. Corrected categories are
  labelled data for the complaints classifier (``confirmed_rows``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import logging
import re
import shutil
import unicodedata
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhijian.core import scope as S

from .models import OpinionItem, OpinionSource, OpinionStory, OpinionStoryEvent, Sentiment

log = logging.getLogger(__name__)

DUPLICATE_BITS = 10  # Hamming distance (of 64) at or below which an item is a near duplicate (see docs)
WINDOW_DAYS = 30  # how far back duplicates are looked for
STORY_HOURS = 72  # a story takes new items for this long after its last one
STORY_JACCARD = 0.25  # character-bigram Jaccard similarity to join a story
MAX_BYTES = 5 * 1024 * 1024  # largest feed body read
TIMEOUT = 20  # seconds per HTTP fetch
MAX_TRAINING_ITEMS = 5000  # most recent triaged items the relevance classifier learns from
OFFICERS = (S.ROLE_PROVINCE_ADMIN, S.ROLE_OFFICER)


class FetchError(Exception):
    """A source could not be read or parsed; the message is stored on the source."""


@dataclass
class Entry:
    external_id: str
    title: str
    text: str
    url: str
    published: dt.datetime


# --------------------------------------------------------------------------- normalising

_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")


def clean(text) -> str:
    """Plain text: HTML tags removed, entities decoded, NFKC, whitespace collapsed."""
    text = html.unescape(_TAGS.sub(" ", str(text or "")))
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _compact(text: str) -> str:
    return _NOT_WORD.sub("", text.lower())


def _parse_date(value, default: dt.datetime) -> dt.datetime:
    if value in (None, ""):
        return default
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
    if isinstance(value, tuple):  # feedparser's struct_time (UTC)
        return dt.datetime(*value[:6], tzinfo=dt.timezone.utc)
    value = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return default
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _entry(external_id, title, text, url, published, now) -> Entry | None:
    title, text = clean(title)[:300], clean(text)
    if not title and not text:
        return None
    url = str(url or "").strip()[:500]
    external_id = str(external_id or url or hashlib.sha256(f"{title}\n{text}".encode()).hexdigest())[:300]
    published = min(_parse_date(published, now), now)  # a date in the future is taken as now
    return Entry(external_id, title or text[:60], text, url if url.startswith(("http://", "https://")) else "",
                 published)


# --------------------------------------------------------------------------- reading sources


def _http_get(url: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise FetchError(_("Only http and https URLs are fetched."))
    request = urllib.request.Request(url, headers={"User-Agent": "zhijian-opinion/1"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) only
            body = response.read(MAX_BYTES + 1)
    except Exception as exc:  # noqa: BLE001 - every transport error is a fetch error
        raise FetchError(f"{type(exc).__name__}: {exc}") from exc
    if len(body) > MAX_BYTES:
        raise FetchError(_("The feed is larger than %(n)d bytes.") % {"n": MAX_BYTES})
    return body


def parse_feed(body: bytes, now: dt.datetime) -> list[Entry]:
    """Entries of an RSS or Atom document (feedparser)."""
    import feedparser

    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FetchError(_("Not a feed: %(error)s") % {"error": parsed.get("bozo_exception", "")})
    out = []
    for e in parsed.entries:
        text = e.get("summary", "")
        if e.get("content"):
            text = " ".join(c.get("value", "") for c in e.content) or text
        published = e.get("published_parsed") or e.get("updated_parsed")
        entry = _entry(e.get("id") or e.get("link"), e.get("title", ""), text, e.get("link", ""), published, now)
        if entry:
            out.append(entry)
    return out


def _path(obj, path: str):
    for part in (path or "").split("."):
        if not part:
            continue
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


DEFAULT_MAPPING = {"items": "items", "id": "id", "title": "title", "text": "content_text", "url": "url",
                   "published": "date_published"}  # JSON Feed 1.1 names


def parse_json(body: bytes | str, mapping: dict, now: dt.datetime) -> list[Entry]:
    """Entries of a JSON document: ``mapping`` names the list and each field (dotted paths)."""
    m = {**DEFAULT_MAPPING, **(mapping or {})}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(_("Not JSON: %(error)s") % {"error": exc}) from exc
    rows = data if isinstance(data, list) else _path(data, m["items"])
    if not isinstance(rows, list):
        raise FetchError(_("No list of items at %(path)s.") % {"path": m["items"]})
    out = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        entry = _entry(_path(row, m["id"]), _path(row, m["title"]), _path(row, m["text"]) or "",
                       _path(row, m["url"]), _path(row, m["published"]), now)
        if entry:
            out.append(entry)
    return out


def read_drops(directory: Path, mapping: dict, now: dt.datetime) -> tuple[list[Entry], list[Path]]:
    """Entries of the files dropped in ``directory`` (not in ``processed/``) and the files read."""
    if not directory.is_dir():
        raise FetchError(_("No such directory: %(path)s") % {"path": directory})
    entries, files = [], []
    for path in sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")):
        suffix = path.suffix.lower()
        if suffix not in (".json", ".xml", ".txt"):
            continue
        body = path.read_bytes()
        if suffix == ".json":
            found = parse_json(body, mapping, now)
        elif suffix == ".xml":
            found = parse_feed(body, now)
        else:
            text = body.decode("utf-8-sig", errors="replace")
            title, _sep, rest = text.partition("\n")
            stat = path.stat()
            found = [e for e in [_entry(f"file:{path.name}:{hashlib.sha256(body).hexdigest()[:16]}", title, rest,
                                        "", dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.timezone.utc), now)] if e]
        entries += found
        files.append(path)
    return entries, files


def read_source(source: OpinionSource, now: dt.datetime) -> tuple[list[Entry], list[Path]]:
    if source.kind == OpinionSource.Kind.FILE_DROP:
        return read_drops(Path(source.location), source.mapping, now)
    body = _http_get(source.location)
    if source.kind == OpinionSource.Kind.JSON:
        return parse_json(body, source.mapping, now), []
    return parse_feed(body, now), []


# --------------------------------------------------------------------------- SimHash

MASK = (1 << 64) - 1


def shingles(text: str, n: int = 3) -> list[str]:
    t = _compact(text)
    if len(t) <= n:
        return [t] if t else []
    return [t[i:i + n] for i in range(len(t) - n + 1)]


def simhash(text: str) -> int:
    """64-bit SimHash (Charikar) of the character 3-shingles, each weighted by its count."""
    weights = [0] * 64
    for s in shingles(text):
        h = int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


def to_signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value & MASK


def hamming(a: int, b: int) -> int:
    return bin(to_unsigned(a) ^ to_unsigned(b)).count("1")


def bigrams(text: str) -> set[str]:
    t = _compact(text)
    return {t[i:i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# --------------------------------------------------------------------------- classification

NEGATIVE = ("不合格", "爆炸", "起火", "着火", "自燃", "燃烧", "冒烟", "漏电", "触电", "中毒", "致癌", "超标", "烫伤",
            "烧伤", "割伤", "受伤", "死亡", "身亡", "伤亡", "窒息", "召回", "假冒", "伪劣", "以次充好", "投诉", "维权",
            "曝光", "安全隐患", "隐患", "危险", "质量问题", "故障", "失灵", "断裂", "异味", "变质", "欺骗", "虚假", "坑", "差评",
            "退货", "索赔", "担忧", "恐慌", "事故")
POSITIVE = ("合格", "满意", "好评", "放心", "点赞", "安全", "优质", "表扬", "感谢", "推荐", "可靠", "达标", "改进",
            "整改到位", "好用", "称赞", "信赖")
NEGATORS = ("不", "没有", "没", "无", "未", "非")


def sentiment(text: str) -> tuple[str, float, float]:
    """(label, score in [-1, 1], confidence in [0, 1]) by lexicon matching with negation.

    Longer words are matched first and their characters are not matched again (so 不合格 is
    negative and does not also count as 合格); a negator in the two characters before a word
    flips it. score = (positive − negative) / (positive + negative + 1); the label is negative
    below −0.2, positive above 0.2, else neutral; confidence grows with the number of hits
    (hits / 4, at most 1). A heuristic: irony, reported speech and long articles mixing several
    views are not understood.
    """
    text = clean(text)
    used = [False] * len(text)
    pos = neg = 0
    for word, sign in sorted([(w, -1) for w in NEGATIVE] + [(w, 1) for w in POSITIVE], key=lambda x: -len(x[0])):
        start = 0
        while (i := text.find(word, start)) >= 0:
            start = i + 1
            if any(used[i:i + len(word)]):
                continue
            for j in range(i, i + len(word)):
                used[j] = True
            before = text[max(0, i - 2):i]
            s = -sign if any(before.endswith(n) for n in NEGATORS) else sign
            if s > 0:
                pos += 1
            else:
                neg += 1
    score = (pos - neg) / (pos + neg + 1)
    label = Sentiment.NEGATIVE if score < -0.2 else Sentiment.POSITIVE if score > 0.2 else Sentiment.NEUTRAL
    return label, round(score, 4), round(min(1.0, (pos + neg) / 4), 4)


_SUFFIXES = ("市", "区", "县")


def division_names(province: str = "32") -> list[tuple[str, str, str]]:
    """(name, code, level) for every division of the province: the full name and the name
    without 市/区/县 (when at least two characters remain); longest names first."""
    from zhijian.registry.models import Division

    out = []
    for code, name, level in Division.objects.filter(code__startswith=province, active=True) \
            .values_list("code", "name", "level"):
        names = {name}
        if name.endswith(_SUFFIXES) and len(name) >= 3:
            names.add(name[:-1])
        out += [(n, code, level) for n in names]
    return sorted(out, key=lambda r: (-len(r[0]), r[1]))


def find_division(text: str, names: list[tuple[str, str, str]]) -> str | None:
    """The most specific division named in ``text``: a county when its name is unique (or its
    city is named too), else a city, else None (the province alone is not a finding)."""
    used = [False] * len(text)
    found: dict[str, set[str]] = {}
    levels = {}
    for name, code, level in names:
        start = 0
        while (i := text.find(name, start)) >= 0:
            start = i + 1
            span = used[i:i + len(name)]
            if any(span) and not all(span):
                continue
            if not any(span):
                for j in range(i, i + len(name)):
                    used[j] = True
            found.setdefault(name, set()).add(code)
            levels[code] = level
    codes = set().union(*found.values()) if found else set()
    cities = {c for c in codes if levels[c] == "prefecture"}
    counties: list[str] = []
    for name, cs in found.items():
        county = [c for c in cs if levels[c] == "county"]
        if len(county) == 1:
            counties.append(county[0])
        elif county:
            counties += [c for c in county if c[:4] + "00" in cities]
    if counties:
        in_named_city = [c for c in counties if c[:4] + "00" in cities]
        return sorted(in_named_city or counties)[0]
    return sorted(cities)[0] if cities else None


def classify_entries(entries: list[Entry]) -> list[dict]:
    """Category / hazard (complaints classifier), region and sentiment of each entry."""
    from zhijian.complaints.classifier.model import UNCLASSIFIED, classify
    from zhijian.registry.models import ProductCategory

    texts = [f"{e.title} {e.text}" for e in entries]
    try:
        preds = classify(texts) if texts else []
    except Exception:  # advisory: items are kept unlabelled when the model cannot run
        log.exception("opinion classification failed; items stay unlabelled")
        preds = [None] * len(texts)
    codes = {p.category for p in preds if p and p.category != UNCLASSIFIED}
    categories = dict(ProductCategory.objects.filter(code__in=codes).values_list("code", "pk"))
    names = division_names()
    out = []
    for text, p in zip(texts, preds):
        label, score, confidence = sentiment(text)
        out.append({
            "category_id": categories.get(p.category) if p else None,
            "category_confidence": round(float(p.category_confidence), 4) if p else None,
            "hazard": p.hazard if p and p.hazard != UNCLASSIFIED else "",
            "hazard_confidence": round(float(p.hazard_confidence), 4) if p else None,
            "division_code": find_division(text, names),
            "sentiment": label, "sentiment_score": score, "sentiment_confidence": confidence})
    return out


# --------------------------------------------------------------------------- ingest


def _story_for(item: OpinionItem, grams: set, cache: dict) -> OpinionStory | None:
    """The most similar open story of the item's category (None: start one)."""
    since = item.published - dt.timedelta(hours=STORY_HOURS)
    best, best_score = None, STORY_JACCARD
    candidates = OpinionStory.objects.filter(category_id=item.category_id, last_seen__gte=since,
                                             first_seen__lte=item.published + dt.timedelta(hours=STORY_HOURS))
    for story in candidates[:200]:
        if story.pk not in cache:
            cache[story.pk] = [bigrams(f"{t} {x}") for t, x in story.items.filter(duplicate_of__isnull=True)
                               .order_by("published", "pk").values_list("title", "text")[:5]]
        score = max((jaccard(grams, g) for g in cache[story.pk]), default=0.0)
        if score >= best_score:
            best, best_score = story, score
    return best


def _add_to_story(story: OpinionStory, item: OpinionItem) -> None:
    story.item_count += 1
    story.first_seen = min(story.first_seen, item.published)
    story.last_seen = max(story.last_seen, item.published)
    if not story.hazard and item.hazard:
        story.hazard = item.hazard
    story.save()


def ingest(source: OpinionSource, entries: list[Entry], now: dt.datetime) -> list[OpinionItem]:
    """Store the new entries of ``source`` (call inside the fetch's transaction)."""
    known = set(source.items.filter(external_id__in=[e.external_id for e in entries])
                .values_list("external_id", flat=True))
    seen = set()
    fresh = []
    for e in entries:
        if e.external_id not in known and e.external_id not in seen:
            seen.add(e.external_id)
            fresh.append(e)
    if not fresh:
        return []
    fresh.sort(key=lambda e: e.published)
    labels = classify_entries(fresh)
    earliest = fresh[0].published - dt.timedelta(days=WINDOW_DAYS)
    recent = [(pk, to_unsigned(h)) for pk, h in OpinionItem.objects.filter(
        published__gte=earliest, duplicate_of__isnull=True).values_list("pk", "simhash")]
    cache: dict = {}
    items = []
    for e, lab in zip(fresh, labels):
        h = simhash(f"{e.title} {e.text}")
        original, distance = None, None
        for pk, other in recent:
            d = bin(h ^ other).count("1")
            if d <= DUPLICATE_BITS and (distance is None or d < distance):
                original, distance = pk, d
        item = OpinionItem(
            source=source, external_id=e.external_id, url=e.url, title=e.title, text=e.text, published=e.published,
            published_on=timezone.localtime(e.published).date(), fetched=now, simhash=to_signed(h),
            duplicate_of_id=original, distance=distance, category_id=lab["category_id"],
            category_confidence=lab["category_confidence"], hazard=lab["hazard"],
            hazard_confidence=lab["hazard_confidence"], division_id=lab["division_code"] or source.division_id,
            division_found=bool(lab["division_code"]), sentiment=lab["sentiment"],
            sentiment_score=lab["sentiment_score"], sentiment_confidence=lab["sentiment_confidence"])
        if original is not None:
            item.story_id = OpinionItem.objects.filter(pk=original).values_list("story_id", flat=True).first()
            item.save()
            if item.story_id:
                _add_to_story(OpinionStory.objects.get(pk=item.story_id), item)
        else:
            grams = bigrams(f"{e.title} {e.text}")
            story = _story_for(item, grams, cache)
            item.save()
            recent.append((item.pk, h))
            if story is None:
                story = OpinionStory.objects.create(
                    title=item.title, first_seen=item.published, last_seen=item.published, item_count=1,
                    category_id=item.category_id, hazard=item.hazard, division_id=item.division_id,
                    sentiment=item.sentiment)
                OpinionStoryEvent.objects.create(story=story, type=OpinionStoryEvent.Type.CREATED, date=now,
                                                 parameters={"item": item.pk, "source": source.pk})
            else:
                _add_to_story(story, item)
                cache.setdefault(story.pk, []).append(grams)
            item.story = story
            item.save(update_fields=["story"])
        items.append(item)
    return items


def fetch_source(source: OpinionSource, now: dt.datetime | None = None) -> int:
    """Fetch one source: all of its new items in one transaction, or nothing and the error
    recorded on the source. Returns the number of items added; raises ``FetchError``."""
    now = now or timezone.now()
    files: list[Path] = []
    try:
        entries, files = read_source(source, now)
        with transaction.atomic():
            locked = OpinionSource.objects.select_for_update().get(pk=source.pk)
            items = ingest(locked, entries, now)
            locked.last_fetched, locked.last_status, locked.last_error = now, OpinionSource.Status.OK, ""
            locked.last_count = len(items)
            locked.save()
    except Exception as exc:  # noqa: BLE001 - recorded on the source, re-raised as a fetch error
        message = str(exc) if isinstance(exc, FetchError) else f"{type(exc).__name__}: {exc}"
        source.refresh_from_db()
        source.last_fetched, source.last_status, source.last_error = now, OpinionSource.Status.FAILED, message[:2000]
        source.last_count = 0
        source.save()
        raise FetchError(message) from exc
    if files:  # only after the items are committed
        done = Path(source.location) / "processed"
        done.mkdir(exist_ok=True)
        for path in files:
            shutil.move(str(path), str(done / path.name))
    source.refresh_from_db()
    if items:
        refresh_relevance()
    return len(items)


def is_due(source: OpinionSource, now: dt.datetime) -> bool:
    return source.active and (source.last_fetched is None
                              or now - source.last_fetched >= dt.timedelta(minutes=source.interval_minutes))


def fetch_due(now: dt.datetime | None = None) -> dict[str, object]:
    """The scheduler's step: fetch every active source whose interval has passed.
    Returns {source name: items added, or the error message}; one failing source does not
    stop the others."""
    now = now or timezone.now()
    results: dict[str, object] = {}
    for source in OpinionSource.objects.filter(active=True).order_by("pk"):
        if not is_due(source, now):
            continue
        try:
            results[source.name] = fetch_source(source, now)
        except FetchError as exc:
            results[source.name] = f"error: {exc}"
    return results


# --------------------------------------------------------------------------- triage and retraining


def _officer(user) -> None:
    if not (user is not None and (user.is_superuser or S.scope_for(user).role in OFFICERS)):
        raise PermissionDenied(_("Only officers triage stories."))


@transaction.atomic
def triage_story(story: OpinionStory, user, *, triage: str, enterprise=None, product: str = "", note: str = "",
                 category=None, now: dt.datetime | None = None) -> OpinionStory:
    """Mark a story relevant or not relevant, link an enterprise or product, correct its
    category; then retrain the relevance classifier."""
    now = now or timezone.now()
    _officer(user)
    locked = OpinionStory.objects.locked(user, story, _("This story is outside your scope."))
    if triage not in (OpinionStory.Triage.RELEVANT, OpinionStory.Triage.NOT_RELEVANT):
        raise ValidationError({"triage": _("A story is relevant or not relevant.")})
    if enterprise is not None and triage != OpinionStory.Triage.RELEVANT:
        raise ValidationError({"enterprise": _("Only a relevant story is linked to an enterprise.")})
    previous = locked.triage
    locked.triage, locked.triaged_by, locked.triaged_at = triage, user, now
    locked.note = (note or "").strip()
    OpinionStoryEvent.objects.create(story=locked, type=OpinionStoryEvent.Type.TRIAGED, date=now, user=user,
                                     parameters={"from": previous, "to": triage})
    product = (product or "").strip()[:200]
    if (enterprise is not None and enterprise.pk != locked.enterprise_id) or product != locked.product:
        locked.enterprise, locked.product = enterprise, product
        OpinionStoryEvent.objects.create(story=locked, type=OpinionStoryEvent.Type.LINKED, date=now, user=user,
                                         parameters={"enterprise": enterprise.pk if enterprise else None,
                                                     "product": product})
    if category is not None and category.pk != locked.category_id:
        OpinionStoryEvent.objects.create(story=locked, type=OpinionStoryEvent.Type.CATEGORY_CORRECTED, date=now,
                                         user=user, parameters={"from": locked.category_id, "to": category.pk})
        locked.category = category
        for item in locked.items.all():
            item.category, item.category_confidence = category, 1.0
            item.save()
    locked.relevance = None
    locked.save()
    refresh_relevance()  # in the same transaction: a refused or failed triage retrains nothing
    return locked


def training_rows() -> tuple[list[str], list[int]]:
    """Texts and labels (1 relevant, 0 not) of the items of triaged stories (most recent first)."""
    rows = (OpinionItem.objects.filter(story__triage__in=[OpinionStory.Triage.RELEVANT,
                                                          OpinionStory.Triage.NOT_RELEVANT])
            .order_by("-published", "-pk").values_list("title", "text", "story__triage")[:MAX_TRAINING_ITEMS])
    texts, labels = [], []
    for title, text, triage in rows:
        texts.append(f"{title} {text}")
        labels.append(1 if triage == OpinionStory.Triage.RELEVANT else 0)
    return texts, labels


def train_relevance():
    """The relevance classifier from the triage so far (None until both labels occur)."""
    texts, labels = training_rows()
    if len(set(labels)) < 2:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                          LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000))
    model.fit([clean(t) for t in texts], labels)
    return model


def refresh_relevance() -> int:
    """Retrain on the triage so far and store the predicted relevance of every untriaged story
    (machine output: bulk-updated, not audited). Returns the number of stories scored."""
    model = train_relevance()
    stories = list(OpinionStory.objects.filter(triage=OpinionStory.Triage.NEW).only("pk", "relevance"))
    if not stories:
        return 0
    if model is None:
        for s in stories:
            s.relevance = None
    else:
        texts: dict[int, list[str]] = {}
        for story_id, title, text in OpinionItem.objects.filter(story__in=stories) \
                .values_list("story_id", "title", "text"):
            texts.setdefault(story_id, []).append(clean(f"{title} {text}"))
        for s in stories:
            t = texts.get(s.pk)
            s.relevance = round(float(model.predict_proba(t)[:, 1].mean()), 4) if t else None
    OpinionStory.objects.bulk_update(stories, ["relevance"], batch_size=500)
    return len(stories)


def confirmed_rows():
    """(text, category code, hazard) of the items of relevant stories whose category an officer
    set: labelled data for the complaints classifier (``train_from_rows``)."""
    story_ids = OpinionStoryEvent.objects.filter(type=OpinionStoryEvent.Type.CATEGORY_CORRECTED) \
        .values_list("story_id", flat=True)
    for title, text, code, hazard in OpinionItem.objects.filter(
            story_id__in=story_ids, story__triage=OpinionStory.Triage.RELEVANT, duplicate_of__isnull=True) \
            .values_list("title", "text", "category__code", "hazard").order_by("pk"):
        yield (f"{title} {text}".strip(), code or "", hazard or "")
