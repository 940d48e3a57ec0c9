"""No internal key in the Chinese interface: every demo role's pages, walked link by link.

The demo (``setup_demo``, a smaller registry) is loaded once per module. Each demo role signs
in with the zh-Hans interface and follows every link it is shown, from the home page on (one
page per URL name and query form, so a list of thousands of enterprises costs a few pages).
The text a user reads — element text, ``title`` and ``placeholder`` attributes, not markup,
scripts or the literals set in ``<code>`` (column keys and accepted values of import files) — must not contain a code value of the platform: a choice value of any model field
(statuses, kinds, channels, roles, indicator groups…) whose label differs from the value, or a
credit-event type code. Each finding names the role, the page and the key.

A second check keeps the catalogs complete: every choice label of every model has a Chinese
translation, so ``get_FOO_display`` and the API's ``*_display`` fields are never English in
the Chinese interface.
"""
from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import translation

from zhijian.core.testing.demo import loaded_demo

ROLES = ("province", "suzhou", "kunshan", "inspector", "lab", "enterprise", "hospital")
# Pages each role must have walked, so the test cannot pass by reaching too little.
MUST_WALK = {
    "province": {"credit:grade_detail", "complaints:case_detail", "registry:enterprise_detail",
                 "credit:enterpriselisting_detail", "portal:spotcheck_opendata",
                 "portal:complaint_opendata", "registry:import", "risk:dashboard",
                 "risk:incidentlevel_list", "portal:spotcheck_commitments"},
    "suzhou": {"credit:grade_detail", "complaints:case_detail", "spotcheck:plan_list"},
    "enterprise": {"credit:grade_detail"},
    "hospital": {"risk:injurycase_list", "risk:injurycase_detail", "risk:injurycase_import"},
}
PAGES_PER_ROUTE = 2  # per URL name, counted apart with and without a query string
MAX_PAGES = 400  # per role (grows with the apps: every menu route is reached)
SKIP_PATH = re.compile(r"^/(static|media|api|admin|i18n)/|/(logout|export|download)|\.(csv|xlsx|pdf|json|parquet|zip)$")
SKIP_QUERY = re.compile(r"(^|&)(export|format|download)=")
# Not read as prose: scripts and styles, and literals a user types or a file holds (an import
# page's column keys and accepted values, an open-data dictionary), which pages set in <code>.
HIDDEN = ("script", "style", "template", "code", "kbd", "samp")
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def internal_keys() -> dict[str, str]:
    """Code value -> where it comes from, for every value a page might print raw."""
    from zhijian.credit.models import EventType

    keys = {}
    for model in apps.get_models():
        if not model.__module__.startswith("zhijian"):
            continue
        for f in model._meta.get_fields():
            for value, label in getattr(f, "choices", None) or ():
                if isinstance(label, (list, tuple)) or not isinstance(value, str):
                    continue
                with translation.override("en"):
                    en = str(label)
                if TOKEN.fullmatch(value) and value not in (en, en.lower()) and len(value) > 2:
                    keys[value] = f"{model._meta.label}.{f.name}"
    for code in EventType.objects.values_list("code", flat=True):
        keys[code] = "credit event type"
    return keys


class VisibleText(HTMLParser):
    """The text a reader sees: element text, titles and placeholders; no scripts or styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in HIDDEN:
            self._hidden += 1
        for name in ("title", "placeholder", "aria-label"):
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def route_of(path: str, query: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return f"{match.view_name}?{'q' if query else ''}"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with loaded_demo(django_db_blocker, enterprises=800):
        yield internal_keys()


def walk(client: Client, keys: dict[str, str], usernames: set[str]) -> tuple[list[str], set[str]]:
    findings, seen_routes, seen_urls, walked = [], {}, set(), set()
    queue = deque(["/"])
    visited = 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        if url in seen_urls:
            continue
        seen_urls.add(url)
        parts = urlsplit(url)
        route = route_of(parts.path, parts.query)
        if route is None or seen_routes.get(route, 0) >= PAGES_PER_ROUTE:
            continue
        seen_routes[route] = seen_routes.get(route, 0) + 1
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        visited += 1
        walked.add(route.split("?")[0])
        page = VisibleText()
        page.feed(response.content.decode("utf-8"))
        text = " ".join(page.parts)
        text = re.sub(r"\s+", " ", text)
        reported = set()
        for m in TOKEN.finditer(text):
            token = m.group()
            if token in keys and token not in usernames and token not in reported:
                reported.add(token)
                context = text[max(0, m.start() - 30):m.end() + 30]
                findings.append(f"{url}: {token!r} ({keys[token]}) in “{context}”")
        for href in page.links:
            target = urlsplit(urljoin(url, href))
            if target.netloc and target.netloc != "testserver":
                continue
            if SKIP_PATH.search(target.path) or SKIP_QUERY.search(target.query):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return findings, walked


@pytest.mark.walk
@pytest.mark.django_db
@pytest.mark.parametrize("username", ROLES)
def test_no_internal_key_is_shown_in_the_chinese_interface(demo, username):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.cookies["django_language"] = "zh-hans"
    usernames = set(User.objects.values_list("username", flat=True))
    findings, walked = walk(client, demo, usernames)
    assert len(walked) >= 5, f"{username} reached only {sorted(walked)}"
    missing = MUST_WALK.get(username, set()) - walked
    assert not missing, f"{username} never reached {sorted(missing)} (walked {sorted(walked)})"
    assert not findings, f"{username}: internal keys shown as text:\n" + "\n".join(findings)


def test_every_choice_label_has_a_chinese_translation():
    missing = []
    for model in apps.get_models():
        if not model.__module__.startswith("zhijian"):
            continue
        for f in model._meta.get_fields():
            for value, label in getattr(f, "choices", None) or ():
                if isinstance(label, (list, tuple)):
                    continue
                with translation.override("en"):
                    en = str(label)
                with translation.override("zh-hans"):
                    zh = str(label)
                if re.search("[A-Za-z]{2}", en) and zh == en:
                    missing.append(f"{model._meta.label}.{f.name} = {value!r}: {en!r}")
    assert not missing, "choice labels without a Chinese translation:\n" + "\n".join(missing)
