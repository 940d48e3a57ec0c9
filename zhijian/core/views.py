"""Generic object views (NetBox-style): list, detail, create/edit, delete.

Every view obtains its rows through ``Model.objects.restrict(request.user, action)``;
nothing here decides scope by hand. The rules:

* reading a model whose ``public_q()`` is ``None`` needs a login (anonymous
  visitors are sent to the login page); a public model shows anonymous visitors
  the public rows only;
* a user whose role lacks the model permission for the action gets 403;
* an object outside the user's scope for the action is 404 (its existence is
  not disclosed);
* a created or changed object is checked against ``restrict`` again after the
  save, inside the transaction, and the write is rolled back with 403 when the
  object would end up outside the user's scope.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django_tables2 import RequestConfig

from .filtering import limit_filter_form
from .querysets import scope_q
from .request_log import Refused

EXPORT_FORMATS = {"csv": "CSV", "xlsx": "Excel"}


def safe_return_url(request, fallback: str) -> str:
    url = request.POST.get("return_url") or request.GET.get("return_url")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return fallback


class ScopedObjectMixin:
    """Model, restricted queryset and access rules shared by the generic views."""

    model: type[models.Model] | None = None
    queryset: models.QuerySet | None = None  # base queryset (select_related / prefetch)
    action = "view"
    url_namespace: str | None = None  # defaults to the model's app label

    # ------------------------------------------------------------------ querysets
    def get_base_queryset(self) -> models.QuerySet:
        if self.queryset is not None:
            return self.queryset.all()
        return self.model._default_manager.all()

    def get_queryset(self, action: str | None = None) -> models.QuerySet:
        return self.get_base_queryset().restrict(self.request.user, action or self.action)

    # ------------------------------------------------------------------ access
    def is_public_model(self) -> bool:
        return self.model.public_q() is not None

    def check_access(self, request):
        """None when the request may proceed, else a response (login redirect); raises 403."""
        user = request.user
        if not user.is_authenticated and (self.action != "view" or not self.is_public_model()):
            return redirect_to_login(request.get_full_path())
        if scope_q(self.model, user, self.action) is None:
            raise Refused(_("You do not have permission to %(action)s %(model)s.") % {
                "action": self.action_label(), "model": self.model._meta.verbose_name_plural},
                action=self.action, object=self.model._meta.label_lower)
        return None

    def action_label(self) -> str:
        return {"view": _("view"), "add": _("add"), "change": _("change"),
                "delete": _("delete")}[self.action]

    def dispatch(self, request, *args, **kwargs):
        response = self.check_access(request)
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)

    # ------------------------------------------------------------------ URLs
    def url_name(self, kind: str) -> str:
        namespace = self.url_namespace or self.model._meta.app_label
        return f"{namespace}:{self.model._meta.model_name}_{kind}"

    def url_or_none(self, kind: str, *args) -> str | None:
        try:
            return reverse(self.url_name(kind), args=args)
        except NoReverseMatch:
            return None

    def can(self, action: str) -> bool:
        """Whether the user may ``action`` at least some rows of the model."""
        user = self.request.user
        return user.is_authenticated and scope_q(self.model, user, action) is not None

    def model_context(self) -> dict:
        opts = self.model._meta
        return {
            "model": self.model,
            "opts": opts,
            "verbose_name": opts.verbose_name,
            "verbose_name_plural": opts.verbose_name_plural,
            "list_url": self.url_or_none("list"),
            "add_url": self.url_or_none("add") if self.can("add") else None,
        }

    def template_candidates(self, suffix: str, generic: str) -> list[str]:
        opts = self.model._meta
        return [f"{opts.app_label}/{opts.model_name}_{suffix}.html", generic]


class ObjectListView(ScopedObjectMixin, View):
    """A filterable, searchable, paginated table of the rows the user may see.

    ``?q=`` is the filter set's free-text search, the other filter-set fields
    filter; ``?export=csv|xlsx`` hands the same filtered queryset to
    ``exporter(model, queryset, fmt)``. HTMX requests get only the results.
    """

    filterset_class = None
    table_class = None
    template_name = "generic/object_list.html"
    results_template_name = "generic/includes/results.html"
    filter_fields: tuple[str, ...] = ()  # filter-set fields shown in the filter form
    filter_labels: dict = {}
    per_page = 50
    max_per_page = 500
    exporter = None  # callable(model, queryset, fmt) -> HttpResponse
    export_formats = tuple(EXPORT_FORMATS)

    def get_filterset(self, queryset):
        filterset = self.filterset_class(self.request.GET, queryset=queryset, request=self.request)
        self.customize_filter_form(filterset.form)
        return filterset

    def customize_filter_form(self, form):
        """Limit related choices to what the user may see (keys bounded); relabel fields."""
        limit_filter_form(form, self.request.user)
        for name, field in form.fields.items():
            if name in self.filter_labels:
                field.label = self.filter_labels[name]

    def get_table(self, queryset):
        table = self.table_class(queryset)
        RequestConfig(self.request, paginate=False).configure(table)
        try:
            per_page = int(self.request.GET.get("per_page") or self.per_page)
        except ValueError:
            per_page = self.per_page
        per_page = max(1, min(per_page, self.max_per_page))
        try:
            page = int(self.request.GET.get("page") or 1)
        except ValueError:
            page = 1
        try:
            table.paginate(page=page, per_page=per_page)
        except (EmptyPage, PageNotAnInteger):
            table.paginate(page=1, per_page=per_page)
        return table

    def get_exporter(self):
        return self.exporter

    def export(self, queryset, fmt: str):
        if not self.request.user.is_authenticated:
            return redirect_to_login(self.request.get_full_path())
        exporter = self.get_exporter()
        if exporter is None or fmt not in self.export_formats:
            raise Http404(_("Export format not available."))
        return exporter(self.model, queryset, fmt)

    def get_extra_context(self) -> dict:
        return {}

    def get(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        filterset = self.get_filterset(queryset)
        if filterset.is_valid():
            queryset = filterset.qs
        else:
            queryset = queryset.none()
        fmt = request.GET.get("export")
        if fmt:
            return self.export(queryset, fmt)
        table = self.get_table(queryset)
        form = filterset.form
        shown = [form[name] for name in self.filter_fields if name in form.fields]
        hidden = [form[name] for name in form.fields
                  if name not in self.filter_fields and name != "q" and request.GET.get(name)]
        params = request.GET.copy()
        for key in ("page", "export"):
            params.pop(key, None)
        export_links = []
        if request.user.is_authenticated and self.get_exporter() is not None:
            for fmt_key in self.export_formats:
                params["export"] = fmt_key
                export_links.append({"format": fmt_key, "label": EXPORT_FORMATS.get(fmt_key, fmt_key),
                                     "url": "?" + params.urlencode()})
        context = {
            **self.model_context(),
            "table": table,
            "filterset": filterset,
            "filter_form": form,
            "search_field": form["q"] if "q" in form.fields else None,
            "shown_filters": shown,
            "hidden_filters": hidden,
            "filter_errors": form.errors if form.is_bound and form.errors else None,
            "export_links": export_links,
            "import_url": self.url_or_none("import") if self.can("add") else None,
            **self.get_extra_context(),
        }
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.history_restore_request and htmx.target == "results":
            response = render(request, self.results_template_name, context)
        else:
            response = render(request, self.template_candidates("list", self.template_name), context)
        response["Vary"] = "HX-Request"
        return response


class ObjectDetailView(ScopedObjectMixin, View):
    """One object, 404 when it is outside the user's scope."""

    template_name = "generic/object_detail.html"
    detail_fields: tuple[str, ...] = ()  # fields shown in the attributes list
    code_fields: tuple[str, ...] = ()  # of those, codes and expressions a user types (set in <code>)

    def get_object(self, pk):
        return get_object_or_404(self.get_queryset(), pk=pk)

    def attributes(self, obj, names: tuple[str, ...] | None = None) -> list[dict]:
        """Label and value of each field in ``names`` (default: ``detail_fields``)."""
        rows = []
        for name in self.detail_fields if names is None else names:
            field = self.model._meta.get_field(name)
            row = {"name": name, "label": field.verbose_name, "value": None, "url": None,
                   "items": None, "boolean": False, "code": name in self.code_fields}
            if field.many_to_many:
                row["items"] = [{"value": o, "url": _absolute_url(o)} for o in getattr(obj, name).all()]
            elif field.is_relation:
                target = getattr(obj, name)
                row["value"] = target
                row["url"] = _absolute_url(target)
            elif field.choices:
                row["value"] = getattr(obj, f"get_{name}_display")() if getattr(obj, name) else None
            elif isinstance(field, models.BooleanField):
                row["boolean"] = True
                row["value"] = getattr(obj, name)
            else:
                row["value"] = getattr(obj, name)
            rows.append(row)
        return rows

    def get_extra_context(self, obj) -> dict:
        return {}

    def get(self, request, pk):
        obj = self.get_object(pk)
        user = request.user
        manager = self.model._default_manager
        can_change = self.can("change") and manager.is_allowed(user, "change", obj)
        can_delete = self.can("delete") and manager.is_allowed(user, "delete", obj)
        context = {
            **self.model_context(),
            "object": obj,
            "attributes": self.attributes(obj),
            "edit_url": self.url_or_none("edit", obj.pk) if can_change else None,
            "delete_url": self.url_or_none("delete", obj.pk) if can_delete else None,
            **self.get_extra_context(obj),
        }
        return render(request, self.template_candidates("detail", self.template_name), context)


def _absolute_url(obj):
    if obj is None or not hasattr(obj, "get_absolute_url"):
        return None
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return None


class ObjectEditView(ScopedObjectMixin, View):
    """Create (no ``pk``) or edit an object; the saved object must stay in scope."""

    form_class = None
    template_name = "generic/object_edit.html"

    def dispatch(self, request, *args, **kwargs):
        self.action = "change" if kwargs.get("pk") is not None else "add"
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, pk):
        if pk is None:
            return self.model()
        return get_object_or_404(self.get_queryset("change"), pk=pk)

    def get_initial(self) -> dict:
        """Add pages accept initial values from the query string (``?enterprise=5``)."""
        if self.action != "add":
            return {}
        return {key: value for key, value in self.request.GET.items() if key != "return_url"}

    def get_form(self, obj, data=None, files=None):
        return self.form_class(data, files, instance=obj, initial=self.get_initial(),
                               user=self.request.user)

    def render_form(self, obj, form, status=200):
        context = {
            **self.model_context(),
            "object": obj,
            "form": form,
            "is_new": self.action == "add",
            "return_url": safe_return_url(
                self.request, obj.get_absolute_url() if obj.pk else (self.url_or_none("list") or "/")),
        }
        return render(self.request, self.template_candidates("edit", self.template_name), context,
                      status=status)

    def get(self, request, pk=None):
        obj = self.get_object(pk)
        return self.render_form(obj, self.get_form(obj))

    def post(self, request, pk=None):
        obj = self.get_object(pk)
        form = self.get_form(obj, request.POST, request.FILES)
        if not form.is_valid():
            return self.render_form(obj, form)
        manager = self.model._default_manager
        with transaction.atomic():
            obj = form.save()
            if not manager.is_allowed(request.user, self.action, obj):
                # Raising inside the block rolls the write (and its audit entry) back.
                raise Refused(_("The %(model)s would be outside your scope; nothing was saved.")
                              % {"model": self.model._meta.verbose_name},
                              action=self.action, object=self.model._meta.label_lower)
        if self.action == "add":
            msg = _("Created %(model)s “%(object)s”.")
        else:
            msg = _("Saved %(model)s “%(object)s”.")
        messages.success(request, msg % {"model": self.model._meta.verbose_name, "object": obj})
        return redirect(safe_return_url(request, obj.get_absolute_url()))


class ObjectDeleteView(ScopedObjectMixin, View):
    """Confirm, then delete an object inside the user's delete scope."""

    action = "delete"
    template_name = "generic/object_delete.html"

    def get_object(self, pk):
        return get_object_or_404(self.get_queryset("delete"), pk=pk)

    def get(self, request, pk):
        obj = self.get_object(pk)
        context = {**self.model_context(), "object": obj,
                   "return_url": safe_return_url(request, obj.get_absolute_url())}
        return render(request, self.template_candidates("delete", self.template_name), context)

    def post(self, request, pk):
        obj = self.get_object(pk)
        label = str(obj)
        try:
            with transaction.atomic():
                obj.delete()
        except (ProtectedError, RestrictedError) as exc:
            blocking = sorted({str(o._meta.verbose_name_plural) for o in exc.protected_objects}
                              if isinstance(exc, ProtectedError) else
                              {str(o._meta.verbose_name_plural) for o in exc.restricted_objects})
            messages.error(request, _("“%(object)s” cannot be deleted: it is still referenced by "
                                      "%(related)s.") % {"object": label, "related": ", ".join(blocking)})
            return redirect(obj.get_absolute_url())
        messages.success(request, _("Deleted %(model)s “%(object)s”.") % {
            "model": self.model._meta.verbose_name, "object": label})
        return redirect(self.url_or_none("list") or "/")
