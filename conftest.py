"""Shared pytest fixtures: reference data once per database, users per role."""
import pytest

from zhijian.core import scope as S

pytest_plugins = ["zhijian.core.testing.browser"]


def pytest_configure(config):
    """Fast password hashing in tests (real hashing costs ~0.3 s per user created)."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from zhijian.reference import load_all

    with django_db_blocker.unblock():
        load_all()


@pytest.fixture(scope="session", autouse=True)
def _var_dir(tmp_path_factory):
    """Generated files (snapshots, models, exports, keys) go to a throw-away directory, not ./var."""
    from django.test import override_settings

    with override_settings(VAR_DIR=tmp_path_factory.mktemp("var")):
        yield


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush the database; reload the reference data they removed."""
    marker = request.node.get_closest_marker("django_db")
    by_marker = marker is not None and marker.kwargs.get("transaction", False)
    if by_marker or "transactional_db" in request.fixturenames or "live_server" in request.fixturenames:
        from zhijian.registry.models import Division
        from zhijian.reference import load_all

        request.getfixturevalue("transactional_db")
        if not Division.objects.exists():
            load_all()


@pytest.fixture
def make_user(db):
    from zhijian.accounts.services import create_user
    from zhijian.registry.models import Division

    counter = {"n": 0}

    def _make(role=S.ROLE_OFFICER, division="320500", **kw):
        counter["n"] += 1
        div = Division.objects.get(pk=division) if isinstance(division, str) else division
        if role in (S.ROLE_ENTERPRISE, S.ROLE_LAB):
            div = None
        username = kw.pop("username", f"{role}{counter['n']}")
        return create_user(username, "pw-" + username, role, division=div, **kw)

    return _make


@pytest.fixture
def enterprise_factory(db):
    from zhijian.registry.tests.factories import make_enterprise

    return make_enterprise
