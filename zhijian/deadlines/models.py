"""The working-day calendar's per-day overrides and the legal time limits, as data.

China's public holidays and adjusted working weekends (调休) come from the
``chinesecalendar`` package for the years it knows; ``CalendarDay`` rows
override it (a province admin enters a new year's schedule when the State
Council announces it, or corrects a day). ``TimeLimit`` rows hold every legal
time limit with its source, versioned by the date from which they apply.
"""
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhijian.core.models import ScopedModel, TimestampedModel


class CalendarDay(ScopedModel, TimestampedModel):
    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=64, blank=True,
                            help_text=_("Holiday name, or the holiday an adjusted working day belongs to."))
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        kind = _("working day") if self.is_workday else _("day off")
        return f"{self.date} {kind} {self.name}".strip()

    @classmethod
    def public_q(cls):
        return Q()


class TimeLimit(ScopedModel, TimestampedModel):
    """A legal time limit: ``days`` working or calendar days, or months, from an event."""

    class Unit(models.TextChoices):
        WORKING_DAYS = "wd", _("working days")
        DAYS = "days", _("calendar days")
        MONTHS = "months", _("months")

    key = models.CharField(_("key"), max_length=64, db_index=True,
                           help_text=_("Stable identifier used by the code, e.g. complaint.accept."))
    title = models.CharField(_("title"), max_length=200)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    source = models.CharField(_("legal source"), max_length=255)
    valid_from = models.DateField(_("applies from"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["key", "-valid_from"]
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [models.UniqueConstraint(fields=["key", "valid_from"], name="uniq_time_limit_version")]

    def __str__(self):
        return f"{self.key}: {self.amount} {self.get_unit_display()}"

    def clean(self):
        if self.amount == 0:
            raise ValidationError({"amount": _("A time limit must be at least 1.")})

    @classmethod
    def public_q(cls):
        return Q()
