"""Quality-safety risk monitoring (seed 二(二)2; DESIGN §3, §6.4, §6.5).

* ``Incident`` — a mandatory report of a major quality incident (企业重大质量事故强制
  报告) with its follow-up reports (``IncidentReport``) and typed history
  (``IncidentEvent``); its level and reporting time limits come from ``IncidentLevel``
  (data, ``data/incident_levels.csv``).
* ``SentinelHospital`` and ``InjuryCase`` — product-injury surveillance (产品伤害监测):
  a stratified sample of hospitals and their case records (DESIGN §6.5 fields).
* ``Alert`` — a risk case with an owner, a level, an emergency-plan step list (应急预案),
  a lifecycle draft → validated → published → closed / withdrawn, reactions of other
  bureaus (``AlertReaction``) and its history (``AlertEvent``).
"""
from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhijian.complaints.hazards import HAZARDS
from zhijian.core.models import ScopedModel, TimestampedModel

# --------------------------------------------------------------------------- history events


class HistoryEvent(models.Model):
    """A typed event in a case's history (Saleor's order events are the model); subclasses add
    the case foreign key and the ``Type`` choices."""

    date = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+")
    parameters = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["date", "id"]


# --------------------------------------------------------------------------- incidents


class IncidentLevel(ScopedModel):
    """A level of major quality incident: thresholds and reporting time limits (data)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("Higher is more serious."))
    name = models.CharField(_("name"), max_length=64)
    name_zh = models.CharField(_("name (Chinese)"), max_length=64, blank=True)
    min_deaths = models.PositiveIntegerField(_("deaths from"), default=0)
    min_serious_injuries = models.PositiveIntegerField(_("serious injuries from"), default=0)
    min_loss = models.DecimalField(_("direct loss from (10,000 yuan)"), max_digits=14, decimal_places=2,
                                   default=0)
    report_hours = models.PositiveSmallIntegerField(
        _("report within (hours)"), help_text=_("From the incident to the enterprise's first report."))
    escalate_hours = models.PositiveSmallIntegerField(
        _("escalate within (hours)"), help_text=_("Each bureau passes the report one level up within this time."))
    escalate_to = models.CharField(_("reported up to"), max_length=16,
                                   choices=[("city", _("city")), ("province", _("province")),
                                            ("national", _("national"))])
    follow_up_days = models.PositiveSmallIntegerField(
        _("follow-up report every (days)"), help_text=_("While the incident is open."))
    supplement_days = models.PositiveSmallIntegerField(
        _("casualties supplemented within (days)"))
    basis = models.CharField(_("basis"), max_length=255)

    scope_division = None

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("incident level")
        verbose_name_plural = _("incident levels")

    def __str__(self):
        from django.utils.translation import get_language

        return self.name_zh if self.name_zh and (get_language() or "").startswith("zh") else self.name

    @classmethod
    def public_q(cls):
        return Q()


class Incident(ScopedModel, TimestampedModel):
    """A major quality incident reported by the enterprise, or by an officer on its behalf."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("reported")
        CONFIRMED = "confirmed", _("confirmed, under investigation")
        CLOSED = "closed", _("closed")
        REJECTED = "rejected", _("not a quality incident")

    class Channel(models.TextChoices):
        ENTERPRISE = "enterprise", _("enterprise's own report")
        OFFICER = "officer", _("entered by an officer")

    number = models.CharField(_("incident number"), max_length=24, unique=True, editable=False)
    enterprise = models.ForeignKey("registry.Enterprise", models.PROTECT, related_name="incidents",
                                   verbose_name=_("enterprise"))
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, related_name="incidents",
                                 verbose_name=_("product category"))
    product_name = models.CharField(_("product"), max_length=200)
    batch = models.CharField(_("batch"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="incidents",
                                 verbose_name=_("division where it occurred"))
    place = models.CharField(_("place"), max_length=255)
    deaths = models.PositiveIntegerField(_("deaths"), default=0)
    serious_injuries = models.PositiveIntegerField(_("serious injuries"), default=0)
    minor_injuries = models.PositiveIntegerField(_("minor injuries"), default=0)
    property_loss = models.DecimalField(_("direct loss (10,000 yuan)"), max_digits=14, decimal_places=2,
                                        default=0, validators=[MinValueValidator(0)])
    description = models.TextField(_("what happened"))
    cause = models.TextField(_("cause (as known)"), blank=True)
    measures = models.TextField(_("measures taken"), blank=True)
    channel = models.CharField(_("reported by"), max_length=16, choices=Channel.choices)
    reported_at = models.DateTimeField(_("first reported at"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reporter"))
    level = models.ForeignKey(IncidentLevel, models.PROTECT, related_name="incidents",
                              verbose_name=_("level"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REPORTED,
                              db_index=True)
    last_report_at = models.DateTimeField(_("last report at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    scope_division = "division"
    scope_enterprise = "enterprise_id"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("major quality incident")
        verbose_name_plural = _("major quality incidents")
        constraints = [models.CheckConstraint(condition=Q(reported_at__gte=models.F("occurred_at")),
                                              name="incident_reported_after_it_occurred")]

    def __str__(self):
        return f"{self.number} {self.product_name}"

    def get_absolute_url(self):
        return reverse("risk:incident_detail", args=[self.pk])

    @property
    def casualties(self) -> int:
        return self.deaths + self.serious_injuries + self.minor_injuries


class IncidentReport(models.Model):
    """A report on an incident: the first one, follow-ups (续报), supplements (补报), the final one."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("first report")
        FOLLOW_UP = "follow_up", _("follow-up report")
        SUPPLEMENT = "supplement", _("supplementary report of casualties")
        FINAL = "final", _("final report")

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="reports")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reported_at = models.DateTimeField(_("reported at"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("reporter"))
    text = models.TextField(_("report"))
    deaths = models.PositiveIntegerField(_("deaths"), default=0)
    serious_injuries = models.PositiveIntegerField(_("serious injuries"), default=0)
    minor_injuries = models.PositiveIntegerField(_("minor injuries"), default=0)
    property_loss = models.DecimalField(_("direct loss (10,000 yuan)"), max_digits=14, decimal_places=2,
                                        default=0)

    class Meta:
        ordering = ["reported_at", "id"]
        verbose_name = _("incident report")

    def __str__(self):
        return f"{self.incident_id} {self.kind} {self.reported_at:%Y-%m-%d %H:%M}"


class IncidentEvent(HistoryEvent):
    """A typed event in an incident's history."""

    class Type(models.TextChoices):
        REPORTED = "reported", _("reported")
        REPORT_ADDED = "report_added", _("report added")
        LEVEL_CHANGED = "level_changed", _("level changed")
        ESCALATED = "escalated", _("passed one level up")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("not a quality incident")
        CLOSED = "closed", _("closed")

    incident = models.ForeignKey(Incident, models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=Type.choices)

    class Meta(HistoryEvent.Meta):
        pass

    def __str__(self):
        return f"{self.incident_id} {self.type}"


# --------------------------------------------------------------------------- injury surveillance


class SentinelHospital(ScopedModel, TimestampedModel):
    """A hospital of the stratified injury-surveillance sample (DESIGN §6.5)."""

    code = models.CharField(_("hospital code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="sentinel_hospitals",
                                 verbose_name=_("division"))
    stratum = models.CharField(_("stratum"), max_length=32,
                               help_text=_("By size of the emergency department, e.g. S, M, L, VL, C."))
    weight = models.DecimalField(_("case weight"), max_digits=10, decimal_places=4,
                                 validators=[MinValueValidator(0)],
                                 help_text=_("Cases in the whole area each case of this hospital stands for."))
    active = models.BooleanField(_("in the sample"), default=True)
    psu = models.PositiveIntegerField(
        _("NEISS PSU number"), null=True, blank=True, unique=True,
        help_text=_("The primary sampling unit number this hospital has in NEISS-layout files (column PSU)."))

    scope_division = "division"
    scope_hospital = "pk"

    class Meta:
        ordering = ["code"]
        verbose_name = _("sentinel hospital")
        verbose_name_plural = _("sentinel hospitals")

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("risk:sentinelhospital_detail", args=[self.pk])


class InjuryCase(ScopedModel, TimestampedModel):
    """A product-injury case seen at a sentinel hospital (NEISS-style record; personal data)."""

    class Sex(models.TextChoices):
        MALE = "male", _("male")
        FEMALE = "female", _("female")
        UNKNOWN = "unknown", _("not recorded")

    class Disposition(models.TextChoices):
        RELEASED = "released", _("treated and released")
        TRANSFERRED = "transferred", _("transferred")
        ADMITTED = "admitted", _("admitted")
        OBSERVED = "observed", _("held for observation")
        LEFT = "left", _("left without being seen")
        DIED = "died", _("died")
        UNKNOWN = "unknown", _("not recorded")

    class Fire(models.TextChoices):
        NO = "no", _("no fire")
        FIRE = "fire", _("fire involved")
        UNKNOWN = "unknown", _("unknown")

    class Source(models.TextChoices):
        FORM = "form", _("form")
        API = "api", _("API")
        FILE = "file", _("file import")
        NEISS = "neiss", _("NEISS-layout file")

    hospital = models.ForeignKey(SentinelHospital, models.PROTECT, related_name="cases",
                                 verbose_name=_("sentinel hospital"))
    case_number = models.CharField(_("case number"), max_length=32)
    treated_on = models.DateField(_("treatment date"), db_index=True)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True, validators=[MaxValueValidator(130)])
    age_months = models.PositiveSmallIntegerField(_("age in months (under 2)"), null=True, blank=True,
                                                  validators=[MaxValueValidator(23)])
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    diagnosis = models.CharField(_("diagnosis"), max_length=64)
    body_part = models.CharField(_("body part"), max_length=64)
    disposition = models.CharField(_("disposition"), max_length=16, choices=Disposition.choices)
    location = models.CharField(_("location"), max_length=64, blank=True)
    fire = models.CharField(_("fire involvement"), max_length=8, choices=Fire.choices, default=Fire.UNKNOWN)
    product = models.ForeignKey("registry.ProductCategory", models.PROTECT, null=True, blank=True,
                                related_name="injury_cases", verbose_name=_("product"))
    product_2 = models.ForeignKey("registry.ProductCategory", models.PROTECT, null=True, blank=True,
                                  related_name="injury_cases_2", verbose_name=_("second product"))
    hazard = models.CharField(_("hazard"), max_length=32, blank=True, choices=HAZARDS)
    narrative = models.TextField(_("narrative"))
    weight = models.DecimalField(_("case weight"), max_digits=10, decimal_places=4,
                                 help_text=_("The hospital's weight when the case was entered."))
    classified = models.BooleanField(_("product and hazard from the classifier"), default=False)
    product_confidence = models.FloatField(_("product confidence"), null=True, blank=True)
    hazard_confidence = models.FloatField(_("hazard confidence"), null=True, blank=True)
    product_codes = models.CharField(_("original product codes"), max_length=64, blank=True,
                                     help_text=_("The product codes of the source file (NEISS Product_1–3)."))
    source = models.CharField(_("entered by"), max_length=8, choices=Source.choices, default=Source.FORM)

    scope_division = "hospital__division"
    scope_hospital = "hospital_id"

    class Meta:
        ordering = ["-treated_on", "-id"]
        verbose_name = _("injury case")
        verbose_name_plural = _("injury cases")
        constraints = [models.UniqueConstraint(fields=["hospital", "case_number"],
                                               name="uniq_injury_case_per_hospital")]

    def __str__(self):
        return f"{self.hospital.code}/{self.case_number}"

    def get_absolute_url(self):
        return reverse("risk:injurycase_detail", args=[self.pk])


# --------------------------------------------------------------------------- risk assessment


class RiskLevel(models.TextChoices):
    """The four risk levels of the DESIGN §6.4 matrix, shared by assessments and alerts."""

    SERIOUS = "S", _("serious risk")
    HIGH = "H", _("high risk")
    MEDIUM = "M", _("medium risk")
    LOW = "L", _("low risk")


class RiskAssessment(ScopedModel, TimestampedModel):
    """A risk assessment of a product by injury scenarios (DESIGN §6.4; ``matrix.py``).

    Each revision is a new row (``version`` + 1, ``previous`` the one it replaces), so the
    record of who assessed what, on which evidence, stays as it was."""

    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="risk_assessments",
                                 verbose_name=_("assessing division"))
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, related_name="risk_assessments",
                                 verbose_name=_("product category"))
    product = models.CharField(_("product (brand, model, batch, barcode)"), max_length=255)
    hazard = models.CharField(_("hazard"), max_length=32, choices=HAZARDS)
    scenarios = models.JSONField(_("injury scenarios"),
                                 help_text=_("Each with a name, a severity 1-4 and steps with probabilities."))
    level = models.CharField(_("risk level"), max_length=1, choices=RiskLevel.choices)
    probability = models.CharField(_("probability of harm (worst scenario)"), max_length=64)
    worst_scenario = models.CharField(_("worst scenario"), max_length=200)
    evidence = models.TextField(_("evidence"))
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                 verbose_name=_("assessor"))
    version = models.PositiveIntegerField(_("version"), default=1)
    previous = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="next_version",
                                    verbose_name=_("replaces"))

    scope_division = "division"

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")

    def __str__(self):
        return f"{self.product} v{self.version} ({self.level})"

    def get_absolute_url(self):
        return reverse("risk:riskassessment_detail", args=[self.pk])


# --------------------------------------------------------------------------- signals


class SignalDefinition(ScopedModel):
    """How one kind of signal is detected (data): which counts, which method, its thresholds."""

    class Source(models.TextChoices):
        COMPLAINTS = "complaints", _("complaints received")
        INJURIES = "injuries", _("injury cases")
        UNQUALIFIED = "unqualified", _("unqualified spot-check results")
        OPINION = "opinion", _("public-opinion items")

    class Method(models.TextChoices):
        CUSUM = "cusum", _("CUSUM")
        EWMA = "ewma", _("EWMA")
        FARRINGTON = "farrington", _("Farrington (flexible)")
        PRR = "prr", _("PRR (product × hazard)")

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=128)
    source = models.CharField(_("counts of"), max_length=16, choices=Source.choices)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    level = models.CharField(_("division level"), max_length=16,
                             choices=[("county", _("county")), ("city", _("city")), ("province", _("province"))])
    parameters = models.JSONField(_("parameters and thresholds"), default=dict)
    active = models.BooleanField(_("active"), default=True)

    scope_division = None

    class Meta:
        ordering = ["code"]
        verbose_name = _("signal definition")
        verbose_name_plural = _("signal definitions")

    def __str__(self):
        return self.name

    @classmethod
    def public_q(cls):
        return Q()


class SignalRun(models.Model):
    """One run of the signal definitions for an evaluated week (the scheduler runs each week once)."""

    week = models.DateField(_("week (Monday)"), db_index=True)
    engine = models.CharField(_("engine"), max_length=16)
    started = models.DateTimeField(_("started"))
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    alarms = models.JSONField(_("alarms per definition"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started"]
        verbose_name = _("signal run")

    def __str__(self):
        return f"{self.week} {self.engine}"


class Signal(ScopedModel, TimestampedModel):
    """The result of a definition for one product category (× hazard) × division at one week."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        DISMISSED = "dismissed", _("dismissed")
        ALERTED = "alerted", _("alert opened")

    definition = models.ForeignKey(SignalDefinition, models.PROTECT, related_name="signals",
                                   verbose_name=_("signal definition"))
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, related_name="signals",
                                 verbose_name=_("product category"))
    hazard = models.CharField(_("hazard"), max_length=32, blank=True, choices=HAZARDS)
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="signals",
                                 verbose_name=_("division"))
    week = models.DateField(_("week (Monday)"))
    observed = models.FloatField(_("observed"))
    statistic = models.FloatField(_("statistic"))
    threshold = models.FloatField(_("threshold"))
    series = models.JSONField(_("series"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    alert = models.ForeignKey("Alert", models.SET_NULL, null=True, blank=True, related_name="signals",
                              verbose_name=_("risk alert"))

    scope_division = "division"

    class Meta:
        ordering = ["-week", "definition", "category"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        constraints = [models.UniqueConstraint(fields=["definition", "category", "hazard", "division", "week"],
                                               name="uniq_signal_per_week")]

    def __str__(self):
        return f"{self.definition.code} {self.category_id} {self.division_id} {self.week}"

    def get_absolute_url(self):
        return reverse("risk:signal_detail", args=[self.pk])


# --------------------------------------------------------------------------- alerts


class Alert(ScopedModel, TimestampedModel):
    """A risk case: from an incident, a risk assessment, a signal, or opened by hand."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        VALIDATED = "validated", _("validated")
        PUBLISHED = "published", _("published")
        CLOSED = "closed", _("closed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    # an alert in one of these is over: no step, assessment or hand-off any more
    ENDED = (Status.CLOSED, Status.WITHDRAWN)

    Level = RiskLevel

    class Source(models.TextChoices):
        INCIDENT = "incident", _("major quality incident")
        ASSESSMENT = "assessment", _("risk assessment")
        SIGNAL = "signal", _("signal in the counts")
        MANUAL = "manual", _("opened by an officer")

    number = models.CharField(_("alert number"), max_length=24, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="alerts",
                                 verbose_name=_("issuing division"))
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, related_name="alerts",
                                 verbose_name=_("product category"))
    product = models.CharField(_("product (brand, model, batch, barcode)"), max_length=255, blank=True)
    hazard = models.CharField(_("hazard"), max_length=32, blank=True, choices=HAZARDS)
    level = models.CharField(_("risk level"), max_length=1, choices=Level.choices)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    incident = models.ForeignKey(Incident, models.SET_NULL, null=True, blank=True, related_name="alerts",
                                 verbose_name=_("incident"))
    assessment = models.ForeignKey(RiskAssessment, models.SET_NULL, null=True, blank=True, related_name="alerts",
                                   verbose_name=_("risk assessment"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    description = models.TextField(_("description"), blank=True)
    measures = models.TextField(_("measures (voluntary / compulsory, by which operator)"), blank=True)
    plan_steps = models.JSONField(_("emergency-plan steps"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    scope_division = "division"

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("risk alert")
        verbose_name_plural = _("risk alerts")

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("risk:alert_detail", args=[self.pk])

    @classmethod
    def public_q(cls):
        # consumer warnings: published alerts (and closed ones that were published)
        return Q(published_at__isnull=False) & ~Q(status="withdrawn")


class AlertReaction(ScopedModel):
    """Another bureau's reaction to a published alert (Safety Gate reactions)."""

    class Kind(models.TextChoices):
        FOUND = "found", _("product found, measures taken")
        NOT_FOUND = "not_found", _("product not found")
        DISPUTED = "disputed", _("risk assessment disputed")

    alert = models.ForeignKey(Alert, models.CASCADE, related_name="reactions", verbose_name=_("alert"))
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="+",
                                 verbose_name=_("reacting division"))
    kind = models.CharField(_("reaction"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("details"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("by"))
    date = models.DateTimeField(_("date"))

    scope_division = "division"

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("alert reaction")

    def __str__(self):
        return f"{self.alert_id} {self.division_id} {self.kind}"


class AlertEvent(HistoryEvent):
    """A typed event in an alert's history."""

    class Type(models.TextChoices):
        OPENED = "opened", _("opened")
        VALIDATED = "validated", _("validated")
        PUBLISHED = "published", _("published")
        CLOSED = "closed", _("closed")
        WITHDRAWN = "withdrawn", _("withdrawn")
        STEP_DONE = "step_done", _("emergency-plan step done")
        REACTION = "reaction", _("reaction of a bureau")
        HANDED_OFF = "handed_off", _("handed off")
        ASSESSED = "assessed", _("risk assessed")

    alert = models.ForeignKey(Alert, models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=Type.choices)

    class Meta(HistoryEvent.Meta):
        pass

    def __str__(self):
        return f"{self.alert_id} {self.type}"


# --------------------------------------------------------------------------- public opinion (舆情)


class OpinionSource(ScopedModel, TimestampedModel):
    """A configured source of public-opinion items: a feed the deployment can reach, or a
    directory where files are dropped (``opinion.py``)."""

    class Kind(models.TextChoices):
        RSS = "rss", _("RSS feed")
        ATOM = "atom", _("Atom feed")
        JSON = "json_feed", _("JSON feed")
        FILE_DROP = "file_drop", _("file-drop directory")

    class Status(models.TextChoices):
        NEVER = "never", _("not fetched yet")
        OK = "ok", _("fetched")
        FAILED = "failed", _("fetch failed")

    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    location = models.CharField(_("URL or directory"), max_length=500)
    mapping = models.JSONField(_("JSON field mapping"), default=dict, blank=True, help_text=_(
        "JSON feeds: the path of the item list and the field of each of id, title, text, url and published "
        "(dotted paths allowed)."))
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="opinion_sources",
                                 verbose_name=_("monitoring division"),
                                 help_text=_("Items whose text names no region belong to this division."))
    interval_minutes = models.PositiveIntegerField(_("fetch every (minutes)"), default=60,
                                                   validators=[MinValueValidator(5)])
    active = models.BooleanField(_("active"), default=True)
    last_fetched = models.DateTimeField(_("last fetched"), null=True, blank=True)
    last_status = models.CharField(_("last status"), max_length=16, choices=Status.choices, default=Status.NEVER)
    last_error = models.TextField(_("last error"), blank=True)
    last_count = models.PositiveIntegerField(_("items added by the last fetch"), default=0)

    scope_division = "division"

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("opinion source")
        verbose_name_plural = _("opinion sources")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("risk:opinionsource_detail", args=[self.pk])


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("negative")
    NEUTRAL = "neutral", _("neutral")
    POSITIVE = "positive", _("positive")


class OpinionStory(ScopedModel, TimestampedModel):
    """A cluster of items about the same thing (same category, similar text, close in time);
    officers triage stories, not single items."""

    class Triage(models.TextChoices):
        NEW = "new", _("not triaged")
        RELEVANT = "relevant", _("relevant")
        NOT_RELEVANT = "not_relevant", _("not relevant")

    title = models.CharField(_("title"), max_length=300)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, null=True, blank=True,
                                 related_name="opinion_stories", verbose_name=_("product category"))
    hazard = models.CharField(_("hazard"), max_length=32, blank=True, choices=HAZARDS)
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="opinion_stories",
                                 verbose_name=_("division"))
    sentiment = models.CharField(_("sentiment"), max_length=16, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    relevance = models.FloatField(_("predicted relevance"), null=True, blank=True,
                                  help_text=_("From the classifier trained on earlier triage; empty until there is any."))
    triage = models.CharField(_("triage"), max_length=16, choices=Triage.choices, default=Triage.NEW, db_index=True)
    enterprise = models.ForeignKey("registry.Enterprise", models.SET_NULL, null=True, blank=True,
                                   related_name="opinion_stories", verbose_name=_("linked enterprise"))
    product = models.CharField(_("linked product"), max_length=200, blank=True)
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("triaged by"))
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    scope_division = "division"

    class Meta:
        ordering = ["-last_seen", "-id"]
        verbose_name = _("opinion story")
        verbose_name_plural = _("opinion stories")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("risk:opinionstory_detail", args=[self.pk])


class OpinionItem(ScopedModel):
    """One fetched item (a post, an article, a dropped file), normalised and classified."""

    source = models.ForeignKey(OpinionSource, models.PROTECT, related_name="items", verbose_name=_("source"))
    external_id = models.CharField(_("external id"), max_length=300)
    url = models.URLField(_("link"), max_length=500, blank=True)
    title = models.CharField(_("title"), max_length=300)
    text = models.TextField(_("text"), blank=True)
    published = models.DateTimeField(_("published"), db_index=True)
    published_on = models.DateField(_("published on (local date)"), db_index=True)
    fetched = models.DateTimeField(_("fetched"))
    simhash = models.BigIntegerField(_("SimHash (64 bits, signed)"))
    duplicate_of = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="duplicates",
                                     verbose_name=_("near-duplicate of"))
    distance = models.PositiveSmallIntegerField(_("Hamming distance to the original"), null=True, blank=True)
    category = models.ForeignKey("registry.ProductCategory", models.PROTECT, null=True, blank=True,
                                 related_name="opinion_items", verbose_name=_("product category"))
    category_confidence = models.FloatField(_("category confidence"), null=True, blank=True)
    hazard = models.CharField(_("hazard"), max_length=32, blank=True, choices=HAZARDS)
    hazard_confidence = models.FloatField(_("hazard confidence"), null=True, blank=True)
    division = models.ForeignKey("registry.Division", models.PROTECT, related_name="opinion_items",
                                 verbose_name=_("division"))
    division_found = models.BooleanField(_("region named in the text"), default=False)
    sentiment = models.CharField(_("sentiment"), max_length=16, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    sentiment_score = models.FloatField(_("sentiment score (-1 to 1)"), default=0)
    sentiment_confidence = models.FloatField(_("sentiment confidence"), default=0)
    story = models.ForeignKey(OpinionStory, models.SET_NULL, null=True, blank=True, related_name="items",
                              verbose_name=_("story"))

    scope_division = "division"

    class Meta:
        ordering = ["-published", "-id"]
        verbose_name = _("opinion item")
        verbose_name_plural = _("opinion items")
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="uniq_opinion_item_per_source")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("risk:opinionitem_detail", args=[self.pk])


class OpinionStoryEvent(HistoryEvent):
    """A typed event in a story's history (triage, link, retraining)."""

    class Type(models.TextChoices):
        CREATED = "created", _("story formed")
        TRIAGED = "triaged", _("triaged")
        LINKED = "linked", _("enterprise or product linked")
        CATEGORY_CORRECTED = "category_corrected", _("category corrected")

    story = models.ForeignKey(OpinionStory, models.CASCADE, related_name="events")
    type = models.CharField(max_length=32, choices=Type.choices)

    class Meta(HistoryEvent.Meta):
        pass

    def __str__(self):
        return f"{self.story_id} {self.type}"
