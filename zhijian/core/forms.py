"""Form base classes for the generic views: related choices limited to the user's scope.

A form of a scoped model offers, for each foreign key, only the related rows the
user may see, and for the foreign key that carries the scope (``division``,
``enterprise`` ...) only the rows inside the user's region or own enterprise /
lab. The views check the saved object against ``restrict`` again, so the
choices are a convenience, not the guard.
"""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .scope import ROLE_ENTERPRISE, ROLE_HOSPITAL, ROLE_LAB, scope_for


def _path_after(path: str | None, field_name: str) -> str | None:
    """The rest of an ORM ``path`` after ``field_name`` ("" if it is the field), else None."""
    if not path:
        return None
    head, _sep, rest = path.partition("__")
    if head in (field_name, f"{field_name}_id"):
        return rest
    return None


def related_choices(model, field_name: str, queryset, user):
    """``queryset`` of related rows for ``model.field_name`` that ``user`` may pick."""
    if hasattr(queryset, "restrict"):
        queryset = queryset.restrict(user, "view")
    scope = scope_for(user)
    if scope.unrestricted or scope.role is None:
        return queryset
    if scope.role == ROLE_ENTERPRISE:
        rest = _path_after(getattr(model, "scope_enterprise", None), field_name)
        if rest is not None:
            return queryset.filter(**{rest or "pk": scope.enterprise_id})
        return queryset
    if scope.role == ROLE_LAB:
        rest = _path_after(getattr(model, "scope_lab", None), field_name)
        if rest is not None:
            return queryset.filter(**{rest or "pk": scope.lab_id})
        return queryset
    if scope.role == ROLE_HOSPITAL:
        rest = _path_after(getattr(model, "scope_hospital", None), field_name)
        if rest is not None:
            return queryset.filter(**{rest or "pk": scope.hospital_id})
        return queryset
    rest = _path_after(getattr(model, "scope_division", None), field_name)
    if rest is not None and scope.prefix:
        lookup = f"{rest}__pk__startswith" if rest else "pk__startswith"
        return queryset.filter(**{lookup: scope.prefix})
    return queryset


class LookupChoiceField(forms.ModelChoiceField):
    """A foreign key typed as its natural key (a USCC, a standard code) or its id.

    For related tables too large for a drop-down (enterprises, standards,
    industries): a text box, validated against the (restricted) queryset.
    """

    widget = forms.TextInput

    def __init__(self, queryset, *, lookup_field: str, upper: bool = False, **kwargs):
        self.lookup_field = lookup_field
        self.upper = upper
        super().__init__(queryset, **kwargs)

    def prepare_value(self, value):
        if hasattr(value, "_meta"):
            return getattr(value, self.lookup_field)
        if value not in self.empty_values and not isinstance(value, str):
            obj = self.queryset.model._base_manager.filter(pk=value).first()
            if obj is not None:
                return getattr(obj, self.lookup_field)
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        if self.upper:
            value = value.upper()
        obj = self.queryset.filter(**{self.lookup_field: value}).first()
        if obj is None and value.isdigit() and self.lookup_field != "pk":
            obj = self.queryset.filter(pk=value).first()
        if obj is None:
            raise ValidationError(
                _("No %(what)s “%(value)s” within your scope."),
                code="invalid_choice",
                params={"what": self.queryset.model._meta.verbose_name, "value": value},
            )
        return obj

    def has_changed(self, initial, data):
        return str(self.prepare_value(initial) or "") != str(data or "").strip()


class ScopedModelForm(forms.ModelForm):
    """A model form whose related choices are limited to the requesting user's scope."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        model = self._meta.model
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):  # includes ModelMultipleChoiceField
                field.queryset = related_choices(model, name, field.queryset, user)
        # A primary key that is a code (divisions, industries) is fixed once created.
        pk_name = model._meta.pk.name
        if self.instance.pk is not None and not self.instance._state.adding and pk_name in self.fields:
            self.fields[pk_name].disabled = True
