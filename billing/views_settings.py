"""The organisation's settings page: tenants' settings (name, language, time zone, e-mail
domains) with the colour and logo that the "branded space" option allows."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.roles import Role
from tenants.access import require_role
from tenants.email_domains import suggested_domains
from tenants.forms import OrganisationSettingsForm
from tenants.models import Membership
from tenants.services import organisation_update

from .catalogue import options
from .codes import Option
from .entitlements import entitlements_for


@require_http_methods(["GET", "POST"])
def organisation_settings(request):
    require_role(request, Role.OWNER)
    organisation = request.tenant
    form = OrganisationSettingsForm(
        request.POST or None, request.FILES or None,
        initial={"name": organisation.name, "locale": organisation.locale,
                 "time_zone": organisation.time_zone,
                 "allowed_email_domains": ", ".join(
                     organisation.allowed_email_domains or _owners_domains(organisation)),
                 "brand_colour": organisation.brand_colour, "logo": organisation.logo,
                 "participant_retention_months": organisation.participant_retention_months,
                 "report_retention_months": organisation.report_retention_months},
    )
    branded = entitlements_for(organisation).allows(Option.BRANDED_SPACE)
    if not branded:  # colours and logo are the "branded space" option
        del form.fields["brand_colour"], form.fields["logo"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation_update(
                organisation=organisation, name=data["name"], locale=data["locale"],
                time_zone=data["time_zone"],
                brand_colour=data.get("brand_colour", organisation.brand_colour),
                logo=data.get("logo") or None, remove_logo=data.get("logo") is False,
                allowed_email_domains=data["allowed_email_domains"],
                # Left empty: unchanged.
                participant_retention_months=data.get("participant_retention_months"),
                report_retention_months=data.get("report_retention_months"),
            )
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("organisation_settings")
    return render(request, "billing/organisation_settings.html",
                  {"form": form, "branded": branded,
                   "branding_option": options()[Option.BRANDED_SPACE]},
                  status=400 if form.errors else 200)


def _owners_domains(organisation) -> list[str]:
    """What an empty list of allowed domains is pre-filled with: the owners' own domains
    (never a public webmail one)."""
    return suggested_domains(*Membership.objects.filter(
        organisation=organisation, role=Role.OWNER).values_list("user__email", flat=True))
