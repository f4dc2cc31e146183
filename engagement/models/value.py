"""The value of time: what an hour given is worth in euros, for the organisation as a
whole and per skill (skills-based volunteering, "mécénat de compétences")."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

# The French gross minimum wage (SMIC horaire brut) from 1 January 2026: the rate French
# associations and companies most often use to value volunteer hours (docs/value-of-time.md).
# An organisation changes it on its value-of-time page.
DEFAULT_HOUR_VALUE = Decimal("12.02")
HOUR_VALUE_MAX = Decimal("10000")


class TimeValuation(models.Model):
    """The organisation's settings for valuing time: one row at most (id 1). Without the
    row, hours are valued at ``DEFAULT_HOUR_VALUE`` and the workforce size is unknown."""

    class Basis(models.TextChoices):
        MINIMUM_WAGE = "minimum_wage", _("Gross minimum wage (SMIC) per hour")
        LOADED_MINIMUM_WAGE = "loaded_minimum_wage", _(
            "Minimum wage with employer contributions")
        SALARY_COST = "salary_cost", _("Average salary cost per hour (gross pay and employer "
                                       "contributions)")
        OTHER = "other", _("Another basis, described below")

    hour_value = models.DecimalField(
        _("value of an hour given (€)"), max_digits=8, decimal_places=2,
        default=DEFAULT_HOUR_VALUE,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HOUR_VALUE_MAX)])
    basis = models.CharField(_("basis of this value"), max_length=20, choices=Basis.choices,
                             default=Basis.MINIMUM_WAGE)
    basis_note = models.CharField(_("details of the basis"), max_length=300, blank=True)
    workforce_size = models.PositiveIntegerField(
        _("workforce size (employees)"), null=True, blank=True,
        help_text=_("Headcount of your own workforce, for the share of employees who took "
                    "part (CSRD reporting)."))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="one_time_valuation"),
            models.CheckConstraint(condition=Q(hour_value__gt=0), name="hour_value_positive"),
            models.CheckConstraint(condition=Q(workforce_size__gt=0)
                                   | Q(workforce_size__isnull=True),
                                   name="workforce_size_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.hour_value} €/h"


class Skill(models.Model):
    """A skill given in skills-based volunteering, valued at its own hourly rate (the
    salary cost of the employees who give it). A slot, or one pledge, can be marked as
    skills-based with a skill: its hours are then valued at that rate."""

    name = models.CharField(_("skill"), max_length=100)
    hourly_rate = models.DecimalField(
        _("hourly rate (€)"), max_digits=8, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(HOUR_VALUE_MAX)])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="skill_name_ci_unique"),
            models.CheckConstraint(condition=Q(hourly_rate__gt=0),
                                   name="skill_rate_positive"),
        ]

    def __str__(self) -> str:
        return self.name
