"""Import pages of lots and movements (``recall:lot_import``, ``recall:movement_import``): the
registry's import page and job follow-up, with the recall importers."""
from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views import View

from zhijian.core.importing import MODE_CREATE
from zhijian.registry import import_views as base
from zhijian.registry.exports import template_response

from .importers import IMPORTERS


def allowed_importers(user) -> dict:
    return {name: cls for name, cls in IMPORTERS.items()
            if cls.importable and cls(user=user, mode=MODE_CREATE).permission_error() is None}


class ImportForm(base.ImportForm):
    def __init__(self, *args, user=None, **kw):
        forms.Form.__init__(self, *args, **kw)
        self.user = user
        self.fields["kind"].choices = [(name, str(cls.verbose_name()).capitalize())
                                       for name, cls in allowed_importers(user).items()]

    def clean(self):
        data = forms.Form.clean(self)
        kind, mode = data.get("kind"), data.get("mode")
        if kind in IMPORTERS and mode:
            denied = IMPORTERS[kind](user=self.user, mode=mode).permission_error()
            if denied:
                raise forms.ValidationError(denied)
        return data


class ImportView(base.ImportView):
    form_class = ImportForm
    template_url = "recall:import_template"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.allowed = allowed_importers(request.user)
            if not self.allowed or (self.kind and self.kind not in self.allowed):
                raise PermissionDenied(_("You may not import these rows."))
        return super(base.ImportView, self).dispatch(request, *args, **kwargs)


class ImportTemplateView(base.LoginRequiredMixin, View):
    def get(self, request, kind, fmt):
        if kind not in IMPORTERS or fmt not in ("csv", "xlsx"):
            raise Http404
        return template_response(IMPORTERS[kind], fmt)
