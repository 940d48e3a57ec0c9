"""The quality information registry (质量信息数据库, seed 二(二)4).

Reference data (divisions, industries, the product catalog, standards) and the
regulated world (enterprises, products, declarations, certifications, labs,
inspectors, awards, brands). Every model inherits ``ScopedModel``, so scope and
the audit chain come from one place.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhijian.core.models import ScopedModel, TimestampedModel

from . import uscc as gb32100

# years of awards and brands: plausible calendar years (anything else is a typing error)
YEAR_VALIDATORS = [MinValueValidator(1900), MaxValueValidator(2100)]


def validate_uscc(value: str) -> None:
    """统一社会信用代码 meeting GB 32100-2015 (``registry.uscc``); each wrong part is named."""
    gb32100.validate(value)


def normalize_uscc(value: str) -> str:
    return gb32100.compact(value)


# --------------------------------------------------------------------------- reference


class Division(ScopedModel):
    """GB/T 2260 administrative division; the six-digit code is the key."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        PREFECTURE = "prefecture", _("prefecture")
        COUNTY = "county", _("county")

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64, db_index=True)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("parent"))
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    active = models.BooleanField(_("in force"), default=True, help_text=_(
        "Cleared when a new edition of the reference table drops the code; the row is kept "
        "because records point at it."))

    scope_division = "code"

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")

    def __str__(self):
        return f"{self.name} ({self.code})"

    @classmethod
    def public_q(cls):
        return Q()


class Industry(ScopedModel):
    """GB/T 4754-2017 national economic industry classification."""

    code = models.CharField(_("code"), max_length=5, primary_key=True)
    name = models.CharField(_("name"), max_length=255)
    level = models.PositiveSmallIntegerField(_("level"))
    section = models.CharField(_("section"), max_length=1)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("parent"))
    active = models.BooleanField(_("in force"), default=True, help_text=_(
        "Cleared when a new edition of the reference table drops the code; the row is kept "
        "because records point at it."))

    class Meta:
        ordering = ["code"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self):
        return f"{self.code} {self.name}"

    @classmethod
    def public_q(cls):
        return Q()


class ProductCategory(ScopedModel, TimestampedModel):
    """A product category; ``key_supervised`` marks the 重点监管产品目录."""

    class RiskClass(models.TextChoices):
        HIGH = "high", _("high")
        MEDIUM = "medium", _("medium")
        LOW = "low", _("low")

    class Kind(models.TextChoices):
        INDUSTRIAL = "industrial", _("industrial product")
        CONSUMER = "consumer", _("consumer goods")
        AGRICULTURAL = "agricultural", _("agricultural product")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255, db_index=True)
    group = models.CharField(_("catalog group"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.INDUSTRIAL)
    key_supervised = models.BooleanField(_("key-supervised"), default=False)
    risk_class = models.CharField(_("risk class"), max_length=8, choices=RiskClass.choices,
                                  blank=True)
    seasonal_months = models.JSONField(_("seasonal months"), default=list, blank=True,
                                       help_text=_("Months (1-12) of the product's season."))
    licence_required = models.BooleanField(_("production licence (XK) required"), default=False)
    ccc_required = models.BooleanField(_("CCC required"), default=False)
    special_requirements = models.CharField(_("special requirements"), max_length=255, blank=True)
    active = models.BooleanField(_("in force"), default=True, help_text=_(
        "Cleared when a new edition of the reference table drops the code; the row is kept "
        "because records point at it."))

    class Meta:
        ordering = ["code"]
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")

    def __str__(self):
        return self.name

    def clean(self):
        bad = [m for m in self.seasonal_months or [] if not isinstance(m, int) or not 1 <= m <= 12]
        if bad:
            raise ValidationError({"seasonal_months": _("Months must be whole numbers 1-12.")})

    @classmethod
    def public_q(cls):
        return Q()


class Standard(ScopedModel, TimestampedModel):
    class Kind(models.TextChoices):
        NATIONAL_MANDATORY = "national_mandatory", _("national mandatory (GB)")
        NATIONAL_RECOMMENDED = "national_recommended", _("national recommended (GB/T)")
        INDUSTRY = "industry", _("industry")
        LOCAL = "local", _("local (DB)")
        GROUP = "group", _("group (T/)")
        ENTERPRISE = "enterprise", _("enterprise (Q/)")

    class Status(models.TextChoices):
        CURRENT = "current", _("current")
        UPCOMING = "upcoming", _("issued, not yet effective")
        ABOLISHED = "abolished", _("abolished")

    code = models.CharField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=255)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.CURRENT)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    issuer = models.CharField(_("issuer"), max_length=128, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")

    def __str__(self):
        return f"{self.code} {self.title}"

    @classmethod
    def public_q(cls):
        return Q()


# --------------------------------------------------------------------------- regulated world


class Enterprise(ScopedModel, TimestampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        ABNORMAL = "abnormal", _("on the abnormal-operation list")
        REVOKED = "revoked", _("licence revoked")
        CANCELLED = "cancelled", _("deregistered")

    class Scale(models.TextChoices):
        LARGE = "large", _("large")
        MEDIUM = "medium", _("medium")
        SMALL = "small", _("small")
        MICRO = "micro", _("micro")

    # Checked in clean(): GB 32100, or 18 characters of its charset for a legacy code.
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    uscc_legacy = models.BooleanField(_("legacy code"), default=False, help_text=_(
        "The code fails GB 32100 but was issued and is in use (early pilot regions issued some "
        "before the rules settled). Only for such codes; needs the reason."))
    uscc_legacy_reason = models.TextField(_("legacy code reason"), blank=True, help_text=_(
        "Why the code is recorded although it fails GB 32100, e.g. where it is published."))
    uscc_legacy_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("legacy code approved by"))
    uscc_legacy_approved_at = models.DateTimeField(_("legacy code approved at"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    division = models.ForeignKey(Division, models.PROTECT, related_name="enterprises",
                                 verbose_name=_("division"))
    industry = models.ForeignKey(Industry, models.PROTECT, null=True, blank=True,
                                 related_name="enterprises", verbose_name=_("industry"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=64, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    registered_capital = models.DecimalField(_("registered capital (10k yuan)"), max_digits=14,
                                             decimal_places=2, null=True, blank=True)
    scale = models.CharField(_("scale"), max_length=8, choices=Scale.choices, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.ACTIVE)
    phone = models.CharField(_("contact phone"), max_length=32, blank=True)

    scope_division = "division"
    scope_enterprise = "pk"

    class Meta:
        ordering = ["uscc"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [models.Index(fields=["division", "status"])]

    def __str__(self):
        return self.name

    @classmethod
    def public_q(cls):
        # Registration information is public (企业信息公示暂行条例 Art. 6).
        return Q()

    def clean(self):
        if self.uscc:
            self.uscc = normalize_uscc(self.uscc)
        self.uscc_legacy_reason = (self.uscc_legacy_reason or "").strip()
        if not self.uscc:
            return
        errors = uscc_errors(self.uscc, self.uscc_legacy, self.uscc_legacy_reason)
        if errors:
            raise ValidationError(errors)

    LEGACY_APPROVAL_FIELDS = ("uscc_legacy_reason", "uscc_legacy_approved_by", "uscc_legacy_approved_at")

    def save(self, *args, **kwargs):
        stamped = self.stamp_legacy_approval()
        if stamped and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *stamped}
        super().save(*args, **kwargs)

    def stamp_legacy_approval(self, user=None) -> set[str]:
        """Record who approved a legacy code and when: ``user``, else ``legacy_approver`` (set
        by an importer), else the change context's user, whenever the flag is set anew or the
        code or reason changes. Clearing the flag clears the reason and the approval. Runs on
        every save, so the audit entry of the save holds the approval. Returns the names of
        the fields it set."""
        from zhijian.core.context import current

        if not self.uscc_legacy:
            if not (self.uscc_legacy_reason or self.uscc_legacy_approved_by_id
                    or self.uscc_legacy_approved_at):
                return set()
            self.uscc_legacy_reason = ""
            self.uscc_legacy_approved_by = None
            self.uscc_legacy_approved_at = None
            return set(self.LEGACY_APPROVAL_FIELDS)
        prev = None
        if self.pk is not None and not self._state.adding:
            prev = type(self)._base_manager.filter(pk=self.pk).values(
                "uscc", "uscc_legacy", "uscc_legacy_reason").first()
        renewed = (prev is None or not prev["uscc_legacy"] or prev["uscc"] != self.uscc
                   or prev["uscc_legacy_reason"] != self.uscc_legacy_reason)
        if not renewed and self.uscc_legacy_approved_at is not None:
            return set()
        approver = user or getattr(self, "legacy_approver", None) or current().get_user()
        if approver is not None:
            self.uscc_legacy_approved_by = approver
        self.uscc_legacy_approved_at = timezone.now()
        return {"uscc_legacy_approved_by", "uscc_legacy_approved_at"}


def uscc_errors(code: str, legacy: bool, reason: str) -> dict[str, list]:
    """Field errors of an enterprise's code, legacy flag and reason (empty: acceptable).

    A code meeting GB 32100 must not carry the legacy flag; one failing it is accepted
    only with the flag and a reason, and even then must be 18 characters of the charset.
    Shared by ``Enterprise.clean()`` and the enterprise importer.
    """
    info = gb32100.parse(code)
    if info.valid:
        if legacy:
            return {"uscc_legacy": [_("The code meets GB 32100: the legacy flag is only for codes "
                                      "that fail it.")]}
        return {}
    if not info.well_formed or not legacy:
        messages = list(info.messages)
        if info.well_formed:
            messages.append(_("If this code was really issued, record it as a legacy code: set the "
                              "legacy flag and give the reason."))
        return {"uscc": messages}
    if not reason:
        return {"uscc_legacy_reason": [_("A legacy code needs the reason it is recorded.")]}
    return {}


class Product(ScopedModel, TimestampedModel):
    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="products",
                                   verbose_name=_("enterprise"))
    category = models.ForeignKey(ProductCategory, models.PROTECT, related_name="products",
                                 verbose_name=_("category"))
    name = models.CharField(_("name"), max_length=200, db_index=True)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    model_number = models.CharField(_("model"), max_length=100, blank=True)
    barcode = models.CharField(_("barcode"), max_length=32, blank=True)
    standard = models.ForeignKey(Standard, models.SET_NULL, null=True, blank=True,
                                 related_name="products", verbose_name=_("executed standard"))

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["enterprise_id", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return self.name

    @classmethod
    def public_q(cls):
        return Q()


class StandardDeclaration(ScopedModel, TimestampedModel):
    """企业标准自我声明公开 (标准化法 Art. 27): the standard an enterprise executes."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        WITHDRAWN = "withdrawn", _("withdrawn")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="declarations",
                                   verbose_name=_("enterprise"))
    product_name = models.CharField(_("product"), max_length=200)
    category = models.ForeignKey(ProductCategory, models.PROTECT, null=True, blank=True,
                                 related_name="declarations", verbose_name=_("category"))
    standard = models.ForeignKey(Standard, models.PROTECT, related_name="declarations",
                                 verbose_name=_("declared standard"))
    indicators = models.TextField(_("performance indicators"), blank=True,
                                  help_text=_("The functional and performance indicators declared."))
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PUBLISHED, db_index=True)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-published_on", "id"]
        verbose_name = _("standard self-declaration")
        verbose_name_plural = _("standard self-declarations")

    def __str__(self):
        return f"{self.enterprise} — {self.product_name} ({self.standard.code})"

    def clean(self):
        if self.status == self.Status.PUBLISHED and not self.published_on:
            raise ValidationError({"published_on": _("A published declaration needs its publication date.")})

    @classmethod
    def public_q(cls):
        return Q(status=cls.Status.PUBLISHED)


class Certification(ScopedModel, TimestampedModel):
    class Kind(models.TextChoices):
        CCC = "ccc", _("compulsory certification (CCC)")
        LICENCE = "licence", _("production licence (XK)")
        QMS = "qms", _("quality management system (ISO 9001)")
        EMS = "ems", _("environmental management (ISO 14001)")
        PRODUCT = "product", _("voluntary product certification")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        SUSPENDED = "suspended", _("suspended")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="certifications",
                                   verbose_name=_("enterprise"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("certificate number"), max_length=64)
    issuer = models.CharField(_("issuer"), max_length=128, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.VALID)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["enterprise_id", "kind", "number"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="uniq_cert_number")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def clean(self):
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("Must not be before the start date.")})

    @classmethod
    def public_q(cls):
        return Q()


class Lab(ScopedModel, TimestampedModel):
    """检验检测机构: accredited testing body (CMA / CNAS)."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("national")
        PROVINCIAL = "provincial", _("provincial")
        CITY = "city", _("city")
        COUNTY = "county", _("county")
        PRIVATE = "private", _("third-party")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        REVOKED = "revoked", _("revoked")

    name = models.CharField(_("name"), max_length=200, db_index=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True,
                            validators=[validate_uscc])
    accreditation_number = models.CharField(_("accreditation number"), max_length=64, unique=True)
    division = models.ForeignKey(Division, models.PROTECT, related_name="labs",
                                 verbose_name=_("division"))
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    scope_text = models.TextField(_("accredited scope"), blank=True)
    categories = models.ManyToManyField(ProductCategory, blank=True, related_name="labs",
                                        verbose_name=_("product categories in scope"))
    accredited_until = models.DateField(_("accredited until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.ACTIVE)

    scope_division = "division"
    scope_lab = "pk"

    class Meta:
        ordering = ["name"]
        verbose_name = _("lab")
        verbose_name_plural = _("labs")

    def __str__(self):
        return self.name

    @classmethod
    def public_q(cls):
        return Q()


class Inspector(ScopedModel, TimestampedModel):
    """执法检查人员名录库: law-enforcement inspectors qualified for product fields."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        RETIRED = "retired", _("retired")

    name = models.CharField(_("name"), max_length=64, db_index=True)
    badge_number = models.CharField(_("enforcement certificate number"), max_length=32, unique=True)
    division = models.ForeignKey(Division, models.PROTECT, related_name="inspectors",
                                 verbose_name=_("division"))
    categories = models.ManyToManyField(ProductCategory, blank=True, related_name="inspectors",
                                        verbose_name=_("qualified product categories"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.ACTIVE, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    scope_division = "division"

    class Meta:
        ordering = ["division_id", "name"]
        verbose_name = _("inspector")
        verbose_name_plural = _("inspectors")

    def __str__(self):
        return f"{self.name} ({self.badge_number})"


class Award(ScopedModel, TimestampedModel):
    """Quality awards (seed 一(三)1, 三(三))."""

    class Kind(models.TextChoices):
        CHINA_QUALITY = "china_quality", _("China Quality Award")
        CHINA_QUALITY_NOMINATION = "china_quality_nomination", _("China Quality Award nomination")
        CHINA_INDUSTRY = "china_industry", _("China Industry Award")
        NATIONAL_QUALITY = "national_quality", _("National Quality Award")
        JIANGSU_QUALITY = "provincial_quality", _("Provincial Quality Award")
        LUBAN = "luban", _("Luban Prize (construction)")
        YANGZI = "yangzi", _("Yangzi Cup (provincial construction)")
        ZHAN_TIANYOU = "zhan_tianyou", _("Zhan Tianyou Award (civil engineering)")
        DAYU = "dayu", _("Dayu Award (water works)")
        PROVINCIAL_TRANSPORT = "provincial_transport", _("Provincial quality transport project")
        PROVINCIAL_WATER = "provincial_water", _("Provincial quality water project")
        OTHER = "other", _("other")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="awards",
                                   verbose_name=_("enterprise"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), validators=YEAR_VALIDATORS)
    awarded_by = models.CharField(_("awarded by"), max_length=128, blank=True)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-year", "id"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")

    def __str__(self):
        return f"{self.get_kind_display()} {self.year}"

    def clean(self):
        # Eligibility rules registered by apps above the registry (hooks.py), e.g. credit:
        # no awards for enterprises on the serious-violation list (DESIGN §6.8).
        from . import hooks

        if self.enterprise_id and self.year:
            message = hooks.award_refusal(self.enterprise_id, self.year)
            if message:
                raise ValidationError({"enterprise": message})

    @classmethod
    def public_q(cls):
        return Q()


class Brand(ScopedModel, TimestampedModel):
    """Brand recognitions (seed 一(三)1: well-known marks, provincial famous marks, 江苏名牌…)."""

    class Kind(models.TextChoices):
        WELL_KNOWN = "well_known", _("well-known trademark (驰名商标)")
        FAMOUS = "famous", _("provincial famous trademark (著名商标)")
        PROVINCIAL_BRAND = "provincial_brand", _("provincial famous brand product (名牌)")
        INTERNATIONAL = "international", _("internationally known brand")
        SERVICE = "service", _("provincial service brand")
        OTHER = "other", _("other")

    enterprise = models.ForeignKey(Enterprise, models.CASCADE, related_name="brands",
                                   verbose_name=_("enterprise"))
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("brand name"), max_length=128)
    year = models.PositiveSmallIntegerField(_("year recognised"), validators=YEAR_VALIDATORS)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    scope_division = "enterprise__division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-year", "id"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @classmethod
    def public_q(cls):
        return Q()

