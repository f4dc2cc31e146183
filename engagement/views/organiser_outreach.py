"""Organisers reaching everyone from a campaign: inviting a whole list, a team or a site in
one go (preview, then send), registering a walk-in on the day, and postponing or
relaunching a campaign that missed its target. Managers and owners only."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.roles import Role
from core.tenancy import current_organisation
from methodology.models import Lever
from tenants.access import require_role

from .. import links
from ..forms_outreach import BulkInvitationForm, NewDatesForm, RelaunchForm, WalkInForm
from ..models import BulkJob, Campaign, Channel
from ..selectors import RELAUNCH_LEVER, relaunch_lever_name
from ..services.campaign_recovery import campaign_postpone, campaign_relaunch
from ..services.invitation_jobs import invitation_job_create, invitation_job_message
from ..services.outreach import (
    BULK_CHANNELS,
    bulk_audience,
    bulk_preview,
    bulk_send_check,
)
from ..services.walk_ins import TAKING_PLACE, walk_in_register


def campaign_or_404(pk) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("programme"), pk=pk)


def campaign_outreach_context(campaign: Campaign, *, can_manage: bool) -> dict:
    """What the campaign page shows of this module: the bulk sends, the history of a
    postponement or relaunch, and (on the day, for managers) the walk-in form."""
    walk_in_form = (WalkInForm(campaign=campaign) if can_manage
                    and campaign.status in TAKING_PLACE else None)
    # A batch whose invitations are still being recorded (its job's page shows it) is
    # listed once they are all recorded.
    batches = list(campaign.invitation_batches.filter(invited__gt=0)[:10])
    if batches:
        lever_names = {lever.code: lever.tr("name") for lever in Lever.objects.all()}
        lever_names[RELAUNCH_LEVER] = relaunch_lever_name()
        channel_names = {**dict(Channel.choices), **bulk_channel_names()}
        now = timezone.now()
        for batch in batches:  # by their names, never their codes
            # Waiting for the next hour's allowance (else being composed now).
            batch.waiting = (batch.next_at is not None  # type: ignore[attr-defined]
                             and batch.next_at > now)
            batch.lever_name = lever_names.get(  # type: ignore[attr-defined]
                batch.lever_code, _("Other"))
            batch.channel_name = channel_names.get(  # type: ignore[attr-defined]
                batch.channel, _("Other"))
    return {
        "invitation_batches": batches,
        "campaign_events": campaign.events.select_related("relaunch", "by"),
        "relaunched_from": Campaign.objects.filter(relaunched_as=campaign).first(),
        "walk_in_form": walk_in_form if walk_in_form is not None
        and walk_in_form.has_slots else None,
        "employees_url": links.absolute(reverse("internal_address"))
        if campaign.visibility == Campaign.Visibility.INTERNAL
        and current_organisation().allowed_email_domains else "",
    }


def bulk_channel_names() -> dict[str, str]:
    """How a bulk send goes, by name, the same in the form and in the list of sends."""
    return {Channel.EMAIL: _("By e-mail, from the organisation"),
            Channel.MANAGER: _("By e-mail, on a manager's behalf")}


def _bulk_form(data, campaign: Campaign) -> BulkInvitationForm:
    names = bulk_channel_names()
    return BulkInvitationForm(
        data, levers=[(lever.code, lever.tr("name")) for lever in Lever.objects.all()],
        channels=[(code, names[code]) for code in BULK_CHANNELS])


@require_http_methods(["GET", "POST"])
def campaign_invite_many(request, pk):
    """First a preview (how many would be invited, and who is left out and why), then the
    send, with the same choices."""
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    form = _bulk_form(request.POST or None, campaign)
    if not form.is_bound and request.GET.get("lever"):  # from an at-risk notice's lever
        form.initial["lever_code"] = request.GET["lever"][:50]
    preview, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            audience = bulk_audience(kind=data["audience"],
                                     team_id=data["team"].pk if data["team"] else None,
                                     site=data["site"])
            if request.POST.get("send") == "1":
                job = invitation_job_create(
                    campaign=campaign, audience=audience, lever_code=data["lever_code"],
                    channel=data["channel"], organiser=request.user)
                return redirect("campaign_invitation_job", pk=campaign.pk, job=job.pk)
            bulk_send_check(campaign=campaign, lever_code=data["lever_code"],
                            channel=data["channel"])
            preview = bulk_preview(campaign=campaign, audience=audience)
        except DomainError as exc:
            exc.add_to_form(form)
            status = 400
    elif form.is_bound:
        status = 400
    return render(request, "engagement/campaign_invite_many.html", {
        "campaign": campaign, "form": form, "preview": preview,
        "open": campaign.is_open}, status=status)


@require_http_methods(["GET"])
def campaign_invitation_job(request, pk, job):
    """A send in one go while the worker records its invitations: the progress bar
    (static/js/bulk_progress.js, or the page refreshing itself without JavaScript), then
    how the e-mails go out under the hourly allowance."""
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    job = get_object_or_404(BulkJob, pk=job, kind=BulkJob.Kind.INVITATIONS,
                            options__campaign=campaign.pk)
    return render(request, "engagement/campaign_invitation_job.html", {
        "campaign": campaign, "job": job, "message": invitation_job_message(job),
        "api_url": reverse("invitation-job-detail", args=[job.pk])})


@require_http_methods(["GET", "POST"])
def campaign_walk_in(request, pk):
    """Someone came without a pledge: the form is on the campaign page too; this page
    shows it again with what was wrong."""
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    form = WalkInForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pledge = walk_in_register(
                slot=data["slot"], first_name=data["first_name"],
                last_name=data["last_name"], email=data["email"],
                consent_to_contact=data["consent_to_contact"], by_user=request.user)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("%(name)s is registered and checked in.") % {
                "name": pledge.participant.display_name})
            return redirect(reverse("campaign_detail", args=[campaign.pk]) + "#walk-in")
    return render(request, "engagement/campaign_walk_in.html", {
        "campaign": campaign, "form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def campaign_postpone_view(request, pk):
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    form = NewDatesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = campaign_postpone(campaign=campaign, by_user=request.user,
                                      **form.cleaned_data)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, ngettext(
                "The campaign is postponed and open again; %(count)s person with a pledge "
                "is being told.",
                "The campaign is postponed and open again; %(count)s people with a pledge "
                "are being told.", event.people_told) % {"count": event.people_told})
            return redirect("campaign_detail", pk=campaign.pk)
    return render(request, "engagement/campaign_new_dates.html", {
        "campaign": campaign, "form": form, "relaunch": False,
        "allowed": campaign.status in (Campaign.Status.OPEN, Campaign.Status.FAILED)
        and campaign.relaunched_as_id is None},
        status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def campaign_relaunch_view(request, pk):
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    form = RelaunchForm(request.POST or None,
                        initial={"participant_target": campaign.participant_target})
    if request.method == "POST" and form.is_valid():
        try:
            new = campaign_relaunch(campaign=campaign, by_user=request.user,
                                    **form.cleaned_data)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("The new campaign is open, and the people who had "
                                        "pledged to the old one are being invited."))
            return redirect("campaign_detail", pk=new.pk)
    return render(request, "engagement/campaign_new_dates.html", {
        "campaign": campaign, "form": form, "relaunch": True,
        "allowed": campaign.status == Campaign.Status.FAILED
        and campaign.relaunched_as_id is None}, status=400 if form.errors else 200)
