"""The statement of skills-based volunteering ("mécénat de compétences") a French company
keeps for its records: for a campaign or a period, each employee's hours given as
skills-based volunteering, the skill and its hourly rate, the amount, and the totals.

The rows are the attended, confirmed pledges marked with a skill (the pledge's own, else
its slot's) of the organisation's own people (``reports.csrd.own_workforce``: verified
e-mail domains or imported lists; a public campaign's citizens are not its employees),
each with the person's own hours (``reports.own_hours``: their companions' hours are not
an employee's). So its total is the skills-based hours of the own workforce, not the
dashboards' "skills-based volunteering" figure, which values every participant's hours
with their companions'. Each row is valued at the
rate its hours were given at (kept on the pledge), and prints it: a skill's rate changed
since gives another subtotal line, and a statement issued before reads the same after.
The PDF states amounts and their basis; it gives no tax advice (article 238 bis of the
French tax code sets what a company may claim, and its adviser decides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.tenancy import current_organisation, current_schema
from engagement.models import Campaign, TimeValuation
from tenants.access import sees_participant_identity

from .csrd import own_workforce
from .own_hours import pledge_own_hours
from .pdf import render_html
from .value import SKILLED, pledge_rate, pledges_given


@dataclass
class Statement:
    campaign: Campaign | None
    start: date | None
    end: date | None
    rows: list[dict] = field(default_factory=list)
    skills: list[dict] = field(default_factory=list)
    hours: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)


def skills_statement(*, access, campaign: Campaign | None = None,
                     start: date | None = None, end: date | None = None) -> Statement:
    """The statement of a campaign, or of the campaigns starting from ``start`` to ``end``.
    Names follow the one rule of identity (``sees_participant_identity``)."""
    pledges = pledges_given().filter(SKILLED, own_workforce()).select_related(
        "participant", "skill", "slot__skill", "slot__campaign")
    if campaign is not None:
        pledges = pledges.filter(slot__campaign=campaign)
    else:
        pledges = pledges.filter(slot__campaign__starts_at__date__gte=start,
                                 slot__campaign__starts_at__date__lte=end)
    statement = Statement(campaign=campaign, start=start, end=end)
    by_skill: dict[tuple[int, Decimal], dict] = {}
    for pledge in pledges.order_by("participant__last_name", "participant__first_name",
                                   "participant_id", "slot__starts_at", "pk"):
        skill = pledge.skill or pledge.slot.skill
        if skill is None:  # never: SKILLED kept only pledges with a skill
            continue
        rate = pledge_rate(pledge, skill.hourly_rate)
        hours = pledge_own_hours(pledge)
        # Rounded to the cent as ``reports.value`` rounds each pledge's value.
        amount = (hours * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        person = pledge.participant
        named = sees_participant_identity(access, consented=person.consent_to_contact)
        statement.rows.append({
            "employee": person.display_name if named and not person.erased_at
            else _("Participant %(row)s") % {"row": person.pk},
            # The campaign itself: the PDF names it in the statement's language.
            "campaign": pledge.slot.campaign, "date": pledge.slot.starts_at,
            "skill": skill.name, "hours": hours, "rate": rate,
            "amount": amount})
        subtotal = by_skill.setdefault((skill.pk, rate), {
            "skill": skill.name, "rate": rate, "hours": Decimal(0), "amount": Decimal(0)})
        subtotal["hours"] += hours
        subtotal["amount"] += amount
        statement.hours += hours
        statement.amount += amount
    statement.skills = sorted(by_skill.values(), key=lambda row: (row["skill"], row["rate"]))
    return statement


def statement_pdf(statement: Statement, *, language: str) -> bytes:
    organisation = current_organisation()
    with translation.override(language):
        html = render_to_string("reports/pdf/statement.html", {
            "statement": statement, "organisation": organisation, "language": language,
            "valuation": TimeValuation.objects.filter(pk=1).first(),
            "generated_at": timezone.now()})
    pdf, _pages = render_html(html, schema_name=current_schema())
    return pdf
