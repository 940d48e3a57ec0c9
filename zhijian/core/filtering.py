"""Filter forms limited to the user's scope (shared by pages, the API and exports)."""
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

BIGINT = (-(2 ** 63), 2 ** 63 - 1)


class BoundedKeysMixin:
    """For a multiple-choice field of model rows: refuse integer keys outside the database's
    range (``?categories=10**30`` would otherwise overflow in the ``IN (...)`` query and end
    in a server error)."""

    def _check_values(self, value):
        model = self.queryset.model
        key = model._meta.get_field(self.to_field_name) if self.to_field_name else model._meta.pk
        if isinstance(key, (models.IntegerField, models.AutoField)):
            for item in value:
                try:
                    ok = BIGINT[0] <= int(str(item).strip()) <= BIGINT[1]
                except ValueError:
                    ok = True  # the parent reports the malformed value itself
                if not ok:
                    raise DjangoValidationError(self.error_messages["invalid_pk_value"],
                                                code="invalid_pk_value", params={"pk": item})
        return super()._check_values(value)


_BOUNDED: dict = {}


def _bounded(cls):
    if cls not in _BOUNDED:
        _BOUNDED[cls] = type(f"Bounded{cls.__name__}", (BoundedKeysMixin, cls), {})
    return _BOUNDED[cls]


def limit_filter_form(form, user) -> None:
    """Limit a filter form's related-object choices to ``user``'s scope and bound its keys.

    A filter on a relation (``?enterprise=7``) must not tell whether a row the user
    may not see exists, and an out-of-range key must be a form error, not a database
    error. Used by the API's filter backend; list pages can call it on their filter form.
    """
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField) and hasattr(field.queryset, "restrict"):
            field.queryset = field.queryset.restrict(user, "view")
        if isinstance(field, forms.ModelMultipleChoiceField) and \
                not isinstance(field, BoundedKeysMixin):
            field.__class__ = _bounded(type(field))
