"""API base classes: scope and permissions come from ``restrict`` like every page.

* ``ScopedModelViewSet``: rows are ``restrict``-ed to the user's scope for the
  request's action; a created or changed object must still lie inside the
  scope after the write, otherwise the write is rolled back (403).
* ``ScopedPrimaryKeyRelatedField``: a foreign key given in a write must point
  at an object the user may see; one outside the scope is refused with 403.
* ``ScopedModelSerializer``: uses the scoped related field for every relation,
  runs the model's ``clean()`` and hides ``Meta.private_fields`` from readers
  who see a row only because it is published (the public, enterprises and labs
  looking at others' rows).
* ``ScopedFilterBackend``: the model's FilterSet with related choices limited to
  the scope and integer keys bounded; ``ScopedPagination``: limit/offset, at most
  1,000 rows a page.
"""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, serializers, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.fields import get_error_detail
from rest_framework.pagination import LimitOffsetPagination

from .filtering import limit_filter_form
from .permissions import ACTION_FOR_METHOD, ScopedPermission, is_token_request  # noqa: F401
from .scope import ROLE_ENTERPRISE, ROLE_HOSPITAL, ROLE_LAB, scope_for


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The object is still referenced by other records.")
    default_code = "conflict"


class ScopedFilterBackend(DjangoFilterBackend):
    """The model's FilterSet (shared with pages and exports), limited by ``limit_filter_form``."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            limit_filter_form(filterset.form, request.user)
        return filterset


class ScopedPagination(LimitOffsetPagination):
    """``?limit=&offset=``; a page holds at most ``max_limit`` rows."""

    default_limit = 50
    max_limit = 1000


def _request_user(context):
    request = context.get("request") if context else None
    return getattr(request, "user", None)


def _attr_path(obj, path):
    """Follow an ORM path such as ``enterprise_id`` or ``enterprise__division`` in Python."""
    value = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return getattr(value, "pk", value)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key relation whose choices are the objects the user may see.

    An existing object outside the user's scope is refused with 403 (the write
    would reach outside the scope); an unknown key is a 400 like any bad value.
    """

    default_error_messages = {
        "out_of_scope": _('Object "{pk_value}" is outside your scope.'),
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        if hasattr(queryset, "restrict"):
            queryset = queryset.restrict(_request_user(self.context), "view")
        return queryset

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("incorrect_type", data_type="str")
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            unrestricted = self.queryset
            model = getattr(unrestricted, "model", None)
            if model is not None and not isinstance(data, (bool, dict, list)):
                try:
                    exists = model._base_manager.filter(pk=data).exists()
                except (TypeError, ValueError, DjangoValidationError):
                    exists = False
                if exists:
                    raise PermissionDenied(self.error_messages["out_of_scope"].format(pk_value=data))
            raise


class ScopedModelSerializer(serializers.ModelSerializer):
    """Model serializer with scoped relations, model validation and private fields.

    ``Meta.private_fields``: fields shown only to readers with more than public
    access to the row (staff in whose region it lies, its own enterprise or lab).
    """

    serializer_related_field = ScopedPrimaryKeyRelatedField

    def sees_private(self, instance) -> bool:
        scope = scope_for(_request_user(self.context))
        if scope.role is None:
            return False
        if scope.unrestricted:
            return True
        model = type(instance)
        if scope.role == ROLE_ENTERPRISE:
            path = getattr(model, "scope_enterprise", None)
            return bool(path) and scope.enterprise_id is not None \
                and _attr_path(instance, path) == scope.enterprise_id
        if scope.role == ROLE_LAB:
            path = getattr(model, "scope_lab", None)
            return bool(path) and scope.lab_id is not None and _attr_path(instance, path) == scope.lab_id
        if scope.role == ROLE_HOSPITAL:
            path = getattr(model, "scope_hospital", None)
            return bool(path) and scope.hospital_id is not None \
                and _attr_path(instance, path) == scope.hospital_id
        return True  # staff and agencies only ever receive rows of their region

    def get_fields(self):
        fields = super().get_fields()
        # A natural primary key (a division or industry code) is fixed once created:
        # changing it would save a second row instead of renaming the first.
        pk = self.Meta.model._meta.pk
        if (self.instance is not None and pk.name in fields
                and pk.get_internal_type() not in ("AutoField", "BigAutoField", "SmallAutoField")):
            fields[pk.name] = serializers.ReadOnlyField()
        return fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        private = getattr(self.Meta, "private_fields", ())
        if private and not self.sees_private(instance):
            for name in private:
                data.pop(name, None)
        return data

    def validate(self, attrs):
        """Run the model's own ``clean()`` (cross-field rules) on the would-be object."""
        attrs = super().validate(attrs)
        model = self.Meta.model
        concrete = {f.name for f in model._meta.concrete_fields}
        values = {k: v for k, v in attrs.items() if k in concrete}
        if self.instance is not None:
            # A detached copy: clean() must not touch the instance before save.
            candidate = model(**{f.attname: getattr(self.instance, f.attname)
                                 for f in model._meta.concrete_fields})
            candidate._state.adding = False
            for key, value in values.items():
                setattr(candidate, key, value)
        else:
            candidate = model(**values)
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from exc
        # clean() may normalise values (e.g. compact a USCC): keep what it made.
        for key in values:
            attrs[key] = getattr(candidate, key)
        return attrs


class ScopedModelViewSet(viewsets.ModelViewSet):
    """A model viewset whose rows are ``restrict``-ed to the user's scope and role.

    A created or changed object must lie inside the user's scope after the
    write; otherwise the write is rolled back and 403 is returned.
    """

    pagination_class = ScopedPagination
    permission_classes = [ScopedPermission]
    filter_backends = [ScopedFilterBackend, filters.OrderingFilter]

    def get_action(self) -> str:
        return ACTION_FOR_METHOD.get(self.request.method, "view")

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, self.get_action())

    def _save_in_scope(self, serializer, action):
        model = self.queryset.model
        try:
            with transaction.atomic():
                instance = serializer.save()
                if not model.objects.is_allowed(self.request.user, action, instance):
                    raise PermissionDenied(_("The object would be outside your scope."))
        except IntegrityError as exc:
            # A concurrent write won a uniqueness race the validators had cleared.
            raise serializers.ValidationError({"non_field_errors": [str(exc)]}) from exc
        return instance

    def perform_create(self, serializer):
        self._save_in_scope(serializer, "add")

    def perform_update(self, serializer):
        self._save_in_scope(serializer, "change")

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            count = len(getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ()))
            raise Conflict(_("%(object)s is still referenced by %(count)d other record(s).")
                           % {"object": instance, "count": count}) from exc


class ScopedReadOnlyModelViewSet(ScopedModelViewSet):
    http_method_names = ["get", "head", "options"]


try:  # describe private fields in the OpenAPI schema (drf-spectacular)
    from drf_spectacular.extensions import OpenApiSerializerExtension
except ImportError:  # pragma: no cover - the schema generator is optional at run time
    pass
else:
    class ScopedModelSerializerSchema(OpenApiSerializerExtension):
        """``Meta.private_fields`` are left out of the answers to readers with public access only,
        so the schema must not call them required (else those answers break their own schema)."""

        target_class = "zhijian.core.api.ScopedModelSerializer"
        match_subclasses = True

        def map_serializer(self, auto_schema, direction):
            schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
            private = set(getattr(getattr(self.target, "Meta", None), "private_fields", ()))
            if private and "required" in schema:
                schema["required"] = [name for name in schema["required"] if name not in private]
                if not schema["required"]:
                    del schema["required"]
            return schema
