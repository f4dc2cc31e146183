"""The legal basis an organisation chose for each purpose of its personal data register
(docs/privacy.md, "Register"). Owners choose for the purposes where the law leaves a
choice; hearing about future actions is always consent (the product records it), and
running the members' accounts is the contract with Fullmobs."""

from __future__ import annotations

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.roles import Role

from ..models import Membership, Organisation, User

LEGAL_BASES: dict[str, Promise] = {
    "consent": gettext_lazy("Consent"),
    "legitimate_interest": gettext_lazy("Legitimate interest"),
    "public_task": gettext_lazy("Public task"),
    "contract": gettext_lazy("Contract"),
}
# The codes alone, named once in the API schema (SPECTACULAR_SETTINGS' ENUM_NAME_OVERRIDES).
LEGAL_BASIS_CODES: tuple[str, ...] = tuple(LEGAL_BASES)
# Purposes whose basis the organisation chooses, in the register's order.
CHOSEN_PURPOSES: dict[str, Promise] = {
    "organising": gettext_lazy(
        "Organising the collective actions: sign-ups, time slots, teams, check-in"),
    "pledge_messages": gettext_lazy(
        "Telling people about their pledges: confirmations, reminders, surveys"),
    "impact": gettext_lazy("Measuring the impact: attendance, hours, survey answers, reports"),
}
FIXED_PURPOSES: dict[str, tuple[Promise, str]] = {
    "future_actions": (gettext_lazy("Telling people who agreed about future actions"),
                       "consent"),
    "running": (gettext_lazy("Running the space: members' accounts, consultants' access"),
                "contract"),
}


def default_basis(organisation: Organisation) -> str:
    """A local authority acts in its public task; a company or association in its
    legitimate interest."""
    return "public_task" if organisation.kind == Organisation.Kind.LOCAL_AUTHORITY \
        else "legitimate_interest"


def organisation_legal_bases(organisation: Organisation) -> list[dict[str, object]]:
    """Every purpose with its basis (code and label) and whether the owner chooses it."""
    chosen = organisation.legal_bases or {}
    rows: list[dict[str, object]] = []
    for code, label in CHOSEN_PURPOSES.items():
        basis = chosen.get(code) if chosen.get(code) in LEGAL_BASES else \
            default_basis(organisation)
        rows.append({"code": code, "purpose": label, "basis": basis,
                     "basis_label": LEGAL_BASES[str(basis)], "chosen": True})
    for code, (label, basis) in FIXED_PURPOSES.items():
        rows.append({"code": code, "purpose": label, "basis": basis,
                     "basis_label": LEGAL_BASES[basis], "chosen": False})
    return rows


def organisation_legal_bases_update(*, organisation: Organisation, user: User,
                                    bases: dict[str, str]) -> Organisation:
    """An owner records the legal basis of each purpose they may choose."""
    if not Membership.objects.filter(organisation=organisation, user=user,
                                     role=Role.OWNER).exists():
        raise DomainError({"__all__": [_("Only an owner can choose the legal bases.")]})
    errors = {code: [_("Choose one of the legal bases offered.")]
              for code in CHOSEN_PURPOSES if bases.get(code) not in LEGAL_BASES}
    unknown = set(bases) - set(CHOSEN_PURPOSES)
    if unknown:
        errors["__all__"] = [_("Only these purposes take a chosen legal basis.")]
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        Organisation.objects.filter(pk=organisation.pk).update(
            legal_bases={code: bases[code] for code in CHOSEN_PURPOSES})
    organisation.refresh_from_db(fields=["legal_bases"])
    return organisation


def organisation_privacy_update(*, organisation: Organisation, user: User,
                                participant_retention_months: int | None = None,
                                report_retention_months: int | None = None,
                                legal_bases: dict[str, str] | None = None) -> Organisation:
    """An owner changes the retention periods and the chosen legal bases together (the
    API's PATCH; ``None`` or a purpose left out: unchanged), through the settings' and the
    register's services, in one transaction: one refusal and nothing is written."""
    from .organisation_settings import organisation_update

    with transaction.atomic():
        if participant_retention_months is not None or report_retention_months is not None:
            if not Membership.objects.filter(organisation=organisation, user=user,
                                             role=Role.OWNER).exists():
                raise DomainError({"__all__": [
                    _("Only an owner can change the retention periods.")]})
            organisation_update(
                organisation=organisation, name=organisation.name, locale=organisation.locale,
                time_zone=organisation.time_zone, brand_colour=organisation.brand_colour,
                participant_retention_months=participant_retention_months,
                report_retention_months=report_retention_months)
        if legal_bases:
            current = {str(row["code"]): str(row["basis"])
                       for row in organisation_legal_bases(organisation) if row["chosen"]}
            organisation_legal_bases_update(organisation=organisation, user=user,
                                            bases={**current, **legal_bases})
    return organisation
