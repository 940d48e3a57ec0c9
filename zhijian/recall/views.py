"""Pages of traceability and recalls (namespace ``recall``, mounted at ``/recall/``).

Lists, details and edits of lots and movements come from the generic views (rows
``restrict``-ed to the user's scope; outside it 404). The lot page draws the forward or backward
trace: the user's own lots in full, and of the lots next to them only the code and the holder,
as far as a movement they took part in. Recall-case steps post to one step view that calls
``services`` inside a transaction; refusals become messages on the case page.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from zhijian.core import views as generic
from zhijian.core.scope import ROLE_ENTERPRISE, scope_for

from . import forms, models, services
from . import trace as T
from .filtersets import LotFilterSet, MovementFilterSet, RecallCaseFilterSet, RecallRecordFilterSet
from .tables import LotTable, MovementTable, RecallCaseTable, RecallRecordTable


def error_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


def form_errors(form) -> ValidationError:
    return ValidationError([f"{form.fields[k].label}: {' '.join(v)}" if k in form.fields else " ".join(v)
                            for k, v in form.errors.items()])


# --------------------------------------------------------------------------- lots


class LotListView(generic.ObjectListView):
    model = models.Lot
    queryset = models.Lot.objects.select_related("operator", "product", "category")
    filterset_class = LotFilterSet
    table_class = LotTable
    filter_fields = ("category",)


def visible_trace(user, lot: models.Lot, direction: str, max_depth: int | None) -> dict:
    """The trace from ``lot`` as ``user`` may see it: lots in the user's scope in full; their
    direct neighbours along a traversed movement as code and holder only; nothing further."""
    result = T.trace_lots([lot.pk], direction, max_depth)
    visible = set(models.Lot.objects.restrict(user, "view").filter(pk__in=list(result.lots))
                  .values_list("pk", flat=True))
    edges = [e for e in result.edges if e.source in visible or e.target in visible]
    shown = visible | {e.source for e in edges} | {e.target for e in edges}
    lots = {x.pk: x for x in models.Lot.objects.filter(pk__in=shown).select_related("operator")}
    nodes = []
    for pk in sorted(shown, key=lambda p: (result.lots[p], p)):
        x = lots[pk]
        full = pk in visible
        nodes.append({"id": str(pk), "code": x.code, "operator": x.operator.name, "depth": result.lots[pk],
                      "full": full, "seed": pk == lot.pk,
                      "quantity": f"{x.quantity.normalize():f} {x.unit}".strip() if full else None,
                      "url": x.get_absolute_url() if full else None})
    kinds = dict(models.Movement.Kind.choices)
    links = [{"source": str(e.source), "target": str(e.target), "kind": str(kinds.get(e.kind, e.kind))}
             for e in edges]
    return {"nodes": nodes, "links": links, "hidden": len(result.lots) - len(shown),
            "direction": direction, "max_depth": max_depth}


class LotDetailView(generic.ObjectDetailView):
    model = models.Lot
    queryset = models.Lot.objects.select_related("operator", "product", "category")
    detail_fields = ("code", "operator", "product", "category", "description", "quantity", "unit", "produced_on")

    def get_extra_context(self, obj):
        direction = self.request.GET.get("direction", T.FORWARD)
        if direction not in T.DIRECTIONS:
            direction = T.FORWARD
        depth = self.request.GET.get("depth", "")
        max_depth = int(depth) if depth.isdigit() and int(depth) <= T.MAX_DEPTH else None
        graph = visible_trace(self.request.user, obj, direction, max_depth)
        return {"graph": graph, "direction": direction, "depth": "" if max_depth is None else max_depth,
                "outgoing": obj.outgoing.select_related("target__operator"),
                "incoming": obj.incoming.select_related("source__operator"),
                "own": scope_for(self.request.user).role != ROLE_ENTERPRISE
                or scope_for(self.request.user).enterprise_id == obj.operator_id}


class LotEditView(generic.ObjectEditView):
    model = models.Lot
    form_class = forms.LotForm


class LotDeleteView(generic.ObjectDeleteView):
    model = models.Lot


# --------------------------------------------------------------------------- movements


class MovementListView(generic.ObjectListView):
    model = models.Movement
    queryset = models.Movement.objects.select_related("source__operator", "target__operator")
    filterset_class = MovementFilterSet
    table_class = MovementTable
    filter_fields = ("kind",)


class MovementDetailView(generic.ObjectDetailView):
    model = models.Movement
    queryset = models.Movement.objects.select_related("source__operator", "target__operator")
    detail_fields = ("source", "kind", "target", "quantity", "moved_on", "document")

    def attributes(self, obj, names=None):
        rows = super().attributes(obj, names)
        # the other end's lot page is only for its holder (and staff of its region)
        visible = set(models.Lot.objects.restrict(self.request.user, "view")
                      .filter(pk__in=[obj.source_id, obj.target_id]).values_list("pk", flat=True))
        for row in rows:
            if row["name"] in ("source", "target"):
                lot = getattr(obj, row["name"])
                row["value"] = f"{lot.code} · {lot.operator.name}"
                if lot.pk not in visible:
                    row["url"] = None
        return rows


class MovementEditView(generic.ObjectEditView):
    model = models.Movement
    form_class = forms.MovementForm


class MovementDeleteView(generic.ObjectDeleteView):
    model = models.Movement


# --------------------------------------------------------------------------- recall cases


class RecallCaseListView(generic.ObjectListView):
    model = models.RecallCase
    queryset = models.RecallCase.objects.select_related("producer", "division")
    filterset_class = RecallCaseFilterSet
    table_class = RecallCaseTable
    filter_fields = ("status", "kind", "origin", "risk_level")


class RecallCaseAddView(generic.ScopedObjectMixin, View):
    """Open a case: a defect report, or (``?alert=``, ``?task=``, ``?incident=``) from a risk alert,
    an unqualified spot-check result or an incident, filled in from it."""

    model = models.RecallCase
    action = "add"
    template_name = "recall/recallcase_add.html"

    def origin(self):
        from zhijian.risk.models import Alert, Incident
        from zhijian.spotcheck.models import Task

        user = self.request.user
        params = self.request.GET if self.request.method == "GET" else self.request.POST
        for key, model, origin in (("alert", Alert, models.RecallCase.Origin.ALERT),
                                   ("task", Task, models.RecallCase.Origin.SPOTCHECK),
                                   ("incident", Incident, models.RecallCase.Origin.INCIDENT)):
            pk = params.get(key)
            if pk and str(pk).isdigit():
                return key, origin, get_object_or_404(model.objects.restrict(user, "view"), pk=pk)
        return None, models.RecallCase.Origin.DEFECT_REPORT, None

    def initial(self, key, source) -> dict:
        if key == "alert":
            return {"title": source.title, "category": source.category_id, "product_description": source.product,
                    "hazard": source.hazard, "defect": source.description}
        if key == "task":
            return {"producer": source.enterprise, "title": _("Unqualified result: %(product)s") % {
                "product": source.product or source.category}, "category": source.category_id,
                "product_description": str(source.product or source.category)}
        if key == "incident":
            return {"producer": source.enterprise, "title": str(source), "category": source.category_id,
                    "product_description": " ".join(x for x in (source.product_name, source.batch) if x),
                    "defect": source.description}
        return {}

    def render_form(self, form, key, source, status=200):
        return render(self.request, self.template_name, {
            **self.model_context(), "form": form, "source_key": key, "source": source,
            "title": _("Open a recall case")}, status=status)

    def get(self, request):
        key, _origin, source = self.origin()
        return self.render_form(forms.RecallCaseForm(user=request.user, initial=self.initial(key, source)),
                                key, source)

    def post(self, request):
        key, origin, source = self.origin()
        form = forms.RecallCaseForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(form, key, source)
        d = form.cleaned_data
        try:
            case = services.open_case(
                request.user, producer=d["producer"], title=d["title"], product_description=d["product_description"],
                defect=d["defect"], category=d.get("category"), hazard=d.get("hazard", ""), origin=origin,
                lots=d["lot_objects"], **({key: source} if key else {}))
        except ValidationError as exc:
            for message in error_messages(exc):
                form.add_error(None, message)
            return self.render_form(form, key, source)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("This is outside your scope."))
            return self.render_form(form, key, source, status=403)
        messages.success(request, _("Recall case %(number)s opened.") % {"number": case.number})
        return redirect(case.get_absolute_url())


CASE_FIELDS = ("number", "title", "status", "producer", "division", "category", "product", "product_description",
               "defect", "hazard", "origin", "alert", "incident", "task", "assessment", "risk_level", "opened_by",
               "opened_on", "investigation", "finding", "notified_on", "objection_due", "objection",
               "objection_filed_on", "objection_decision", "kind", "decided_on", "plan", "plan_registered_on",
               "plan_sent_on", "scope_quantity", "summary", "summary_filed_on", "closed_on", "closing_note",
               "notice_title", "published_at")


class RecallCaseDetailView(generic.ObjectDetailView):
    model = models.RecallCase
    queryset = models.RecallCase.objects.select_related("producer", "division", "category", "product", "alert",
                                                        "incident", "task", "assessment", "opened_by")
    detail_fields = CASE_FIELDS

    def attributes(self, obj, names=None):
        rows = super().attributes(obj, names)
        # links only where the user may follow them (the producer does not read the bureau's alerts)
        for row in rows:
            target = row["value"] if row["url"] else None
            if target is not None and hasattr(type(target).objects, "restrict") and not \
                    type(target).objects.restrict(self.request.user, "view").filter(pk=target.pk).exists():
                row["url"] = None
        return [r for r in rows if not (r["value"] in (None, "") and r["name"] not in ("status", "producer"))]

    def get_extra_context(self, obj):
        user = self.request.user
        steps = services.next_steps(obj, user)
        return {
            "steps": steps,
            "scope": services.scope_by_operator(obj),
            "affected_count": obj.affected.count(),
            "progress": obj.progress.select_related("user"),
            "totals": services.progress_totals(obj),
            "events": obj.events.select_related("user"),
            "record": models.RecallRecord.objects.filter(case=obj).first(),
            "text_form": forms.TextStepForm(),
            "scope_form": forms.ScopeForm(prefix="scope"),
            "progress_form": forms.ProgressForm(prefix="progress"),
            "notice_form": forms.NoticeForm(prefix="notice", initial={"title": obj.notice_title or obj.title,
                                                                      "text": obj.notice_text}),
            "assess_form": forms.AssessForm(user=user) if "assess" in steps else None,
            "edit_url": None, "delete_url": None,  # a case changes only through its steps
        }


class RecallCaseStepView(generic.ScopedObjectMixin, View):
    """POST one step of a case (``step`` in the URL)."""

    model = models.RecallCase

    def text_form(self, request):
        form = forms.TextStepForm(request.POST)
        if not form.is_valid():
            raise form_errors(form)
        return form.cleaned_data["text"], form.cleaned_data.get("on")

    def step(self, request, case, step):  # noqa: C901 — one branch per step
        user = request.user
        on = None
        if step == "investigate":
            text, _on = self.text_form(request)
            services.record_investigation(case, user, text=text)
        elif step == "assess":
            form = forms.AssessForm(request.POST, user=user)
            if not form.is_valid():
                raise form_errors(form)
            services.assess_case(case, user, assessment=form.cleaned_data["assessment"])
        elif step == "notify":
            text, on = self.text_form(request)
            services.notify_defect(case, user, finding=text, on=on)
        elif step == "object":
            text, on = self.text_form(request)
            services.file_objection(case, user, text=text, on=on)
        elif step in ("uphold", "reject"):
            text, on = self.text_form(request)
            services.decide_objection(case, user, upheld=step == "uphold", text=text, on=on)
        elif step == "voluntary":
            services.start_voluntary_recall(case, user)
        elif step == "order":
            services.order_recall(case, user)
        elif step == "scope":
            form = forms.ScopeForm(request.POST, prefix="scope")
            if not form.is_valid():
                raise form_errors(form)
            codes = forms.parse_lot_codes(form.cleaned_data["lots"])
            lots = None
            if codes:
                found = {lot.code: lot for lot in forms.lots_for(case.producer, codes)}
                missing = [c for c in codes if c not in found]
                if missing:
                    raise ValidationError(_("No such lot of the producer or its suppliers: %(codes)s.")
                                          % {"codes": ", ".join(missing)})
                lots = [found[c] for c in codes]
            services.compute_scope(case, user, lots=lots, max_depth=form.cleaned_data.get("max_depth"))
        elif step == "plan":
            text, on = self.text_form(request)
            services.register_plan(case, user, plan=text, on=on)
        elif step == "send":
            operators = services.send_plan(case, user)
            messages.success(request, _("The plan was sent to %(n)d operators.") % {"n": len(operators)})
            return
        elif step == "progress":
            form = forms.ProgressForm(request.POST, prefix="progress")
            if not form.is_valid():
                raise form_errors(form)
            d = form.cleaned_data
            services.report_progress(case, user, on=d.get("on"), text=d.get("text", ""),
                                     **{k: d[k] for k in services.FIGURES})
        elif step == "summary":
            text, on = self.text_form(request)
            services.file_summary(case, user, text=text, on=on)
        elif step == "close":
            services.close_case(case, user, note=request.POST.get("text", ""))
        elif step == "drop":
            services.drop_case(case, user, reason=request.POST.get("text", ""))
        elif step == "publish":
            form = forms.NoticeForm(request.POST, prefix="notice")
            if not form.is_valid():
                raise form_errors(form)
            services.publish_notice(case, user, **form.cleaned_data)
        else:
            raise Http404
        messages.success(request, _("Recall case updated."))

    def post(self, request, pk, step):
        case = get_object_or_404(models.RecallCase.objects.restrict(request.user, "view"), pk=pk)
        try:
            self.step(request, case, step)
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("This is outside your scope."))
        return redirect(case.get_absolute_url())


# --------------------------------------------------------------------------- public records (staff view)


class RecallRecordListView(generic.ObjectListView):
    model = models.RecallRecord
    queryset = models.RecallRecord.objects.select_related("enterprise")
    filterset_class = RecallRecordFilterSet
    table_class = RecallRecordTable
    filter_fields = ("classification", "status", "voluntary_mandated", "source")


RECORD_FIELDS = ("recall_number", "event_id", "classification", "status", "product_description", "product_code",
                 "product_quantity", "code_info", "reason_for_recall", "hazard", "distribution_pattern",
                 "recalling_firm", "enterprise", "city", "state", "country", "voluntary_mandated",
                 "initial_firm_notification", "recall_initiation_date", "center_classification_date",
                 "termination_date", "report_date", "source", "case", "published")


class RecallRecordDetailView(generic.ObjectDetailView):
    model = models.RecallRecord
    queryset = models.RecallRecord.objects.select_related("enterprise", "case")
    detail_fields = RECORD_FIELDS

    def attributes(self, obj, names=None):
        rows = super().attributes(obj, names)
        if obj.case_id and not models.RecallCase.objects.restrict(self.request.user, "view").filter(
                pk=obj.case_id).exists():
            rows = [r for r in rows if r["name"] != "case"]  # the case behind a public record is not public
        return rows
