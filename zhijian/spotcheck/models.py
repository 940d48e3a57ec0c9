"""Spot checks under "double random, one public" (双随机、一公开; seed 二(二)1, 二(三)3).

A ``Plan`` (routine / seasonal / risk) is committed, drawn and published; the
draw creates ``Task`` rows, one per drawn enterprise × category, each carried
through the procedure of 产品质量监督抽查管理暂行办法 (SAMR order 18) as checked
state transitions (``services.TRANSITIONS``), recorded as typed ``TaskEvent``
rows (the case history) and in the audit chain.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhijian.core.models import ScopedModel, TimestampedModel

DEFAULT_CLASS_RATIOS = {"A": 0.01, "B": 0.02, "C": 0.10, "D": 0.30}  # DESIGN §6.1


def _draw_accepts(risk_class: str, value) -> bool:
    from .draw import DrawError, check_class_ratio

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return False
    try:
        check_class_ratio(f"class_ratios.{risk_class}", value)
    except DrawError:
        return False
    return True


def default_class_ratios():
    return dict(DEFAULT_CLASS_RATIOS)


class Plan(ScopedModel, TimestampedModel):
    class Kind(models.TextChoices):
        ROUTINE = "routine", _("routine check of key products")
        SEASONAL = "seasonal", _("seasonal special check")
        RISK = "risk", _("random check of risk products")

    class Level(models.IntegerChoices):
        NATIONAL = 1, _("national")
        PROVINCIAL = 2, _("provincial")
        CITY = 3, _("city")
        COUNTY = 4, _("county")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        COMMITTED = "committed", _("seed committed")
        DRAWN = "drawn", _("drawn")
        PUBLISHED = "published", _("draw published")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    class QuotaMode(models.TextChoices):
        COUNT = "count", _("fixed number per stratum")
        RATIO = "ratio", _("share of the stratum")
        CLASS_RATIOS = "class_ratios", _("share by credit-risk class")

    class StrataLevel(models.TextChoices):
        COUNTY = "county", _("county")
        CITY = "city", _("city")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    period = models.CharField(_("period"), max_length=16,
                              help_text=_("e.g. 2026, 2026H1, 2026Q2 — plans of the same period "
                                          "exclude each other's samples"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="spotcheck_plans",
                                 verbose_name=_("issuing division"))
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, editable=False)
    categories = models.ManyToManyField("registry.ProductCategory", related_name="spotcheck_plans",
                                        verbose_name=_("product categories"))
    scope_divisions = models.ManyToManyField(
        "registry.Division", blank=True, related_name="+", verbose_name=_("divisions sampled"),
        help_text=_("Empty: the issuing division and everything below it."))
    strata_level = models.CharField(_("strata by"), max_length=8, choices=StrataLevel.choices,
                                    default=StrataLevel.COUNTY)
    quota_mode = models.CharField(_("quota"), max_length=16, choices=QuotaMode.choices,
                                  default=QuotaMode.CLASS_RATIOS)
    quota_count = models.PositiveIntegerField(_("enterprises per stratum"), null=True, blank=True)
    quota_ratio = models.DecimalField(_("share per stratum"), max_digits=5, decimal_places=4,
                                      null=True, blank=True)
    risk_weighting = models.BooleanField(_("weight by credit-risk class"), default=True)
    class_ratios = models.JSONField(_("sampling ratios by risk class"), default=default_class_ratios)
    inspectors_per_task = models.PositiveSmallIntegerField(_("inspectors per task"), default=2)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT, db_index=True)
    notes = models.TextField(_("notes"), blank=True)

    scope_division = "division"

    class Meta:
        ordering = ["-year", "-starts_on", "id"]
        verbose_name = _("spot-check plan")
        verbose_name_plural = _("spot-check plans")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        from zhijian.core.scope import division_prefix

        prefix = division_prefix(self.division_id)
        self.level = {2: self.Level.PROVINCIAL, 4: self.Level.CITY, 6: self.Level.COUNTY}[len(prefix)]
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The plan cannot end before it starts.")
        if self.inspectors_per_task is not None and self.inspectors_per_task < 2:
            errors["inspectors_per_task"] = _("At least two inspectors per task (SAMR order 18).")
        if self.quota_mode == self.QuotaMode.COUNT and not self.quota_count:
            errors["quota_count"] = _("Give the number of enterprises per stratum.")
        if self.quota_mode == self.QuotaMode.RATIO and not self.quota_ratio:
            errors["quota_ratio"] = _("Give the share per stratum.")
        if self.quota_ratio is not None and not 0 < self.quota_ratio <= 1:
            errors["quota_ratio"] = _("The share must be above 0 and at most 1.")
        ratios = self.class_ratios or {}
        if set(ratios) != {"A", "B", "C", "D"} or not all(_draw_accepts(c, v) for c, v in ratios.items()):
            # the draw engine's own rule, so that a plan is never frozen with ratios it refuses
            errors["class_ratios"] = _("Give a share above 0 and at most 1 (up to 9 decimals) for "
                                       "each class A, B, C and D.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def public_q(cls):
        return Q(status__in=[cls.Status.PUBLISHED, cls.Status.CLOSED])

    def get_absolute_url(self):
        return reverse("spotcheck:plan_detail", args=[self.pk])


class PlanLab(ScopedModel):
    """The lab that tests a plan's samples of one category."""

    plan = models.ForeignKey(Plan, models.CASCADE, related_name="labs")
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, related_name="+",
                                 verbose_name=_("category"))
    lab = models.ForeignKey("registry.Lab", models.PROTECT, related_name="plan_assignments",
                            verbose_name=_("lab"))

    scope_division = "plan__division"
    scope_lab = "lab_id"

    class Meta:
        verbose_name = _("plan lab")
        constraints = [models.UniqueConstraint(fields=["plan", "category"], name="uniq_plan_category_lab")]

    def __str__(self):
        return f"{self.plan} / {self.category} → {self.lab}"


class Draw(ScopedModel, TimestampedModel):
    """The commitment and, after the draw, everything needed to recompute it (DESIGN §5)."""

    plan = models.OneToOneField(Plan, models.CASCADE, related_name="draw")
    commitment = models.CharField(_("commitment SHA-256(secret)"), max_length=64)
    committed_at = models.DateTimeField(_("committed at"))
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("committed by"))
    # named at the commitment: where the public value will come from and when it is announced
    public_value_source = models.CharField(_("where the public value was published"), max_length=255,
                                           blank=True)
    public_value_at = models.DateTimeField(_("public value announced at"), null=True, blank=True)
    # entered after that moment by a second officer, then used by the draw
    public_value = models.CharField(_("public random value"), max_length=255, blank=True)
    public_value_entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True,
                                                blank=True, related_name="+",
                                                verbose_name=_("public value entered by"))
    public_value_entered_at = models.DateTimeField(_("public value entered at"), null=True, blank=True)
    # the draw's other inputs, frozen at the commitment (exclusions, inspectors, conflicts, last
    # inspectors); the pool is frozen in pool_file, whose SHA-256 is published with the commitment
    inputs = models.JSONField(_("frozen draw inputs"), default=dict, blank=True)
    inputs_hash = models.CharField(_("SHA-256 of the frozen inputs"), max_length=64, blank=True)
    secret = models.CharField(_("revealed secret"), max_length=128, blank=True)
    seed = models.CharField(_("seed"), max_length=64, blank=True)
    algorithm = models.CharField(_("algorithm"), max_length=32, blank=True)
    pool_hash = models.CharField(_("pool SHA-256"), max_length=64, blank=True)
    pool_size = models.PositiveIntegerField(_("pool size"), default=0)
    record_hash = models.CharField(_("record SHA-256"), max_length=64, blank=True)
    pool_file = models.FileField(_("pool file"), upload_to="draws/", blank=True)
    record_file = models.FileField(_("record file"), upload_to="draws/", blank=True)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    scope_division = "plan__division"
    audit_exclude = ("secret", "inputs")  # the secret is revealed in the record file after the draw;
    # the frozen inputs are covered by inputs_hash

    class Meta:
        verbose_name = _("draw")

    def __str__(self):
        return f"{self.plan} — {self.commitment[:12]}…"

    @classmethod
    def public_q(cls):
        return Q(published_at__isnull=False)


class Task(ScopedModel, TimestampedModel):
    """One drawn enterprise × product category: sampling to disposition."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("assigned")
        SAMPLED = "sampled", _("sampled")
        NOT_SAMPLED = "not_sampled", _("not sampled")
        DELIVERED = "delivered", _("delivered to lab")
        TESTED = "tested", _("tested")
        NOTIFIED = "notified", _("enterprise notified")
        OBJECTION = "objection", _("re-inspection requested")
        RETESTED = "retested", _("re-tested")
        RECTIFYING = "rectifying", _("rectification ordered")
        RECHECKED = "rechecked", _("re-checked")
        HANDED_OVER = "handed_over", _("handed over to enforcement")
        CLOSED = "closed", _("closed")

    class Verdict(models.TextChoices):
        QUALIFIED = "qualified", _("qualified")
        UNQUALIFIED = "unqualified", _("unqualified")

    plan = models.ForeignKey(Plan, models.CASCADE, related_name="tasks")
    enterprise = models.ForeignKey("registry.Enterprise", models.PROTECT, related_name="spotcheck_tasks")
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, related_name="+",
                                 verbose_name=_("category"))
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="+",
                                 verbose_name=_("division"))
    stratum = models.CharField(_("stratum"), max_length=64)
    draw_key = models.CharField(_("draw key"), max_length=40, blank=True)
    inspectors = models.ManyToManyField("registry.Inspector", related_name="spotcheck_tasks",
                                        verbose_name=_("inspectors"))
    lab = models.ForeignKey("registry.Lab", models.PROTECT, null=True, blank=True,
                            related_name="spotcheck_tasks", verbose_name=_("lab"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.ASSIGNED, db_index=True)
    # sampling (抽样)
    product = models.ForeignKey("registry.Product", models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("product"))
    sample_name = models.CharField(_("sample"), max_length=200, blank=True)
    sample_quantity = models.CharField(_("quantity"), max_length=64, blank=True)
    sample_batch = models.CharField(_("batch"), max_length=64, blank=True)
    sampled_on = models.DateField(_("sampled on"), null=True, blank=True)
    sampling_record = models.FileField(_("sampling record"), upload_to="spotcheck/records/", blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    # result (检验结论)
    verdict = models.CharField(_("result"), max_length=16, choices=Verdict.choices, blank=True)
    tested_on = models.DateField(_("tested on"), null=True, blank=True)
    report_number = models.CharField(_("test report number"), max_length=64, blank=True)
    notified_on = models.DateField(_("result received by the enterprise on"), null=True, blank=True)
    served_by_announcement = models.BooleanField(_("served by public announcement"), default=False)
    objection_due = models.DateField(_("re-inspection request due"), null=True, blank=True)
    retest_verdict = models.CharField(_("re-test result"), max_length=16, choices=Verdict.choices,
                                      blank=True)
    # disposition (后处理)
    rectification_due = models.DateField(_("rectify by"), null=True, blank=True)
    recheck_verdict = models.CharField(_("re-check result"), max_length=16, choices=Verdict.choices,
                                       blank=True)
    case_reference = models.CharField(_("enforcement case"), max_length=64, blank=True)
    publication_due = models.DateField(_("publish by"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    scope_division = "division"
    scope_enterprise = "enterprise_id"
    scope_lab = "lab_id"
    scope_inspector = "inspectors"

    class Meta:
        ordering = ["plan_id", "stratum", "id"]
        verbose_name = _("spot-check task")
        verbose_name_plural = _("spot-check tasks")
        constraints = [models.UniqueConstraint(fields=["plan", "enterprise", "category"],
                                               name="uniq_task_per_plan_enterprise_category")]

    def __str__(self):
        return f"{self.plan_id}-{self.pk} {self.enterprise} / {self.category}"

    @property
    def final_verdict(self) -> str:
        """The result that stands: the re-test's when there was one."""
        return self.retest_verdict or self.verdict

    @classmethod
    def public_q(cls):
        return Q(published_on__isnull=False)

    def get_absolute_url(self):
        return reverse("spotcheck:task_detail", args=[self.pk])


class TestItem(ScopedModel):
    """One inspected item of a sample, judged against its standard's requirement."""

    __test__ = False  # not a pytest test class

    task = models.ForeignKey(Task, models.CASCADE, related_name="items")
    retest = models.BooleanField(_("re-test"), default=False)
    name = models.CharField(_("item"), max_length=128)
    standard = models.ForeignKey("registry.Standard", models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("standard"))
    clause = models.CharField(_("clause"), max_length=32, blank=True)
    requirement = models.CharField(_("requirement"), max_length=255, blank=True)
    measured = models.CharField(_("measured value"), max_length=255, blank=True)
    verdict = models.CharField(_("verdict"), max_length=16, choices=Task.Verdict.choices)

    scope_division = "task__division"
    scope_enterprise = "task__enterprise_id"
    scope_lab = "task__lab_id"
    scope_inspector = "task__inspectors"

    class Meta:
        ordering = ["task_id", "retest", "id"]
        verbose_name = _("test item")
        verbose_name_plural = _("test items")

    def __str__(self):
        return f"{self.name}: {self.get_verdict_display()}"

    @classmethod
    def public_q(cls):
        return Q(task__published_on__isnull=False)


class TaskEvent(models.Model):
    """A typed event in a task's history (Saleor's order events are the model)."""

    class Type(models.TextChoices):
        DRAWN = "drawn", _("drawn")
        SAMPLED = "sampled", _("sampled")
        NOT_SAMPLED = "not_sampled", _("not sampled")
        SAMPLE_REJECTED = "sample_rejected", _("sample rejected by the lab")
        DELIVERED = "delivered", _("delivered to lab")
        TESTED = "tested", _("test result entered")
        NOTIFIED = "notified", _("enterprise notified")
        OBJECTION_FILED = "objection_filed", _("re-inspection requested")
        RETESTED = "retested", _("re-test result entered")
        RECTIFICATION_ORDERED = "rectification_ordered", _("rectification ordered")
        RECHECKED = "rechecked", _("re-checked")
        HANDED_OVER = "handed_over", _("handed over to enforcement")
        CLOSED = "closed", _("closed")
        PUBLISHED = "published", _("result published")

    task = models.ForeignKey(Task, models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=Type.choices)
    date = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self):
        return f"{self.task_id} {self.type}"


class PassRateTarget(ScopedModel):
    """A pass-rate target a chart compares against (seed 一(三)2; DESIGN §6.7)."""

    kind = models.CharField(_("category kind"), max_length=16,
                            choices=[("agricultural", _("agricultural product")),
                                     ("industrial", _("industrial product")),
                                     ("consumer", _("consumer goods"))])
    target = models.DecimalField(_("target pass rate"), max_digits=5, decimal_places=4)
    valid_from = models.DateField(_("applies from"))
    source = models.CharField(_("source"), max_length=255)

    class Meta:
        ordering = ["kind", "-valid_from"]
        verbose_name = _("pass-rate target")
        constraints = [models.UniqueConstraint(fields=["kind", "valid_from"], name="uniq_pass_rate_target")]

    def __str__(self):
        return f"{self.get_kind_display()} ≥ {self.target:.2%}"

    @classmethod
    def public_q(cls):
        return Q()


class InspectorConflict(ScopedModel, TimestampedModel):
    """A recorded relationship that bars an inspector from checking an enterprise (回避)."""

    inspector = models.ForeignKey("registry.Inspector", models.CASCADE, related_name="conflicts",
                                  verbose_name=_("inspector"))
    enterprise = models.ForeignKey("registry.Enterprise", models.CASCADE, related_name="+",
                                   verbose_name=_("enterprise"))
    reason = models.CharField(_("reason"), max_length=255)

    scope_division = "inspector__division"

    class Meta:
        verbose_name = _("inspector conflict")
        verbose_name_plural = _("inspector conflicts")
        constraints = [models.UniqueConstraint(fields=["inspector", "enterprise"],
                                               name="uniq_inspector_conflict")]

    def __str__(self):
        return f"{self.inspector} ↔ {self.enterprise}"

    def get_absolute_url(self):
        return reverse("spotcheck:inspectorconflict_detail", args=[self.pk])


def _attachment_upload_to(instance, filename):
    return f"spotcheck/tasks/{instance.task_id}/{filename}"


class TaskAttachment(ScopedModel, TimestampedModel):
    """A file of a task (sampling photos, further records); never served from MEDIA directly.

    Downloaded only through ``spotcheck:attachment_download``, which checks the
    task against the user's scope.
    """

    class Kind(models.TextChoices):
        PHOTO = "photo", _("sampling photo")
        RECORD = "record", _("record")
        OTHER = "other", _("other")

    task = models.ForeignKey(Task, models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PHOTO)
    file = models.FileField(_("file"), upload_to=_attachment_upload_to)
    name = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("uploaded by"))

    scope_division = "task__division"
    scope_enterprise = "task__enterprise_id"
    scope_lab = "task__lab_id"
    scope_inspector = "task__inspectors"

    class Meta:
        ordering = ["task_id", "id"]
        verbose_name = _("task attachment")
        verbose_name_plural = _("task attachments")

    def __str__(self):
        return self.name
