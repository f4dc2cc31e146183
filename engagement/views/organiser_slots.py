"""An organiser moves a campaign's time slot (its people's calendars follow, see
``services.slot_changes``)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.roles import Role
from tenants.access import require_role

from ..forms import SlotMoveForm
from ..models import Campaign, Slot
from ..services.slot_changes import slot_move


@require_POST
def campaign_slot_move(request, pk, slot_id):
    require_role(request, Role.MANAGER)
    campaign = get_object_or_404(Campaign, pk=pk)
    slot = get_object_or_404(Slot, pk=slot_id, campaign=campaign)
    form = SlotMoveForm(request.POST, prefix=f"move-{slot.pk}")
    if not form.is_valid():
        messages.error(request, _("Check the slot's new times."))
        return redirect("campaign_detail", pk=campaign.pk)
    try:
        slot_move(slot=slot, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.text)
    else:
        messages.success(request, _("Time slot moved: the people coming are sent the new "
                                    "time and their calendars are updated."))
    return redirect("campaign_detail", pk=campaign.pk)
