"""A person's own hours on a pledge, apart from their companions'.

An organiser who checks in a pledge credits the participant and the companions who came
with them (``engagement.services.checkin``): ``Pledge.hours_given`` is the slot's length
times the people present, or the hours the organiser typed for all of them. The figures
that count *people's* hours (every volunteering hour valued, the dashboards, the team
challenges) keep that total: companions gave their time too. The figures about one
person as an employee (the statement of skills-based volunteering, the CSRD
own-workforce hours) count the person's own hours only: all the hours given when the
pledge brings no companion, otherwise the hours given up to the slot's length (a
companion is not the employee, and no one person is in one slot longer than it lasts).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Value, When
from django.db.models.functions import Extract, Least

from engagement.models import Pledge

HOURS = DecimalField(max_digits=8, decimal_places=2)


def own_hours() -> Case:
    """``pledge_own_hours`` in SQL, on pledges."""
    slot_hours = ExpressionWrapper(
        Extract(F("slot__ends_at") - F("slot__starts_at"), "epoch") / Value(Decimal(3600)),
        output_field=HOURS)
    return Case(When(companions=0, then=F("hours_given")),
                default=Least(F("hours_given"), slot_hours), output_field=HOURS)


def pledge_own_hours(pledge: Pledge) -> Decimal:
    """The participant's own hours of ``pledge`` (module docstring)."""
    if pledge.companions == 0:
        return pledge.hours_given
    slot_hours = Decimal(str(pledge.slot.hours)).quantize(Decimal("0.01"))
    return min(pledge.hours_given, slot_hours)
