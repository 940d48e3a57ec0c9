"""Browser fixtures: Playwright for Python driving Debian's Chromium (pytest plugin).

Registered from the root ``conftest.py`` (``pytest_plugins``). Playwright's own
browser download is not used: the executable is Debian's ``/usr/bin/chromium``
(override with ``ZHIJIAN_CHROMIUM``). Tests using these fixtures are marked
``@pytest.mark.browser`` and use pytest-django's ``live_server``.

Playwright's synchronous API runs an event loop in the test's thread, so
Django's async-safety guard must be lifted (``DJANGO_ALLOW_ASYNC_UNSAFE``)
while the browser is alive.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("ZHIJIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the session."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM} (run scripts/browser-deps.sh)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_page(chromium_browser):
    """A fresh browser context (no cookies) in Simplified Chinese, and its page."""
    context = chromium_browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                           timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def screenshot_dir(tmp_path_factory) -> Path:
    """A temporary directory for the test's screenshots (its path is printed)."""
    path = tmp_path_factory.mktemp("screenshots")
    print(f"screenshots in {path}")
    return path


def browser_login(page, live_server, username: str, password: str) -> None:
    """Log in through the login page, as a person would."""
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
