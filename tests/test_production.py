"""Production mode: the deploy checklist passes, and gunicorn serves pages, static files and probes.

These start real processes (``manage.py check --deploy``, gunicorn on a free loopback port)
with the environment ``make serve`` and ``deploy/`` give them.
"""
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.production

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def production_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIJIAN_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="zhijian.settings", ZHIJIAN_DEBUG="0",
               ZHIJIAN_SECRET_KEY=secrets.token_urlsafe(64), ZHIJIAN_VAR_DIR=str(tmp_path / "var"),
               ZHIJIAN_ALLOWED_HOSTS="zhijian.example.gov.cn,127.0.0.1", ZHIJIAN_DB="sqlite")
    env.update(extra)
    return env


def manage(env, *args):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_deploy_checklist_passes_without_warnings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["ZHIJIAN_SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "ZHIJIAN_SECRET_KEY must be set" in result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers=None):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prod")
    env = production_env(tmp)
    done = manage(env, "collectstatic", "--noinput", "-v0")
    assert done.returncode == 0, done.stderr
    port = free_port()
    proc = subprocess.Popen([str(GUNICORN), "zhijian.wsgi:application", "--bind", f"127.0.0.1:{port}",
                             "--workers", "2", "--error-logfile", "-"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if fetch(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            proc.kill()
            pytest.fail("gunicorn did not answer: " + proc.stdout.read())
        yield base, env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_probes(gunicorn):
    base, _env = gunicorn
    status, _h, body = fetch(base + "/healthz")
    assert (status, body) == (200, b"ok\n")
    # a fresh database: the process answers but is not ready until migrations have run
    status, _h, body = fetch(base + "/readyz")
    assert status == 503 and b"not applied" in body


def test_static_files_are_served_by_whitenoise_with_long_caching(gunicorn):
    base, _env = gunicorn
    status, headers, body = fetch(base + "/static/vendor/echarts.min.js",
                                  {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
    assert status == 200 and len(body) > 1000
    assert "max-age" in headers.get("Cache-Control", "")
    assert headers.get("Content-Encoding") == "gzip"  # compressed once by collectstatic


def test_https_only_hsts_and_redirect(gunicorn):
    base, _env = gunicorn
    status, headers, _b = fetch(base + "/portal/", {"Host": "zhijian.example.gov.cn"})
    assert status == 301 and headers["Location"].startswith("https://zhijian.example.gov.cn/")
    status, headers, _b = fetch(base + "/healthz", {"Host": "zhijian.example.gov.cn",
                                                    "X-Forwarded-Proto": "https"})
    assert "max-age=31536000" in headers.get("Strict-Transport-Security", "")
    assert headers.get("X-Frame-Options") == "DENY"
    # a host the deployment does not serve is refused
    assert fetch(base + "/healthz", {"Host": "evil.example.com", "X-Forwarded-Proto": "https"})[0] == 400


# ------------------------------------------------------------------ on PostgreSQL, as deployed

class Browser:
    """A minimal HTTP client behind a TLS proxy: sends X-Forwarded-Proto: https and keeps the
    (Secure) cookies itself, as a browser talking HTTPS to the proxy would."""

    def __init__(self, base):
        self.base, self.cookies = base, {}
        self.host = base.split("://", 1)[1]

    def request(self, path, data=None):
        from http.cookies import SimpleCookie
        from urllib.parse import urlencode

        headers = {"X-Forwarded-Proto": "https", "Origin": f"https://{self.host}",
                   "Referer": f"https://{self.host}{path}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            r = opener.open(req, timeout=60)
        except urllib.error.HTTPError as e:
            r = e
        for value in r.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return r.status, dict(r.headers), r.read().decode("utf-8", "replace")


def _psql(sql_text, dbname="postgres"):
    import psycopg

    with psycopg.connect(dbname=dbname, autocommit=True) as conn:
        return conn.execute(sql_text).fetchall() if sql_text.lstrip().upper().startswith("SELECT") \
            else conn.execute(sql_text)


COUNTED = ("registry_division", "auth_user", "accounts_auditentry", "credit_eventtype")


def _counts(dbname):
    return {t: _psql(f"SELECT count(*) FROM {t}", dbname)[0][0] for t in COUNTED}


@pytest.fixture(scope="module")
def pg_site(tmp_path_factory):
    if os.environ.get("ZHIJIAN_DB") != "postgres":
        pytest.skip("runs in the PostgreSQL pass (make test-postgres)")
    tmp = tmp_path_factory.mktemp("pgprod")
    name = f"zhijian_prod_{secrets.token_hex(4)}"
    _psql(f'CREATE DATABASE "{name}"')
    env = production_env(tmp, ZHIJIAN_DB="postgres", PGDATABASE=name)
    try:
        for args in (("migrate", "--noinput", "-v0"), ("load_reference",), ("collectstatic", "--noinput", "-v0"),
                     ("shell", "-c", "from zhijian.accounts.services import create_user;"
                                     "from zhijian.core.context import change_context;"
                                     "from zhijian.registry.models import Division;"
                                     "ctx = change_context(source='cli'); ctx.__enter__();"
                                     "create_user('chief', 'prod-pass-123', 'province_admin',"
                                     " division=Division.objects.get(pk='320000'));"
                                     "from zhijian.accounts import audit;"
                                     "audit.append('other', object_type='core.deployment',"
                                     " object_repr='installed')")):
            done = manage(env, *args)
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        port = free_port()
        proc = subprocess.Popen([str(GUNICORN), "zhijian.wsgi:application", "--bind", f"127.0.0.1:{port}",
                                 "--workers", "3", "--error-logfile", "-"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    if fetch(base + "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.2)
            else:
                proc.kill()
                pytest.fail("gunicorn did not answer: " + proc.stdout.read())
            yield {"base": base, "env": env, "db": name, "tmp": tmp}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        for db in (name, name + "_restored"):
            _psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def test_gunicorn_on_postgresql_login_pages_and_schema(pg_site):
    assert manage(pg_site["env"], "check", "--deploy", "--fail-level", "WARNING").returncode == 0
    b = Browser(pg_site["base"])
    status, _h, page = b.request("/login/")
    assert status == 200 and "csrftoken" in b.cookies
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    status, headers, _p = b.request("/login/", {"username": "chief", "password": "prod-pass-123",
                                                "csrfmiddlewaretoken": token})
    assert status == 302 and "sessionid" in b.cookies, headers
    for path in ("/", "/registry/enterprises/", "/registry/divisions/", "/spotcheck/", "/credit/grades/",
                 "/complaints/", "/portal/spotchecks/pass-rates/"):
        status, _h, page = b.request(path)
        assert status == 200, path
        assert "chief" in page, path  # signed in: the header names the user
    status, headers, schema = b.request("/api/schema/")
    assert status == 200 and "openapi:" in schema and "/api/registry/enterprises/" in schema


def test_backup_and_restore_with_pg_dump(pg_site):
    db, env, tmp = pg_site["db"], pg_site["env"], pg_site["tmp"]
    before = _counts(db)
    assert before["accounts_auditentry"] > 0 and before["registry_division"] > 3000
    dump = tmp / "zhijian.dump"
    subprocess.run(["pg_dump", "-Fc", "-d", db, "-f", str(dump)], env=env, check=True, timeout=300)
    restored = db + "_restored"
    _psql(f'CREATE DATABASE "{restored}"')
    subprocess.run(["pg_restore", "--no-owner", "-d", restored, str(dump)], env=env, check=True, timeout=300)
    assert _counts(restored) == before
    result = manage({**env, "PGDATABASE": restored}, "verify_audit")
    assert result.returncode == 0 and "chain intact" in result.stdout, result.stdout + result.stderr
    assert f"{before['accounts_auditentry']} entries" in result.stdout
