import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Service messages are checked in English (pages are checked in Chinese, the default)."""
    with translation.override("en"):
        yield
