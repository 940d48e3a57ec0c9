"""Credit pages: grades with their explanation ("why is my grade B?")."""
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View

from zhijian.core.querysets import scope_q
from zhijian.core.scope import ROLE_ENTERPRISE, scope_for
from zhijian.core.views import ObjectDetailView, ObjectListView

from . import filtersets, models, tables

GROUP_LABELS = dict(models.IndicatorGroup.choices)


def event_type_labels() -> dict[str, str]:
    """Event-type code -> its name in the active language (the latest version's name)."""
    labels = {}
    for t in models.EventType.objects.order_by("code", "valid_from").only("code", "name", "name_zh"):
        labels[t.code] = t.label
    return labels


class GradeListView(ObjectListView):
    model = models.Grade
    queryset = models.Grade.objects.select_related("enterprise", "method")
    filterset_class = filtersets.GradeFilterSet
    table_class = tables.FlaggedGradeTable  # with the enterprise flags (serious-violation list)
    filter_fields = ("grade", "risk_class", "run")


class GradeDetailView(ObjectDetailView):
    model = models.Grade
    queryset = models.Grade.objects.select_related("enterprise", "method", "run")
    template_name = "credit/grade_detail.html"
    detail_fields = ("enterprise", "score", "grade", "risk_class", "method", "as_of", "computed_at")

    def get_extra_context(self, obj) -> dict:
        ex = obj.explanation or {}
        groups = [{"key": k, "label": GROUP_LABELS.get(k, k), **v} for k, v in (ex.get("groups") or {}).items()]
        types = event_type_labels()
        events = [{**e, "type_label": types.get(e["type"], e["type"]),
                   "group_label": GROUP_LABELS.get(e["group"], e["group"])}
                  for e in sorted(ex.get("events") or [], key=lambda e: (e["group"], e["date"]))]
        return {"groups": groups, "events": events, "rule": ex.get("rule", ""),
                "grade_class": ex.get("grade_class", ""), "bands": ex.get("grade_bands") or {},
                **credit_records(self.request.user, obj.enterprise_id)}


class MyGradeView(View):
    """An enterprise user's own latest grade."""

    def get(self, request):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        scope = scope_for(request.user)
        if scope.role != ROLE_ENTERPRISE or scope.enterprise_id is None:
            return redirect("credit:grade_list")
        grade = (models.Grade.objects.restrict(request.user, "view")
                 .filter(enterprise_id=scope.enterprise_id).order_by("-computed_at", "-id").first())
        if grade is None:
            # Not graded yet: its lists and penalty publications (and repair) all the same.
            return redirect("credit:mine_records")
        return redirect("credit:grade_detail", grade.pk)


# =========================================================================== blacklist, publication, repair
# Staff pages for the serious-violation and abnormal-operation lists and penalty publication;
# repair applications (the enterprise applies, an officer in scope decides). Objects come from
# ``restrict(user, action)`` (outside the scope: 404); the writes are ``services_listing``'s,
# which check the rules again in one transaction and are audited by the change log.

from django.utils import timezone  # noqa: E402
from django.contrib import messages  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.db import transaction  # noqa: E402
from django.shortcuts import get_object_or_404, render  # noqa: E402
from django.urls import reverse  # noqa: E402

from zhijian.core.views import ScopedObjectMixin  # noqa: E402

from . import forms as credit_forms  # noqa: E402
from . import services_listing  # noqa: E402
from .publication import active_listing_q, published_penalties_q  # noqa: E402


def add_errors(form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form, by field where the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message if target or field == "__all__" else f"{field}: {message}")
    else:
        for message in exc.messages:
            form.add_error(None, message)


def error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(f"{m}" for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


class CreditFormView(ScopedObjectMixin, View):
    """A form page that hands its cleaned data to a service (no generic model form)."""

    template_name = "credit/form.html"
    form_class = None
    title = ""

    def form_kwargs(self) -> dict:
        return {}

    def render_form(self, form, status=200, **extra):
        context = {**self.model_context(), "form": form, "title": self.title,
                   "return_url": self.return_url(), **extra}
        return render(self.request, self.template_name, context, status=status)

    def return_url(self):
        return self.url_or_none("list") or "/"


# --------------------------------------------------------------------------- listings

LISTING_QS = models.EnterpriseListing.objects.select_related("enterprise")


def listing_url(listing):
    return reverse("credit:enterpriselisting_detail", args=[listing.pk])


class ListingListView(ObjectListView):
    model = models.EnterpriseListing
    queryset = LISTING_QS
    filterset_class = filtersets.ListingFilterSet
    table_class = tables.ListingTable
    filter_fields = ("kind", "in_force", "removal")


class ListingDetailView(ObjectDetailView):
    model = models.EnterpriseListing
    queryset = LISTING_QS
    template_name = "credit/enterpriselisting_detail.html"
    detail_fields = ("enterprise", "kind", "start", "planned_end", "reason", "legal_basis", "end",
                     "removal", "removal_note")

    def get_extra_context(self, obj):
        user = self.request.user
        in_force = models.EnterpriseListing.objects.filter(pk=obj.pk).filter(active_listing_q()).exists()
        can_change = self.can("change") and models.EnterpriseListing.objects.is_allowed(user, "change", obj)
        return {
            "in_force": in_force,
            "remove_url": (reverse("credit:enterpriselisting_remove", args=[obj.pk])
                           if can_change and obj.end is None else None),
            "repairs": (models.RepairApplication.objects.restrict(user, "view").filter(listing=obj)
                        .order_by("-applied_on", "-id")),
            "repair_url": repair_apply_url(user, obj),
        }


class ListingAddView(CreditFormView):
    model = models.EnterpriseListing
    action = "add"
    form_class = credit_forms.ListingForm

    @property
    def title(self):
        return _("Enter an enterprise on a list")

    def get(self, request):
        initial = {k: v for k, v in request.GET.items() if k in ("enterprise", "kind")}
        return self.render_form(self.form_class(initial=initial, user=request.user))

    def post(self, request):
        form = self.form_class(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(form)
        d = form.cleaned_data
        try:
            with transaction.atomic():
                listing = services_listing.enter_listing(
                    d["enterprise"], d["kind"], d["start"], d["reason"], d["legal_basis"],
                    planned_end=d["planned_end"])
                if not models.EnterpriseListing.objects.is_allowed(request.user, "add", listing):
                    raise PermissionDenied(_("The entry would be outside your scope; nothing was saved."))
        except ValidationError as exc:
            add_errors(form, exc)
            return self.render_form(form)
        messages.success(request, _("Entered %(enterprise)s on the %(list)s.") % {
            "enterprise": listing.enterprise, "list": listing.get_kind_display()})
        return redirect(listing_url(listing))


class ListingRemoveView(CreditFormView):
    model = models.EnterpriseListing
    action = "change"
    form_class = credit_forms.ListingRemovalForm

    @property
    def title(self):
        return _("Remove from the list")

    def get_object(self, pk):
        return get_object_or_404(self.get_queryset("change").select_related("enterprise"), pk=pk)

    def return_url(self):
        return listing_url(self.object)

    def get(self, request, pk):
        self.object = self.get_object(pk)
        return self.render_form(self.form_class(), object=self.object)

    def post(self, request, pk):
        self.object = self.get_object(pk)
        form = self.form_class(request.POST)
        if not form.is_valid():
            return self.render_form(form, object=self.object)
        d = form.cleaned_data
        try:
            services_listing.remove_listing(self.object, d["end"], d["removal"], d["removal_note"])
        except ValidationError as exc:
            add_errors(form, exc)
            return self.render_form(form, object=self.object)
        messages.success(request, _("Removed from the list on %(date)s.") % {"date": d["end"]})
        return redirect(listing_url(self.object))


# --------------------------------------------------------------------------- penalty publications

PENALTY_QS = models.PenaltyPublication.objects.select_related("enterprise")
PENALTY_STEPS = {"publish": services_listing.publish_penalty, "revoke": services_listing.revoke_penalty,
                 "withdraw": services_listing.withdraw_penalty}


def penalty_url(pub):
    return reverse("credit:penaltypublication_detail", args=[pub.pk])


def penalty_steps(pub) -> list[str]:
    """The steps that apply to a publication in its present state."""
    steps = []
    if not pub.published_on and not pub.revoked_on:
        steps.append("publish")
    if not pub.revoked_on:
        steps.append("revoke")
    if pub.revoked_on and pub.published_on and not pub.withdrawn_on:
        steps.append("withdraw")
    return steps


class PenaltyListView(ObjectListView):
    model = models.PenaltyPublication
    queryset = PENALTY_QS
    filterset_class = filtersets.PenaltyPublicationFilterSet
    table_class = tables.PenaltyPublicationTable
    filter_fields = ("severity", "state")


class PenaltyDetailView(ObjectDetailView):
    model = models.PenaltyPublication
    queryset = PENALTY_QS
    template_name = "credit/penaltypublication_detail.html"
    detail_fields = ("enterprise", "decision_number", "decision_date", "authority", "severity", "sector",
                     "violation", "penalty", "legal_basis", "publish_by", "published_on", "publish_until",
                     "revoked_on", "withdraw_by", "withdrawn_on", "withdrawal_reason")

    def get_extra_context(self, obj):
        user = self.request.user
        can_change = self.can("change") and models.PenaltyPublication.objects.is_allowed(user, "change", obj)
        labels = {"publish": _("Publish"), "revoke": _("Record revocation of the penalty"),
                  "withdraw": _("Withdraw from publication (revoked)")}
        steps = [{"name": s, "label": labels[s], "form": credit_forms.DateActionForm(prefix=s),
                  "url": reverse("credit:penaltypublication_step", args=[obj.pk, s])}
                 for s in penalty_steps(obj)] if can_change else []
        public_now = models.PenaltyPublication.objects.filter(pk=obj.pk).filter(published_penalties_q()).exists()
        return {
            "steps": steps, "public_now": public_now,
            "repairs": (models.RepairApplication.objects.restrict(user, "view").filter(penalty=obj)
                        .order_by("-applied_on", "-id")),
            "repair_url": repair_apply_url(user, obj),
        }


class PenaltyAddView(CreditFormView):
    model = models.PenaltyPublication
    action = "add"
    form_class = credit_forms.PenaltyForm

    @property
    def title(self):
        return _("Register a penalty decision for publication")

    def get(self, request):
        initial = {k: v for k, v in request.GET.items() if k == "enterprise"}
        return self.render_form(self.form_class(initial=initial, user=request.user))

    def post(self, request):
        form = self.form_class(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(form)
        d = dict(form.cleaned_data)
        enterprise = d.pop("enterprise")
        try:
            with transaction.atomic():
                pub = services_listing.register_penalty(enterprise, **d)
                if not models.PenaltyPublication.objects.is_allowed(request.user, "add", pub):
                    raise PermissionDenied(_("The penalty would be outside your scope; nothing was saved."))
        except ValidationError as exc:
            add_errors(form, exc)
            return self.render_form(form)
        messages.success(request, _("Registered %(number)s; publish it by %(date)s.") % {
            "number": pub.decision_number, "date": pub.publish_by})
        return redirect(penalty_url(pub))


class PenaltyStepView(ScopedObjectMixin, View):
    """POST: publish, record revocation, withdraw (a date each)."""

    model = models.PenaltyPublication
    action = "change"

    def post(self, request, pk, step):
        if step not in PENALTY_STEPS:
            raise Http404(step)
        pub = get_object_or_404(self.get_queryset("change"), pk=pk)
        form = credit_forms.DateActionForm(request.POST, prefix=step)
        if not form.is_valid():
            messages.error(request, _("Give a valid date."))
            return redirect(penalty_url(pub))
        try:
            PENALTY_STEPS[step](pub, form.cleaned_data["on"])
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, {"publish": _("Published."), "revoke": _("Revocation recorded."),
                                       "withdraw": _("Withdrawn from publication.")}[step])
        return redirect(penalty_url(pub))


# --------------------------------------------------------------------------- credit repair

REPAIR_QS = models.RepairApplication.objects.select_related("enterprise", "penalty", "listing", "reviewed_by")


def repair_url(application):
    return reverse("credit:repairapplication_detail", args=[application.pk])


def repair_apply_url(user, target) -> str | None:
    """The enterprise's "apply for repair" link for ``target`` when it may apply today."""
    scope = scope_for(user)
    if scope.role != ROLE_ENTERPRISE or scope.enterprise_id != target.enterprise_id:
        return None
    if not user.has_perm("credit.add_repairapplication"):
        return None
    if services_listing.repair_refusal(target) is not None:
        return None
    key = "penalty" if isinstance(target, models.PenaltyPublication) else "listing"
    return f"{reverse('credit:repair_apply')}?{key}={target.pk}"


class RepairListView(ObjectListView):
    model = models.RepairApplication
    queryset = REPAIR_QS
    filterset_class = filtersets.RepairApplicationFilterSet
    table_class = tables.RepairApplicationTable
    filter_fields = ("status",)


class RepairDetailView(ObjectDetailView):
    model = models.RepairApplication
    queryset = REPAIR_QS
    template_name = "credit/repairapplication_detail.html"
    detail_fields = ("enterprise", "penalty", "listing", "applied_on", "statement", "commitment", "status",
                     "reviewed_by", "reviewed_on", "decision_reason")

    def attributes(self, obj):
        rows = super().attributes(obj)
        urls = {"penalty": penalty_url(obj.penalty) if obj.penalty_id else None,
                "listing": listing_url(obj.listing) if obj.listing_id else None}
        for row in rows:
            if row["name"] in urls:
                row["url"] = urls[row["name"]]
        return [r for r in rows if r["name"] not in urls or r["value"] is not None]

    def get_extra_context(self, obj):
        user = self.request.user
        scope = scope_for(user)
        can_review = (obj.status == models.RepairApplication.Status.SUBMITTED and self.can("change")
                      and (scope.unrestricted or scope.role in services_listing.REPAIR_STAFF_ROLES)
                      and models.RepairApplication.objects.is_allowed(user, "change", obj))
        return {"review_form": credit_forms.RepairReviewForm() if can_review else None,
                "review_url": reverse("credit:repairapplication_review", args=[obj.pk])}


class RepairReviewView(ScopedObjectMixin, View):
    model = models.RepairApplication
    action = "change"

    def post(self, request, pk):
        application = get_object_or_404(self.get_queryset("change"), pk=pk)
        form = credit_forms.RepairReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose approve or reject and give the reason."))
            return redirect(repair_url(application))
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services_listing.review_repair(application, request.user, approve, form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            if not approve:
                messages.success(request, _("Rejected."))
            elif application.penalty_id:
                messages.success(request, _("Approved: the penalty is withdrawn from publication."))
            else:
                messages.success(request, _("Approved: the enterprise is removed from the list."))
        return redirect(repair_url(application))


class RepairApplyView(CreditFormView):
    """The enterprise applies for credit repair of one of its publications or listings."""

    model = models.RepairApplication
    action = "add"
    form_class = credit_forms.RepairApplicationForm
    template_name = "credit/repair_apply.html"

    @property
    def title(self):
        return _("Apply for credit repair")

    def get_target(self):
        scope = scope_for(self.request.user)
        if scope.role != ROLE_ENTERPRISE or scope.enterprise_id is None:
            raise PermissionDenied(_("Only the enterprise itself applies for credit repair."))
        params = self.request.POST if self.request.method == "POST" else self.request.GET
        for key, model in (("penalty", models.PenaltyPublication), ("listing", models.EnterpriseListing)):
            value = params.get(key)
            if value:
                if not str(value).isdigit():
                    raise Http404(key)
                return get_object_or_404(model.objects.restrict(self.request.user, "view")
                                         .filter(enterprise_id=scope.enterprise_id)
                                         .select_related("enterprise"), pk=value)
        raise Http404(_("Choose the penalty publication or list entry to repair."))

    def return_url(self):
        return reverse("credit:mine")

    def render_target(self, form, target, status=200):
        key = "penalty" if isinstance(target, models.PenaltyPublication) else "listing"
        return self.render_form(form, status=status, target=target, target_key=key,
                                refusal=services_listing.repair_refusal(target),
                                earliest=services_listing.earliest_repair_date(target))

    def get(self, request):
        target = self.get_target()
        return self.render_target(self.form_class(), target)

    def post(self, request):
        target = self.get_target()
        form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_target(form, target)
        d = form.cleaned_data
        try:
            application = services_listing.apply_for_repair(request.user, target, d["statement"],
                                                             d["commitment"], d.get("evidence"))
        except ValidationError as exc:
            add_errors(form, exc)
            return self.render_target(form, target)
        messages.success(request, _("Your application was submitted; an officer will review it."))
        return redirect(repair_url(application))


def credit_records(user, enterprise_id) -> dict:
    """An enterprise's lists and penalty publications as ``user`` may see them, with repair links."""
    listings = list(models.EnterpriseListing.objects.restrict(user, "view")
                    .filter(enterprise_id=enterprise_id).order_by("-start", "-id"))
    penalties = list(models.PenaltyPublication.objects.restrict(user, "view")
                     .filter(enterprise_id=enterprise_id).order_by("-decision_date", "-id"))
    today = timezone.localdate()
    active = set(models.EnterpriseListing.objects.filter(pk__in=[x.pk for x in listings])
                 .filter(active_listing_q()).values_list("pk", flat=True))
    public = set(models.PenaltyPublication.objects.filter(pk__in=[p.pk for p in penalties])
                 .filter(published_penalties_q()).values_list("pk", flat=True))
    open_apps = {}
    for a in models.RepairApplication.objects.restrict(user, "view").filter(
            enterprise_id=enterprise_id, status=models.RepairApplication.Status.SUBMITTED):
        open_apps[("penalty", a.penalty_id) if a.penalty_id else ("listing", a.listing_id)] = a
    for x in listings:
        x.in_force = x.pk in active
        x.open_application = open_apps.get(("listing", x.pk))
        x.repair_url = repair_apply_url(user, x) if x.in_force and not x.open_application else None
        x.earliest_repair = services_listing.earliest_repair_date(x) if x.in_force else None
    for p in penalties:
        p.public_now = p.pk in public
        p.open_application = open_apps.get(("penalty", p.pk))
        p.repair_url = repair_apply_url(user, p) if p.public_now and not p.open_application else None
        p.earliest_repair = services_listing.earliest_repair_date(p) if p.public_now else None
    return {"credit_listings": listings, "credit_penalties": penalties, "today": today,
            "show_records": scope_q(models.PenaltyPublication, user, "view") is not None}


class MyCreditView(View):
    """An enterprise user's credit without a grade yet: its lists and penalty publications."""

    def get(self, request):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        scope = scope_for(request.user)
        if scope.role != ROLE_ENTERPRISE or scope.enterprise_id is None:
            return redirect("credit:grade_list")
        return render(request, "credit/my_credit.html", credit_records(request.user, scope.enterprise_id))


class RepairEvidenceView(ScopedObjectMixin, View):
    """The evidence file of a repair application, for whoever may see the application."""

    model = models.RepairApplication
    action = "view"

    def check_access(self, request):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        return super().check_access(request)

    def get(self, request, pk):
        import mimetypes

        from django.http import FileResponse

        application = get_object_or_404(self.get_queryset("view"), pk=pk)
        if not application.evidence:
            raise Http404
        name = application.evidence.name.rsplit("/", 1)[-1]
        return FileResponse(application.evidence.open("rb"), as_attachment=True, filename=name,
                            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream")
