"""Filter set of the complaints API (the one of the list page)."""
from ..filtersets import CaseFilterSet  # noqa: F401
