"""Import pages: upload a file, follow the job, download its errors.

The upload creates an ``ImportJob`` and hands it to the background worker
(django-tasks, ``manage.py db_worker``); the job page polls its progress with
HTMX every second and shows the errors when the file is rejected. Users see
their own jobs only (province administrators see all): every job lookup goes
through ``ImportJob.objects.restrict(user)``.
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from zhijian.core.importing import MODE_CREATE, MODE_UPSERT, Importer
from zhijian.core.jobs import create_job, read_progress
from zhijian.core.models import ImportJob

from .exports import template_response
from zhijian.core.importing import get_importer

from .importers import IMPORTERS

IMPORTABLE = {name: cls for name, cls in IMPORTERS.items() if cls.importable}
ENCODINGS = [("", _("detect (UTF-8 or GBK)")), ("utf-8", "UTF-8"), ("gbk", "GBK / GB18030")]


def allowed_importers(user) -> dict:
    """The import types the user may use (add permission on the model)."""
    return {name: cls for name, cls in IMPORTABLE.items()
            if cls(user=user, mode=MODE_CREATE).permission_error() is None}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"))
    mode = forms.ChoiceField(label=_("Mode"), initial=MODE_CREATE, choices=[
        (MODE_CREATE, _("create: rows that already exist are errors")),
        (MODE_UPSERT, _("upsert: update rows that already exist")),
    ])
    encoding = forms.ChoiceField(label=_("Encoding (CSV)"), choices=ENCODINGS, required=False)
    file = forms.FileField(label=_("File (CSV or .xlsx)"))

    def __init__(self, *args, user=None, **kw):
        super().__init__(*args, **kw)
        self.user = user
        self.fields["kind"].choices = [(name, str(cls.verbose_name()).capitalize())
                                       for name, cls in allowed_importers(user).items()]

    def clean_file(self):
        f = self.cleaned_data["file"]
        limit = getattr(settings, "ZHIJIAN_IMPORT_MAX_UPLOAD", 256 * 1024 * 1024)
        if f.size > limit:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB; import it with the "
                                          "command line (zhijian import-data).") % {"mb": limit // 2**20})
        name = f.name.lower()
        try:  # the chosen type's file names (the kind field is cleaned before the file)
            suffixes = get_importer(self.cleaned_data.get("kind") or "").suffixes
        except LookupError:
            suffixes = Importer.suffixes
        if not name.endswith(suffixes):
            if suffixes == Importer.suffixes:
                raise forms.ValidationError(_("Upload a CSV file or an Excel .xlsx workbook."))
            raise forms.ValidationError(_("Upload a file of this type: %(suffixes)s.")
                                        % {"suffixes": ", ".join(suffixes)})
        return f

    def clean(self):
        data = super().clean()
        kind, mode = data.get("kind"), data.get("mode")
        if kind and mode:
            denied = IMPORTABLE[kind](user=self.user, mode=mode).permission_error()
            if denied:
                raise forms.ValidationError(denied)
        return data


class ImportView(LoginRequiredMixin, FormView):
    """``registry:import`` (choose the type) and ``registry:<model>_import`` (one type)."""

    form_class = ImportForm
    template_name = "registry/import/form.html"
    template_url = "registry:import_template"  # the view that serves the blank templates of a kind
    kind = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.allowed = allowed_importers(request.user)
            if not self.allowed or (self.kind and self.kind not in self.allowed):
                raise PermissionDenied(_("You may not import these rows."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kw = super().get_form_kwargs()
        kw["user"] = self.request.user
        return kw

    def get_initial(self):
        kind = self.kind or self.request.GET.get("kind")
        return {"kind": kind if kind in self.allowed else next(iter(self.allowed))}

    def get_context_data(self, **kw):
        ctx = super().get_context_data(**kw)
        form = ctx["form"]
        kind = form["kind"].value() or next(iter(self.allowed))
        importer = self.allowed.get(kind) or next(iter(self.allowed.values()))
        ctx.update(importer=importer, kind=importer.name, columns=importer.columns, template_url=self.template_url,
                   natural_key=importer.natural_key,
                   jobs=ImportJob.objects.restrict(self.request.user).filter(
                       user=self.request.user)[:10])
        return ctx

    def form_valid(self, form):
        from zhijian.core.tasks import run_import_job

        job = create_job(form.cleaned_data["kind"], form.cleaned_data["file"],
                         user=self.request.user, mode=form.cleaned_data["mode"], source="web",
                         encoding=form.cleaned_data.get("encoding") or "")
        run_import_job.enqueue(job.pk)
        return redirect("registry:importjob_detail", pk=job.pk)


class JobMixin(LoginRequiredMixin):
    model = ImportJob
    context_object_name = "job"

    def get_queryset(self):
        return ImportJob.objects.restrict(self.request.user).select_related("user")

    def get_context_data(self, **kw):
        ctx = super().get_context_data(**kw)
        job = ctx["job"]
        progress = read_progress(job)
        total = progress.get("total") or 0
        try:  # any app's importer (complaints, credit records …), not only the registry's
            importer = get_importer(job.importer, include_export_only=True)
        except LookupError:
            importer = None
        headers = {c.key: c.header for c in importer.columns} if importer else {}
        ctx.update(progress=progress, percent=int(100 * progress.get("done", 0) / total) if total else 0,
                   importer=importer,
                   errors=[{**e, "header": headers.get(e.get("field"), "")} for e in job.errors_preview])
        return ctx


class ImportJobDetailView(JobMixin, DetailView):
    template_name = "registry/import/job_detail.html"

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and self.request.GET.get("partial"):
            return ["registry/import/_job_status.html"]
        return [self.template_name]


class ImportJobListView(LoginRequiredMixin, ListView):
    template_name = "registry/import/job_list.html"
    context_object_name = "jobs"
    paginate_by = 50

    def get_queryset(self):
        return ImportJob.objects.restrict(self.request.user).select_related("user")


class ImportJobErrorsView(LoginRequiredMixin, View):
    """The job's error file (CSV, UTF-8 with BOM)."""

    def get(self, request, pk):
        job = get_object_or_404(ImportJob.objects.restrict(request.user), pk=pk)
        if not job.errors_file:
            raise Http404(_("This import has no error file."))
        return FileResponse(job.errors_file.open("rb"), as_attachment=True,
                            filename=job.errors_file.name.rsplit("/", 1)[-1],
                            content_type="text/csv; charset=utf-8")


class ImportTemplateView(LoginRequiredMixin, View):
    """An empty file with the import columns (CSV or .xlsx)."""

    def get(self, request, kind, fmt):
        if kind not in IMPORTABLE or fmt not in ("csv", "xlsx"):
            raise Http404
        return template_response(IMPORTABLE[kind], fmt)
