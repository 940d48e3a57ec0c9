"""The demo data set (``setup_demo``) for a test module: loaded once, rolled back at the end."""
import io
from contextlib import contextmanager

from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@contextmanager
def loaded_demo(django_db_blocker, enterprises: int):
    """Inside: the demo with ``enterprises`` enterprises; yields what ``setup_demo`` printed.

    Use from a module-scoped fixture; each test then runs in a savepoint inside this
    transaction (pytest-django's ``db``), and the whole demo is rolled back afterwards."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            out = io.StringIO()
            call_command("setup_demo", enterprises=enterprises, verbosity=0, stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)
