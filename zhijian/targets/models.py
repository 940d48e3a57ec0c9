"""Targets and the government quality-work assessment (seed 一(三), 三(五); DESIGN §6.6, §6.7).

Indicators follow DHIS2: a ``DataElement`` is one counted or reported figure (computed by the
platform from its records, entered in a form, or imported from a file); a ``DataValue`` is its
value for a division and a period; an ``Indicator`` is a numerator / denominator expression over
element codes; a ``TargetSet`` (a year, its source text) holds ``Target`` rows (indicator,
direction, value). Award, brand and demonstration-zone records added later count toward targets
as computed elements (``DataElement.computed_key``).

The assessment: a yearly ``AssessmentScheme`` (items with points and required evidence) set by
the province; each city's ``Assessment`` (self-assessment with evidence per item, province
review, total, grade A–D, the incident veto, rank, publication) with its typed history.
"""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhijian.core.models import ChangeLoggedModel, ScopedModel, TimestampedModel

from . import expressions, periods


def _zh() -> bool:
    return (get_language() or "").startswith("zh")


class PeriodType(models.TextChoices):
    YEAR = periods.YEAR, _("year")
    QUARTER = periods.QUARTER, _("quarter")
    MONTH = periods.MONTH, _("month")


class DataElement(ScopedModel, TimestampedModel):
    """One figure: computed from the platform's records, entered, or imported."""

    class Kind(models.TextChoices):
        COMPUTED = "computed", _("computed by the platform")
        ENTERED = "entered", _("entered in a form")
        IMPORTED = "imported", _("imported from a file")

    class Aggregation(models.TextChoices):
        SUM = "period_sum", _("sum over periods")
        LAST = "period_last", _("latest period (a stock)")

    code = models.CharField(_("code"), max_length=64, unique=True,
                            help_text=_("Lower-case letters, digits and underscores; used as #{code}."))
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ENTERED)
    computed_key = models.CharField(_("definition"), max_length=64, blank=True, help_text=_(
        "For computed elements: the key of the definition in zhijian/analytics/target_elements.py."))
    period_type = models.CharField(_("period type"), max_length=8, choices=PeriodType.choices,
                                   default=PeriodType.YEAR)
    aggregation = models.CharField(_("aggregation over periods"), max_length=11, choices=Aggregation.choices,
                                   default=Aggregation.SUM)
    source = models.CharField(_("source"), max_length=255, blank=True,
                              help_text=_("Where entered values come from (the responsible department)."))

    scope_division = None

    class Meta:
        ordering = ["code"]
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")

    def __str__(self):
        return self.name_zh if self.name_zh and _zh() else self.name

    def clean(self):
        if not expressions.CODE.match(self.code or ""):
            raise ValidationError({"code": _("Use lower-case letters, digits and underscores, starting "
                                             "with a letter.")})
        if self.kind == self.Kind.COMPUTED:
            from zhijian.analytics.target_elements import DEFINITIONS

            if self.computed_key not in DEFINITIONS:
                raise ValidationError({"computed_key": _("Unknown definition %(key)s.") % {
                    "key": self.computed_key or "—"}})
            if self.period_type != PeriodType.MONTH:
                raise ValidationError({"period_type": _("Computed elements are counted per month.")})


class Indicator(ScopedModel, TimestampedModel):
    """numerator / denominator × factor, over data-element codes (``#{code}``)."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    numerator = models.CharField(_("numerator"), max_length=500,
                                 help_text=_("An expression over #{code} references, numbers, + - * / and "
                                             "parentheses."))
    denominator = models.CharField(_("denominator"), max_length=500, default="1")
    factor = models.DecimalField(_("factor"), max_digits=12, decimal_places=4, default=1,
                                 help_text=_("100 for a percentage."))
    unit = models.CharField(_("unit"), max_length=32, blank=True)
    decimals = models.PositiveSmallIntegerField(_("decimals shown"), default=1)
    description = models.TextField(_("description"), blank=True)

    scope_division = None

    class Meta:
        ordering = ["code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self):
        return self.name_zh if self.name_zh and _zh() else self.name

    def element_codes(self) -> list[str]:
        out = []
        for text in (self.numerator, self.denominator):
            for code in expressions.references(text):
                if code not in out:
                    out.append(code)
        return out

    def clean(self):
        known = set(DataElement.objects.values_list("code", flat=True))
        errors = {}
        for name in ("numerator", "denominator"):
            try:
                expressions.parse(getattr(self, name), known)
            except expressions.ExpressionError as exc:
                errors[name] = str(exc)
        if errors:
            raise ValidationError(errors)


class DataValue(ScopedModel, TimestampedModel):
    """An element's value for a division and a period; entered and imported values are approved
    by the province before they count."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    class Origin(models.TextChoices):
        COMPUTED = "computed", _("computed from records")
        FORM = "form", _("entered in a form")
        IMPORT = "import", _("imported from a file")

    element = models.ForeignKey(DataElement, models.PROTECT, related_name="values", verbose_name=_("data element"))
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="+", verbose_name=_("division"))
    period = models.CharField(_("period"), max_length=6, db_index=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices, default=Origin.FORM)
    source = models.CharField(_("source"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("entered by"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.CharField(_("review comment"), max_length=255, blank=True)
    import_job = models.ForeignKey("core.ImportJob", models.SET_NULL, null=True, blank=True, related_name="+")

    scope_division = "division"

    class Meta:
        ordering = ["element", "period", "division"]
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [models.UniqueConstraint(fields=["element", "division", "period"],
                                               name="uniq_targets_datavalue")]
        indexes = [models.Index(fields=["element", "period"])]

    def __str__(self):
        return f"{self.element_id} {self.division_id} {self.period} = {self.value}"

    def clean(self):
        try:
            kind = periods.kind(self.period)
        except periods.PeriodError as exc:
            raise ValidationError({"period": str(exc)}) from exc
        if self.element_id and kind != self.element.period_type:
            raise ValidationError({"period": _("%(element)s is reported per %(type)s; %(period)s is not.") % {
                "element": self.element, "type": self.element.get_period_type_display(), "period": self.period}})


class DataValueEvent(models.Model):
    """A typed event in a data value's history."""

    class Type(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        IMPORTED = "imported", _("imported")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    value = models.ForeignKey(DataValue, models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=Type.choices)
    date = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "id"]


class ComputationRun(models.Model):
    """A run of the computed elements over a range of months: those months are *covered* — a
    division without a stored count for a covered month had none (0), not "no data"."""

    first_month = models.CharField(_("first month"), max_length=6)
    last_month = models.CharField(_("last month"), max_length=6)
    engine = models.CharField(_("engine"), max_length=16)
    rows = models.PositiveIntegerField(_("values stored"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-computed_at"]
        verbose_name = _("computation run")

    def __str__(self):
        return f"{self.first_month}–{self.last_month} ({self.engine})"


class TargetSet(ScopedModel, TimestampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    year = models.PositiveSmallIntegerField(_("target year"))
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    source = models.TextField(_("source"), help_text=_("The document the targets come from."))

    scope_division = None

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("target set")
        verbose_name_plural = _("target sets")

    def __str__(self):
        return self.name_zh if self.name_zh and _zh() else self.name


class Target(ScopedModel):
    class Direction(models.TextChoices):
        AT_LEAST = "gte", _("at least (≥)")
        AT_MOST = "lte", _("at most (≤)")
        COUNT = "count", _("count reached")

    target_set = models.ForeignKey(TargetSet, models.CASCADE, related_name="targets", verbose_name=_("target set"))
    indicator = models.ForeignKey(Indicator, models.PROTECT, related_name="targets", verbose_name=_("indicator"))
    direction = models.CharField(_("direction"), max_length=5, choices=Direction.choices)
    value = models.DecimalField(_("target value"), max_digits=20, decimal_places=4)
    wording = models.CharField(_("wording in the source"), max_length=255, blank=True)
    group = models.CharField(_("group"), max_length=64, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    cumulative_from = models.PositiveSmallIntegerField(
        _("counted from year"), null=True, blank=True,
        help_text=_("For counts over a plan period (新培育 … 个): the yearly values from this year on are added up."))
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_division = None

    class Meta:
        ordering = ["target_set", "order", "id"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [models.UniqueConstraint(fields=["target_set", "indicator"], name="uniq_target_indicator")]

    def __str__(self):
        from decimal import Decimal

        return f"{self.indicator} {self.get_direction_display()} {Decimal(str(self.value)).normalize():f}"

    def get_absolute_url(self):
        return reverse("targets:targetset_detail", args=[self.target_set_id])


# --------------------------------------------------------------------------- assessment


class AssessmentScheme(ScopedModel, TimestampedModel):
    """The province's yearly scheme. Assessment year ``year`` runs 1 July of year − 1 to 30 June of
    ``year``; self-assessments are due 15 July of ``year`` (editable: ``due``)."""

    year = models.PositiveSmallIntegerField(_("assessment year (ending 30 June)"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    due = models.DateField(_("self-assessments due"), blank=True,
                           help_text=_("15 July after the assessment year unless set."))
    basis = models.CharField(_("basis"), max_length=255, default="国办发〔2013〕47号《质量工作考核办法》")

    scope_division = None

    class Meta:
        ordering = ["-year"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")

    def __str__(self):
        return self.name

    @property
    def starts(self) -> dt.date:
        return dt.date(self.year - 1, 7, 1)

    @property
    def ends(self) -> dt.date:
        return dt.date(self.year, 6, 30)

    @property
    def max_total(self):
        return sum((i.max_points for i in self.items.all()), 0)

    def save(self, *args, **kwargs):
        if not self.due and self.year:
            self.due = dt.date(self.year, 7, 15)
        super().save(*args, **kwargs)


class AssessmentItem(ScopedModel):
    scheme = models.ForeignKey(AssessmentScheme, models.CASCADE, related_name="items", verbose_name=_("scheme"))
    code = models.CharField(_("code"), max_length=16)
    title = models.CharField(_("item"), max_length=255)
    max_points = models.DecimalField(_("max points"), max_digits=6, decimal_places=2,
                                     validators=[MinValueValidator(0)])
    evidence_required = models.TextField(_("evidence required"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    scope_division = None

    class Meta:
        ordering = ["scheme", "order", "code"]
        verbose_name = _("assessment item")
        verbose_name_plural = _("assessment items")
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="uniq_assessment_item")]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("targets:assessmentscheme_detail", args=[self.scheme_id])


class Assessment(ScopedModel, TimestampedModel):
    """One city's assessment for one scheme year."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("self-assessment in progress")
        SUBMITTED = "submitted", _("submitted")
        REVIEWED = "reviewed", _("reviewed")
        PUBLISHED = "published", _("published")

    class Grade(models.TextChoices):
        A = "A", _("A (excellent)")
        B = "B", _("B (good)")
        C = "C", _("C (pass)")
        D = "D", _("D (fail)")

    scheme = models.ForeignKey(AssessmentScheme, models.PROTECT, related_name="assessments",
                               verbose_name=_("scheme"))
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="+",
                                 verbose_name=_("city"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    self_report = models.TextField(_("self-assessment report"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    self_total = models.DecimalField(_("self-assessed total"), max_digits=7, decimal_places=2, null=True,
                                     blank=True)
    total = models.DecimalField(_("total score"), max_digits=7, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, blank=True)
    veto = models.BooleanField(_("vetoed by an incident"), default=False)
    veto_reason = models.TextField(_("reason for the veto"), blank=True)
    veto_incident = models.ForeignKey("risk.Incident", models.SET_NULL, null=True, blank=True, related_name="+",
                                      verbose_name=_("incident"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    scope_division = "division"

    class Meta:
        ordering = ["scheme", "rank", "division"]
        verbose_name = _("quality-work assessment")
        verbose_name_plural = _("quality-work assessments")
        constraints = [models.UniqueConstraint(fields=["scheme", "division"], name="uniq_assessment_city")]

    def __str__(self):
        return f"{self.scheme.year} {self.division}"


def _evidence_to(instance, filename):
    return f"targets/evidence/{instance.assessment_id}/{filename}"


class AssessmentScore(ChangeLoggedModel):
    """A city's self-assessment and the province's review of one item."""

    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="scores")
    item = models.ForeignKey(AssessmentItem, models.PROTECT, related_name="+")
    self_points = models.DecimalField(_("self-assessed points"), max_digits=6, decimal_places=2, null=True,
                                      blank=True)
    self_comment = models.TextField(_("self-assessment"), blank=True)
    evidence = models.FileField(_("evidence"), upload_to=_evidence_to, blank=True, max_length=255)
    points = models.DecimalField(_("points awarded"), max_digits=6, decimal_places=2, null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)

    class Meta:
        ordering = ["item__order", "item__code"]
        constraints = [models.UniqueConstraint(fields=["assessment", "item"], name="uniq_assessment_score")]

    def __str__(self):
        return f"{self.assessment_id} {self.item.code}"


class AssessmentEvent(models.Model):
    class Type(models.TextChoices):
        OPENED = "opened", _("opened")
        SELF_ASSESSED = "self_assessed", _("self-assessment saved")
        SUBMITTED = "submitted", _("submitted")
        REVIEWED = "reviewed", _("reviewed")
        VETOED = "vetoed", _("vetoed by an incident")
        RANKED = "ranked", _("ranked")
        PUBLISHED = "published", _("published")

    assessment = models.ForeignKey(Assessment, models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=Type.choices)
    date = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "id"]


# --------------------------------------------------------------------------- awards, brands, zones
# (issue 12 §3; the models live in awards.py)

from .awards import (AwardApplication, AwardEvent, AwardKind, AwardReward, Brand,  # noqa: E402, F401
                     DemonstrationZone)
# =========================================================================== quality-status report
# Issue 12 §4 (seed 二(四)1: 定期发布质量状况分析报告). Kept in this delimited section; the building
# code is in zhijian/targets/report/.


def _report_file_to(instance, filename):
    return f"targets/reports/{instance.pk or 'new'}/{filename}"


class QualityReport(ScopedModel, TimestampedModel):
    """A quarterly or annual quality-status report of the province or a city: requested, built
    in the background (with progress), its HTML, PDF and workbook stored, and published."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being built")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        WEB = "web", _("requested on the web")
        CLI = "cli", _("command line")
        SCHEDULE = "schedule", _("schedule")

    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="+",
                                 verbose_name=_("division"))
    period = models.CharField(_("period"), max_length=6, db_index=True)
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    message = models.TextField(_("reason"), blank=True)
    phase = models.CharField(_("phase"), max_length=32, blank=True)
    progress_done = models.PositiveSmallIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveSmallIntegerField(_("steps"), default=0)
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices, default=Trigger.WEB)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_s = models.FloatField(_("duration (s)"), null=True, blank=True)
    figure_count = models.PositiveSmallIntegerField(_("figures and tables"), default=0)
    chart_count = models.PositiveSmallIntegerField(_("charts"), default=0)
    html_file = models.FileField(_("HTML"), upload_to=_report_file_to, blank=True, max_length=255)
    pdf_file = models.FileField(_("PDF"), upload_to=_report_file_to, blank=True, max_length=255)
    xlsx_file = models.FileField(_("Excel workbook"), upload_to=_report_file_to, blank=True, max_length=255)
    published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    scope_division = "division"

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("quality-status report")
        verbose_name_plural = _("quality-status reports")
        indexes = [models.Index(fields=["division", "period"])]

    def __str__(self):
        return f"{self.division} {self.period}"

    @classmethod
    def public_q(cls):
        return models.Q(published=True, status="done")

    def get_absolute_url(self):
        return reverse("targets:qualityreport_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class QualityReportEvent(models.Model):
    """A typed event in a report's history."""

    class Type(models.TextChoices):
        REQUESTED = "requested", _("requested")
        STARTED = "started", _("build started")
        BUILT = "built", _("built")
        FAILED = "failed", _("failed")
        PUBLISHED = "published", _("published")
        WITHDRAWN = "withdrawn", _("withdrawn from the portal")

    report = models.ForeignKey(QualityReport, models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=Type.choices)
    date = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "id"]
