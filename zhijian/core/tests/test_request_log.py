"""A refused request is one structured log line, without a traceback; server errors keep theirs."""
import io
import logging
import sys

import pytest
from django.test import Client
from django.urls import reverse

from zhijian.core import scope as S
from zhijian.core.request_log import RequestLogFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def server_log():
    """What the console handler of ``settings.LOGGING`` would print, as text."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_a_refused_page_logs_one_line_and_no_traceback(make_user, server_log):
    from zhijian.registry.tests.factories import make_enterprise

    user = make_user(S.ROLE_ENTERPRISE, enterprise=make_enterprise())
    client = Client()
    client.force_login(user)
    response = client.get(reverse("registry:enterprise_add"))
    assert response.status_code == 403

    lines = server_log.getvalue().splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("WARNING django.request refused status=403 ")
    assert f"user={user.username} role={S.ROLE_ENTERPRISE} action=add object=registry.enterprise" in line
    assert "reason=" in line and "path=/registry/enterprises/add/" in line
    assert "Traceback" not in server_log.getvalue()


def test_an_anonymous_refusal_and_a_missing_page_are_one_line_each(server_log):
    client = Client()
    assert client.post("/api/registry/enterprises/", {}).status_code in (401, 403)
    assert client.get("/no-such-page/").status_code == 404
    lines = server_log.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert "refused" in lines[0] and "user=anonymous" in lines[0]
    assert lines[1].startswith("WARNING django.request Not Found: /no-such-page/")
    assert "Traceback" not in server_log.getvalue()


def test_server_errors_keep_their_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1,
                               "Internal Server Error: %s", ("/x/",), exc_info)
    record.status_code = 500
    assert RequestLogFilter().filter(record)
    assert record.exc_info is exc_info
    assert "Traceback" in logging.Formatter().format(record)
