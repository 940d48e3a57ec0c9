"""Awards, brands and demonstration zones (seed 一(三), 二(一)1, 三(三); DESIGN §6.8; issue 12 §3).

* ``AwardApplication``: an enterprise's application for a quality award — draft → submitted →
  eligibility checked (eligible, or ineligible with the reason of every failed check) → under
  review → granted / rejected — with the decision, the one-off provincial reward computed from
  ``AwardReward`` (reference data with its source) and its payment; typed ``AwardEvent`` history.
* ``Brand``: a recognised brand (驰名商标, 江苏省著名商标, 江苏名牌, 国际知名品牌, 地理标志,
  江苏省服务业名牌) of a division, usually held by an enterprise.
* ``DemonstrationZone``: a demonstration city or zone (全国质量强市示范城市, 全国知名品牌创建示范区,
  江苏省优质产品生产示范区), candidate or approved.

Granted awards, brands in force and approved zones count toward the targets as computed data
elements (``zhijian/analytics/target_elements.py``). Imported by ``models.py``.
"""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhijian.core.models import ScopedModel, TimestampedModel

YEARS = [MinValueValidator(1990), MaxValueValidator(2100)]


class AwardKind(models.TextChoices):
    CHINA_QUALITY_AWARD = "china_quality_award", _("China Quality Award")
    CHINA_QUALITY_AWARD_NOMINATION = "china_quality_award_nomination", _("China Quality Award nomination")
    JIANGSU_QUALITY_AWARD = "jiangsu_quality_award", _("Jiangsu Quality Award")
    CITY_QUALITY_AWARD = "city_quality_award", _("city quality award (no provincial reward)")


class AwardReward(models.Model):
    """The one-off provincial reward of an award kind (seed 三(三)), from the year it applies."""

    kind = models.CharField(_("award"), max_length=40, choices=AwardKind.choices)
    applies_from = models.PositiveSmallIntegerField(_("applies from year"), validators=YEARS)
    amount = models.DecimalField(_("reward (yuan)"), max_digits=12, decimal_places=2)
    source = models.CharField(_("source"), max_length=255)

    class Meta:
        ordering = ["kind", "-applies_from"]
        verbose_name = _("award reward")
        verbose_name_plural = _("award rewards")
        constraints = [models.UniqueConstraint(fields=["kind", "applies_from"], name="uniq_targets_award_reward")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.applies_from}: {self.amount}"


class AwardApplication(ScopedModel, TimestampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        INELIGIBLE = "ineligible", _("ineligible")
        ELIGIBLE = "eligible", _("eligibility checked")
        UNDER_REVIEW = "under_review", _("under review")
        GRANTED = "granted", _("granted")
        REJECTED = "rejected", _("rejected")

    enterprise = models.ForeignKey("registry.Enterprise", models.PROTECT, related_name="award_applications",
                                   verbose_name=_("enterprise"))
    kind = models.CharField(_("award"), max_length=40, choices=AwardKind.choices)
    year = models.PositiveSmallIntegerField(_("award year"), validators=YEARS)
    title = models.CharField(_("application title"), max_length=200)
    documents = models.TextField(_("documents submitted"), blank=True,
                                 help_text=_("The documents handed in (self-evaluation report, evidence), one a line."))
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    checked_on = models.DateField(_("eligibility checked on"), null=True, blank=True)
    ineligible_reasons = models.JSONField(_("reasons for ineligibility"), default=list, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    decision_number = models.CharField(_("decision number"), max_length=64, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    reward_amount = models.DecimalField(_("provincial reward (yuan)"), max_digits=12, decimal_places=2, null=True,
                                        blank=True)
    reward_note = models.CharField(_("reward note"), max_length=255, blank=True)
    payment_due = models.DateField(_("payment due"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    voucher_number = models.CharField(_("payment voucher number"), max_length=64, blank=True)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("award application")
        verbose_name_plural = _("award applications")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "kind", "year"], name="uniq_targets_award_application"),
            # the provincial reward is one-off: paid once per enterprise and award kind
            models.UniqueConstraint(fields=["enterprise", "kind"], condition=Q(paid_on__isnull=False),
                                    name="uniq_targets_award_paid_once"),
        ]

    def __str__(self):
        return f"{self.year} {self.get_kind_display()} · {self.title}"


class AwardEvent(models.Model):
    """A typed event in an award application's history."""

    class Type(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        FOUND_ELIGIBLE = "eligible", _("found eligible")
        FOUND_INELIGIBLE = "ineligible", _("found ineligible")
        REVIEW_STARTED = "review_started", _("review started")
        GRANTED = "granted", _("granted")
        REJECTED = "rejected", _("rejected")
        PAID = "paid", _("reward paid")

    application = models.ForeignKey(AwardApplication, models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=Type.choices)
    date = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["date", "id"]


class Brand(ScopedModel, TimestampedModel):
    """A recognised brand counted toward the brand targets of seed 一(三)1."""

    class Kind(models.TextChoices):
        WELL_KNOWN_TRADEMARK = "well_known_trademark", _("well-known trademark (驰名商标)")
        JIANGSU_FAMOUS_TRADEMARK = "jiangsu_famous_trademark", _("Jiangsu famous trademark (江苏省著名商标)")
        JIANGSU_FAMOUS_BRAND = "jiangsu_famous_brand", _("Jiangsu famous brand (江苏名牌)")
        INTERNATIONAL_BRAND = "international_brand", _("internationally known brand (国际知名品牌)")
        GEOGRAPHICAL_INDICATION = "geographical_indication", _("geographical indication (地理标志)")
        SERVICE_BRAND = "service_brand", _("Jiangsu service-industry brand enterprise (江苏省服务业名牌)")

    name = models.CharField(_("brand name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    enterprise = models.ForeignKey("registry.Enterprise", models.PROTECT, null=True, blank=True,
                                   related_name="recognised_brands", verbose_name=_("enterprise"),
                                   help_text=_("Empty for a brand held by a region or an association "
                                               "(a geographical indication)."))
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="+", verbose_name=_("division"))
    year = models.PositiveSmallIntegerField(_("year recognised"), validators=YEARS)
    recognised_on = models.DateField(_("recognised on"), null=True, blank=True,
                                     help_text=_("Counts from this month; from January of the year if empty."))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_division = "division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("recognised brand")
        verbose_name_plural = _("recognised brands")

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.recognised_on and self.year and self.recognised_on.year != self.year:
            raise ValidationError({"recognised_on": _("The date is not in the year recognised.")})
        if self.valid_until and self.recognised_on and self.valid_until < self.recognised_on:
            raise ValidationError({"valid_until": _("Valid until lies before the recognition.")})
        if self.enterprise_id and self.division_id and self.enterprise.division_id != self.division_id:
            raise ValidationError({"division": _("The division is the enterprise's: %(code)s.") % {
                "code": self.enterprise.division_id}})


class DemonstrationZone(ScopedModel, TimestampedModel):
    """A demonstration city or zone of seed 二(一)1."""

    class Kind(models.TextChoices):
        QUALITY_CITY = "quality_city", _("national quality demonstration city (全国质量强市示范城市)")
        BRAND_ZONE = "brand_zone", _("national well-known brand demonstration zone (全国知名品牌示范区)")
        QUALITY_PRODUCT_ZONE = "quality_product_zone", _(
            "Jiangsu high-quality product demonstration zone (江苏省优质产品生产示范区)")

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("candidate (in creation)")
        APPROVED = "approved", _("approved")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="+", verbose_name=_("division"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    year = models.PositiveSmallIntegerField(_("year"), validators=YEARS,
                                            help_text=_("The year of approval (of application while a candidate)."))
    approved_on = models.DateField(_("approved on"), null=True, blank=True,
                                   help_text=_("Counts from this month; from January of the year if empty."))
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_division = "division"

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("demonstration zone")
        verbose_name_plural = _("demonstration zones")

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.approved_on and self.status != self.Status.APPROVED:
            raise ValidationError({"approved_on": _("Only an approved zone has an approval date.")})
        if self.approved_on and self.year and self.approved_on.year != self.year:
            raise ValidationError({"approved_on": _("The date is not in the year.")})
