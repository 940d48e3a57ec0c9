"""Labels of code values in the active language.

Choice fields carry their labels in the gettext catalogs. Rows of reference data that users
read by name (credit-event types, for one) carry an English and a Chinese name; :func:`label_of`
picks the one for the active language.
"""
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _l

# Parameter keys of case histories that are no model field.
EXTRA_KEYS = {"before": _l("before"), "after": _l("after")}


def label_of(name: str, name_zh: str = "") -> str:
    language = (get_language() or "").lower()
    return name_zh if name_zh and language.startswith("zh") else name


def field_value(model, key: str, value):
    """(label, shown value) of ``key: value`` in an event's parameters, read as ``model``'s field.

    The field's verbose name labels the key; a choice value shows its label, a foreign key the
    object it points at; nested dicts (before / after) are labelled the same way, inside.
    """
    from django.core.exceptions import FieldDoesNotExist

    if isinstance(value, dict):
        inner = "; ".join(f"{k}: {v}" for k, v in (field_value(model, k2, v2) for k2, v2 in value.items()
                                                 if v2 not in (None, "", [], {})))
        return str(EXTRA_KEYS.get(key, key)), inner
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return str(EXTRA_KEYS.get(key, key)), value
    label = str(getattr(field, "verbose_name", key))
    if getattr(field, "choices", None):
        return label, str(dict(field.flatchoices).get(value, value))
    if getattr(field, "related_model", None) is not None and not isinstance(value, (list, dict)):
        obj = field.related_model._default_manager.filter(pk=value).first()
        return label, str(obj) if obj is not None else value
    return label, value
