"""Traceability and defective-product recalls (seed 二(二)1; DESIGN §3, §6.9).

* ``Lot`` — a batch of a product or material held by one operator (producer, supplier,
  distributor, retailer); ``Movement`` — an edge of the traceability graph: a material lot
  consumed into a product lot (``input``) or a lot delivered to another operator, whose
  received lot is the target (``shipment``). Traces run over the graph in ``trace.py``.
* ``RecallCase`` — the workflow aggregate: investigation, risk assessment, the defect finding
  and the producer's objection window, voluntary or ordered recall, plan, scope from the graph
  (``AffectedLot``), staged progress (``ProgressReport``), summary and closure, with its typed
  history (``RecallEvent``).
* ``RecallRecord`` — the public record of one recall, openFDA enforcement-style; created or
  updated from a case when its notice is published, or imported.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhijian.complaints.hazards import HAZARDS
from zhijian.core.models import ChangeLoggedModel, ScopedModel, TimestampedModel
from zhijian.core.querysets import RestrictedQuerySet, scope_q
from zhijian.risk.models import HistoryEvent, RiskLevel

# --------------------------------------------------------------------------- traceability


class Lot(ScopedModel, TimestampedModel):
    """A batch (lot) of a product or a material held by one operator."""

    code = models.CharField(_("lot code"), max_length=64, help_text=_("Batch or lot number as printed."))
    operator = models.ForeignKey("registry.Enterprise", models.PROTECT, related_name="lots",
                                 verbose_name=_("holder"),
                                 help_text=_("The operator holding the lot: producer, supplier, distributor or retailer."))
    product = models.ForeignKey("registry.Product", models.SET_NULL, null=True, blank=True,
                                related_name="lots", verbose_name=_("product"))
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, null=True, blank=True,
                                 related_name="lots", verbose_name=_("product category"))
    description = models.CharField(_("description"), max_length=255, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=16, decimal_places=3, default=0,
                                   validators=[MinValueValidator(0)])
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    produced_on = models.DateField(_("produced on"), null=True, blank=True)

    scope_division = "operator__division"
    scope_enterprise = "operator_id"

    class Meta:
        ordering = ["operator_id", "code"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [models.UniqueConstraint(fields=["operator", "code"], name="recall_lot_operator_code")]

    def __str__(self):
        return self.code


class _TargetSide:
    """The scope paths of a movement's receiving side (``MovementQuerySet.restrict``)."""

    scope_division = "target__operator__division"
    scope_enterprise = "target__operator_id"
    scope_lab = None
    scope_inspector = None

    @staticmethod
    def public_q():
        return None


class MovementQuerySet(RestrictedQuerySet):
    def restrict(self, user, action: str = "view"):
        """A movement is in scope when either end is: the shipping and the receiving operator
        (and their divisions) both see it."""
        source = scope_q(self.model, user, action)
        if source is None:
            return self.none()
        if not source:
            return self
        side = _TargetSide()
        side._meta = self.model._meta
        target = scope_q(side, user, action)
        q = source | target if target else source
        return self.filter(q)


class Movement(ScopedModel, TimestampedModel):
    """An edge of the traceability graph, from ``source`` to ``target``."""

    class Kind(models.TextChoices):
        INPUT = "input", _("material consumed into a product lot")
        SHIPMENT = "shipment", _("shipped to another operator")
        REPACK = "repack", _("split, merged or repacked")
        RETURN = "return", _("returned")

    source = models.ForeignKey(Lot, models.CASCADE, related_name="outgoing", verbose_name=_("from lot"))
    target = models.ForeignKey(Lot, models.CASCADE, related_name="incoming", verbose_name=_("to lot"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=16, decimal_places=3, default=0,
                                   validators=[MinValueValidator(0)])
    moved_on = models.DateField(_("date"), null=True, blank=True)
    document = models.CharField(_("document"), max_length=64, blank=True,
                                help_text=_("Delivery note, invoice or production order number."))

    scope_division = "source__operator__division"
    scope_enterprise = "source__operator_id"

    objects = models.Manager.from_queryset(MovementQuerySet)()

    class Meta:
        ordering = ["moved_on", "id"]
        verbose_name = _("movement")
        verbose_name_plural = _("movements")
        constraints = [models.CheckConstraint(condition=~Q(source=models.F("target")),
                                              name="recall_movement_not_a_loop")]
        indexes = [models.Index(fields=["source", "target"]), models.Index(fields=["target", "source"])]

    def __str__(self):
        return f"{self.source} → {self.target}"

    def clean(self):
        errors = {}
        # the target may be a received lot not saved yet (the movement form creates it)
        source = self.source if self.source_id or Movement.source.is_cached(self) else None
        target = self.target if self.target_id or Movement.target.is_cached(self) else None
        if source is not None and target is not None:
            if source.pk is not None and source.pk == target.pk:
                errors["target"] = _("A lot cannot move into itself.")
            else:
                same = source.operator_id == target.operator_id
                if self.kind == self.Kind.INPUT and not same:
                    errors["kind"] = _("A material lot is consumed into a product lot of the same operator; "
                                       "a lot going to another operator is a shipment.")
                if self.kind == self.Kind.SHIPMENT and same:
                    errors["kind"] = _("A shipment goes to another operator's lot.")
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self):
        return reverse("recall:movement_detail", args=[self.pk])


# --------------------------------------------------------------------------- recall cases


class RecallCase(ScopedModel, TimestampedModel):
    """A defective-product recall case, from the first report to closure."""

    class Origin(models.TextChoices):
        DEFECT_REPORT = "defect_report", _("defect report")
        ALERT = "alert", _("risk alert")
        SPOTCHECK = "spotcheck", _("spot-check result")
        INCIDENT = "incident", _("major quality incident")

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", _("under investigation")
        NOTIFIED = "notified", _("defect finding notified, objection window open")
        OBJECTED = "objected", _("objection under review")
        RECALLING = "recalling", _("recall under way")
        SUMMARISED = "summarised", _("summary report filed")
        CLOSED = "closed", _("closed")
        DROPPED = "dropped", _("closed without a recall")

    ENDED = (Status.CLOSED, Status.DROPPED)

    class Kind(models.TextChoices):
        VOLUNTARY = "voluntary", _("voluntary recall")
        ORDERED = "ordered", _("ordered recall")

    number = models.CharField(_("case number"), max_length=24, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="recall_cases",
                                 verbose_name=_("handling division"))
    producer = models.ForeignKey("registry.Enterprise", models.PROTECT, related_name="recall_cases",
                                 verbose_name=_("producer"))
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, null=True, blank=True,
                                 related_name="recall_cases", verbose_name=_("product category"))
    product = models.ForeignKey("registry.Product", models.SET_NULL, null=True, blank=True,
                                related_name="recall_cases", verbose_name=_("product"))
    product_description = models.CharField(_("product (brand, model, batches)"), max_length=255)
    defect = models.TextField(_("defect"))
    hazard = models.CharField(_("hazard"), max_length=32, choices=HAZARDS, blank=True)
    origin = models.CharField(_("opened from"), max_length=16, choices=Origin.choices)
    alert = models.ForeignKey("risk.Alert", models.SET_NULL, null=True, blank=True,
                              related_name="recall_cases", verbose_name=_("risk alert"))
    incident = models.ForeignKey("risk.Incident", models.SET_NULL, null=True, blank=True,
                                 related_name="recall_cases", verbose_name=_("incident"))
    task = models.ForeignKey("spotcheck.Task", models.SET_NULL, null=True, blank=True,
                             related_name="recall_cases", verbose_name=_("spot-check task"))
    assessment = models.ForeignKey("risk.RiskAssessment", models.SET_NULL, null=True, blank=True,
                                   related_name="recall_cases", verbose_name=_("risk assessment"))
    risk_level = models.CharField(_("risk level"), max_length=1, choices=RiskLevel.choices, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.INVESTIGATING, db_index=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("opened by"))
    opened_on = models.DateField(_("opened on"))
    investigation = models.TextField(_("investigation findings"), blank=True)
    # defect finding and objection (消费品召回管理暂行规定 / 缺陷汽车产品召回管理条例 Art. 15)
    finding = models.TextField(_("defect finding"), blank=True)
    notified_on = models.DateField(_("finding notified on"), null=True, blank=True)
    objection_due = models.DateField(_("objection due by"), null=True, blank=True)
    objection = models.TextField(_("objection"), blank=True)
    objection_filed_on = models.DateField(_("objection filed on"), null=True, blank=True)
    objection_decision = models.TextField(_("decision on the objection"), blank=True)
    # recall
    kind = models.CharField(_("recall kind"), max_length=16, choices=Kind.choices, blank=True)
    decided_on = models.DateField(_("recall decided on"), null=True, blank=True)
    plan = models.TextField(_("recall plan"), blank=True)
    plan_registered_on = models.DateField(_("plan registered on"), null=True, blank=True)
    plan_sent_on = models.DateField(_("plan sent to sellers on"), null=True, blank=True)
    scope_quantity = models.DecimalField(_("units in scope"), max_digits=16, decimal_places=3, default=0)
    scope_computed_at = models.DateTimeField(_("scope computed at"), null=True, blank=True)
    summary = models.TextField(_("summary report"), blank=True)
    summary_filed_on = models.DateField(_("summary report filed on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    notice_title = models.CharField(_("notice title"), max_length=200, blank=True)
    notice_text = models.TextField(_("notice text"), blank=True)
    published_at = models.DateTimeField(_("notice published at"), null=True, blank=True)

    scope_division = "division"
    scope_enterprise = "producer_id"

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("recall case")
        verbose_name_plural = _("recall cases")

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("recall:recallcase_detail", args=[self.pk])


class AffectedLot(models.Model):
    """One lot of a case's scope: a lot found defective (depth 0) or one reached from it by the
    forward trace (the product lots it went into, the lots it was shipped as)."""

    case = models.ForeignKey(RecallCase, models.CASCADE, related_name="affected", verbose_name=_("case"))
    lot = models.ForeignKey(Lot, models.PROTECT, related_name="+", verbose_name=_("lot"))
    operator = models.ForeignKey("registry.Enterprise", models.PROTECT, related_name="+",
                                 verbose_name=_("holder"))
    depth = models.PositiveIntegerField(_("steps from a defective lot"))
    quantity = models.DecimalField(_("quantity"), max_digits=16, decimal_places=3)
    notified_on = models.DateField(_("plan sent on"), null=True, blank=True)

    class Meta:
        ordering = ["depth", "operator_id", "lot_id"]
        verbose_name = _("affected lot")
        constraints = [models.UniqueConstraint(fields=["case", "lot"], name="recall_affected_lot_once")]

    def __str__(self):
        return f"{self.case_id} {self.lot_id}"


class ProgressReport(ChangeLoggedModel):
    """A staged progress report of the producer; the figures are cumulative."""

    case = models.ForeignKey(RecallCase, models.CASCADE, related_name="progress", verbose_name=_("case"))
    reported_on = models.DateField(_("reported on"))
    located = models.DecimalField(_("units located"), max_digits=16, decimal_places=3, default=0,
                                  validators=[MinValueValidator(0)])
    recovered = models.DecimalField(_("units recovered"), max_digits=16, decimal_places=3, default=0,
                                    validators=[MinValueValidator(0)])
    repaired = models.DecimalField(_("units repaired or replaced"), max_digits=16, decimal_places=3,
                                   default=0, validators=[MinValueValidator(0)])
    destroyed = models.DecimalField(_("units destroyed"), max_digits=16, decimal_places=3, default=0,
                                    validators=[MinValueValidator(0)])
    text = models.TextField(_("report"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("reported by"))

    class Meta:
        ordering = ["reported_on", "id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")

    def __str__(self):
        return f"{self.case_id} {self.reported_on}"


class RecallEvent(HistoryEvent):
    """A typed event in a recall case's history."""

    class Type(models.TextChoices):
        OPENED = "opened", _("opened")
        INVESTIGATED = "investigated", _("investigation recorded")
        ASSESSED = "assessed", _("risk assessed")
        NOTIFIED = "notified", _("defect finding notified to the producer")
        OBJECTED = "objected", _("objection filed")
        OBJECTION_UPHELD = "objection_upheld", _("objection upheld")
        OBJECTION_REJECTED = "objection_rejected", _("objection rejected")
        RECALL_VOLUNTARY = "recall_voluntary", _("voluntary recall")
        RECALL_ORDERED = "recall_ordered", _("recall ordered")
        SCOPE_COMPUTED = "scope_computed", _("scope computed from the traceability graph")
        PLAN_REGISTERED = "plan_registered", _("recall plan registered")
        PLAN_SENT = "plan_sent", _("recall plan sent to sellers")
        PROGRESS = "progress", _("progress reported")
        SUMMARY = "summary", _("summary report filed")
        PUBLISHED = "published", _("notice published")
        CLOSED = "closed", _("closed")
        DROPPED = "dropped", _("closed without a recall")

    case = models.ForeignKey(RecallCase, models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=Type.choices)

    class Meta(HistoryEvent.Meta):
        pass

    def __str__(self):
        return f"{self.case_id} {self.type}"


# --------------------------------------------------------------------------- public record


class RecallRecord(ScopedModel, TimestampedModel):
    """The public record of one recall, after openFDA's enforcement reports (DESIGN §6.9).

    ``classification`` follows from the risk level of the case: serious risk → class I (一级,
    a reasonable probability of serious harm or death), high risk → class II (二级, temporary
    or reversible harm, or a remote chance of serious harm), medium or low risk → class III
    (三级, harm unlikely; a non-conformity that is not a safety hazard). See ``docs/recall.md``.
    """

    class Classification(models.TextChoices):
        I = "I", _("class I")
        II = "II", _("class II")
        III = "III", _("class III")

    class Status(models.TextChoices):
        ONGOING = "ongoing", _("ongoing")
        COMPLETED = "completed", _("completed")
        TERMINATED = "terminated", _("terminated")
        PENDING = "pending", _("pending")

    class VoluntaryMandated(models.TextChoices):
        VOLUNTARY = "voluntary", _("voluntary recall")
        ORDERED = "ordered", _("ordered recall")

    class Source(models.TextChoices):
        CASE = "case", _("recall case on this platform")
        IMPORTED = "imported", _("imported")

    # risk level (RiskLevel) → classification
    CLASSIFICATION_BY_RISK = {"S": "I", "H": "II", "M": "III", "L": "III"}

    recall_number = models.CharField(_("recall number"), max_length=32, unique=True)
    event_id = models.CharField(_("event id"), max_length=32, blank=True, db_index=True)
    classification = models.CharField(_("classification"), max_length=3, choices=Classification.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ONGOING,
                              db_index=True)
    product_description = models.TextField(_("product description"))
    product_code = models.CharField(_("product code"), max_length=255, blank=True)
    product_quantity = models.CharField(_("product quantity"), max_length=255, blank=True)
    code_info = models.TextField(_("lot or batch codes"), blank=True)
    reason_for_recall = models.TextField(_("reason for recall"))
    hazard = models.CharField(_("hazard"), max_length=32, choices=HAZARDS, blank=True)
    distribution_pattern = models.TextField(_("distribution pattern"), blank=True)
    recalling_firm = models.CharField(_("recalling firm"), max_length=255)
    enterprise = models.ForeignKey("registry.Enterprise", models.SET_NULL, null=True, blank=True,
                                   related_name="recall_records", verbose_name=_("enterprise"))
    city = models.CharField(_("city"), max_length=64, blank=True)
    state = models.CharField(_("province"), max_length=64, blank=True)
    country = models.CharField(_("country"), max_length=64, blank=True)
    voluntary_mandated = models.CharField(_("voluntary or ordered"), max_length=16,
                                          choices=VoluntaryMandated.choices)
    initial_firm_notification = models.CharField(_("initial firm notification"), max_length=255, blank=True)
    recall_initiation_date = models.DateField(_("recall initiation date"), null=True, blank=True)
    center_classification_date = models.DateField(_("classification date"), null=True, blank=True)
    termination_date = models.DateField(_("termination date"), null=True, blank=True)
    report_date = models.DateField(_("report date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.CASE)
    case = models.OneToOneField(RecallCase, models.SET_NULL, null=True, blank=True,
                                related_name="record", verbose_name=_("recall case"))
    division = models.ForeignKey("registry.Division", models.PROTECT, null=True, blank=True,
                                 related_name="recall_records", verbose_name=_("division"))
    published = models.BooleanField(_("published"), default=False, db_index=True)

    scope_division = "division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-report_date", "-recall_number"]
        verbose_name = _("recall record")
        verbose_name_plural = _("recall records")
        # (published, last_updated): the public API's ``meta.last_updated`` is one index probe.
        indexes = [models.Index(fields=["published", "-report_date"]),
                   models.Index(fields=["published", "last_updated"], name="recall_rec_pub_updated")]

    def __str__(self):
        return f"{self.recall_number} {self.recalling_firm}"

    @classmethod
    def public_q(cls):
        return Q(published=True)

    def get_absolute_url(self):
        return reverse("recall:recallrecord_detail", args=[self.pk])
