"""The employees' address of an organisation (``/internal/``, open to anyone on its host)
and the page its e-mailed link opens: the open internal campaigns, to join."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenants import throttle

from .. import links
from ..forms_outreach import EmployeeAddressForm
from ..services.internal_access import (
    internal_campaigns_open,
    internal_campaigns_url,
    internal_link_open,
    internal_link_send,
)
from ..services.joining import email_domain_allowed
from .visitors import participant_from_link

THROTTLE_SCOPE = "internal_address"


@require_http_methods(["GET", "POST"])
def internal_address(request):
    """Every well-formed address gets the same answer, known or not, allowed or not; the
    e-mail goes only to addresses at the organisation's verified domains."""
    form = EmployeeAddressForm(request.POST or None)
    if not request.tenant.allowed_email_domains:
        # Nobody could get a link: say so rather than answer "check your inbox" in vain.
        return render(request, "engagement/internal_address.html", {"form": None})
    if request.method == "POST":
        try:
            # The organisation is the subject: cache keys carry its schema already.
            throttle.check(request, THROTTLE_SCOPE, subject="organisation")
        except throttle.RateLimited as exc:
            form.errors.clear()
            form.add_error(None, exc.message)
            return render(request, "engagement/internal_address.html", {"form": form},
                          status=throttle.STATUS)
        if form.is_valid():
            internal_link_send(email=form.cleaned_data["email"],
                               language=request.LANGUAGE_CODE[:2])
            messages.success(request, _(
                "Thank you. If this address belongs to one of the organisation's domains, "
                "a message with your personal link is on its way: check your inbox (and "
                "your spam folder) in a few minutes."))
            return redirect("internal_address")
    return render(request, "engagement/internal_address.html", {"form": form},
                  status=400 if form.errors else 200)


def internal_address_link(request, token):
    """The link e-mailed from the employees' address: it proves the address, so its
    participant is made now (not when the address was typed), then sent on to their own
    page of internal campaigns. An expired or forged link asks for a new one."""
    participant = internal_link_open(token=token)
    if participant is None:
        messages.error(request, _("This link has expired or is not valid: enter your work "
                                  "address again to receive a new one."))
        return redirect("internal_address")
    return redirect(internal_campaigns_url(participant))


def internal_campaigns(request, token):
    """The organisation's open internal campaigns, for the person whose link this is:
    only someone whose address is at one of the organisation's verified domains (anyone
    else with a signed link, an outside volunteer, gets 404)."""
    known = links.participant_from_token(token)
    if known is None or not known.email or not email_domain_allowed(known.email):
        raise Http404
    participant = participant_from_link(request, token)
    campaigns = list(internal_campaigns_open().select_related("programme"))
    return render(request, "engagement/internal_campaigns.html", {
        "participant": participant, "token": links.participant_token(participant),
        "campaigns": campaigns})
