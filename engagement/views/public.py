"""Pages for anyone with a campaign's address: the campaign page, joining it, proving an
address for an internal campaign, its calendar entry, and the check-in page behind the QR
code put up on site (internal campaigns check who joins)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from billing.entitlements import entitlements_for
from core.errors import DomainError
from core.sessions import session_cookie_set, session_forget_unsaved, session_save_now
from tenants import throttle

from .. import links
from ..forms import JoinForm, VerifyEmailForm
from ..models import Campaign, Invitation, Pledge
from ..selectors import participant_pledges
from ..services import (
    campaign_join,
    invitation_record_open,
    mobilised_count,
    personal_invitation_code,
    pledge_check_in,
)
from ..services.checkin import companions_pending, pledge_for_self_check_in
from ..services.joining import access_link_send
from ..services.profile_links import participant_profile_keep, participant_profile_keep_later
from ..services.quota import counts_this_month, participant_quota
from .documents import ics_response
from .visitors import (
    campaign_for_visitor,
    invitation_code,
    invitation_remember,
    remember,
    session_participant,
)


def campaign_page(request, code):
    campaign = campaign_for_visitor(request, code)
    participant = session_participant(request)
    invitation = None
    if request.GET.get("i"):
        invitation = invitation_record_open(campaign=campaign, code=request.GET["i"])
        if invitation is not None:
            request.invitation_code = invitation.code  # read by this page already
    may_see = (campaign.visibility == Campaign.Visibility.PUBLIC or request.access is not None
               or participant is not None or invitation_code(request, campaign))
    response = _render_campaign(request, campaign, None, may_see=bool(may_see),
                                participant=participant)
    if invitation is not None:
        invitation_remember(response, campaign, invitation.code)
    return response


def _inviter_name(request, campaign, participant) -> str:
    """The first name of whoever invited this visitor (never more of them), or ""."""
    code = invitation_code(request, campaign)
    invitation = (Invitation.objects.select_related("inviter")
                  .filter(campaign=campaign, code=code).first() if code else None)
    inviter = invitation.inviter if invitation is not None else None
    if inviter is None or (participant is not None and inviter.pk == participant.pk):
        return ""
    return inviter.first_name


def _render_campaign(request, campaign, form, *, may_see: bool, participant, status=200,
                     verify_form=None):
    slots = list(campaign.slots.all())
    mobilised = mobilised_count(campaign)
    share_url = links.campaign_url(campaign)
    my_pledges = []
    if participant is not None:
        my_pledges = list(participant_pledges(participant, campaign=campaign))
        code = (personal_invitation_code(campaign=campaign, participant=participant)
                if campaign.is_open else "")
        if code:
            share_url = links.campaign_url(campaign, invitation_code=code)
    # The join form offers the slots this person has not pledged to yet.
    pledged = {pledge.slot_id for pledge in my_pledges}
    form_slots = [slot for slot in slots if slot.pk not in pledged]
    if form is None:
        form = JoinForm(slots=form_slots, initial={
            "email": participant.email if participant else "",
            "first_name": participant.first_name if participant else ""})
    form.fields["companions"].widget.attrs["aria-describedby"] = "party-hint"
    paused = entitlements_for(request.tenant).read_only
    # Past the plan's participants quota only people who already count this month join.
    quota_full = campaign.is_open and not paused and participant_quota(request.tenant).reached \
        and not (participant is not None and counts_this_month(participant.pk))
    return render(request, "engagement/campaign_page.html", {
        "campaign": campaign, "slots": slots, "form": form, "may_see": may_see,
        "form_slots": form_slots, "my_pledges": my_pledges,
        "join_form_shown": campaign.is_open and not paused and not quota_full
        and bool(form_slots or form.is_bound),
        "quota_full": quota_full,
        "token": links.participant_token(participant) if participant else "",
        "inviter_name": _inviter_name(request, campaign, participant),
        "mobilised": mobilised, "participant": participant,
        "time_left": campaign.mobilisation_deadline - timezone.now(),
        "share_url": share_url,
        # A failed or completed campaign asks nobody for anything: it shows its outcome.
        "closed": campaign.status in (Campaign.Status.FAILED, Campaign.Status.COMPLETED),
        "verify_form": verify_form or VerifyEmailForm(),
        # An unpaid organisation's campaigns are paused: visible, not taking sign-ups.
        "paused": paused,
    }, status=status)


@require_POST
def campaign_join_view(request, code):
    campaign = campaign_for_visitor(request, code)
    participant = session_participant(request)
    proven = participant is not None
    form = JoinForm(request.POST, slots=campaign.slots.all())
    try:
        throttle.check(request, "join", subject=campaign)
    except throttle.RateLimited as exc:
        form.is_valid()  # the typed values are shown again, with the refusal above them
        form.add_error(None, exc.message)
        return _render_campaign(request, campaign, form, may_see=True,
                                participant=participant, status=throttle.STATUS)
    if form.is_valid():
        data = form.cleaned_data

        remembered = []

        def remember_visitor(person, created: bool) -> None:
            # Only a person this join creates, or who came with their signed link, is
            # remembered (see _joined); the session row is written here, in the join's
            # transaction: it commits with the pledges or not at all, so a visitor whose
            # join fails leaves no session behind.
            if created or proven:
                remember(request, person)
                session_save_now(request)
                remembered.append(person)
                if data["keep_in_profile"] and proven:
                    # The person's own tick (they came with their signed link), linked
                    # in the join's transaction.
                    participant_profile_keep(participant=person, keep=True)
                elif data["keep_in_profile"]:
                    # Whoever typed a new address proved nothing: the wish waits on the
                    # person's row until a link e-mailed to that address is opened.
                    participant_profile_keep_later(participant=person)

        try:
            pledges = campaign_join(
                campaign=campaign, email=data["email"], slot_ids=data["slots"],
                first_name=data["first_name"], last_name=data["last_name"],
                language=request.LANGUAGE_CODE[:2], companions=data["companions"] or 0,
                companion_names=data["companion_names"],
                consent_to_contact=data["consent_to_contact"],
                invitation_code=invitation_code(request, campaign),
                known_participant=participant, on_participant=remember_visitor)
        except DomainError as exc:
            if remembered:
                session_forget_unsaved(request)  # as the rolled-back join left it
            exc.add_to_form(form)
        else:
            response = _joined(request, campaign, pledges, proven=proven)
            session_cookie_set(request, response)
            return response
    return _render_campaign(request, campaign, form, may_see=True, participant=participant,
                            status=400)


def _joined(request, campaign, pledges, *, proven: bool):
    """After a join. The visitor's session opens the participant's space only when this
    join created that participant, or the visitor came with their signed link; knowing an
    address is not enough, so a join with a known one is told to read the e-mail, which
    carries the link (the same words whatever the address, new or known, is worth)."""
    if not (pledges.participant_created or proven):
        messages.success(request, _("Thank you! Your pledge is recorded. Check your e-mail: "
                                    "the message we have just sent has your personal link "
                                    "to see or change it."))
        return redirect("campaign_page", code=campaign.code)
    # The session already remembers the participant (campaign_join's on_participant).
    statuses = {pledge.status for pledge in pledges}
    if statuses == {Pledge.Status.AWAITING_APPROVAL}:
        messages.info(request, _("Thank you! Groups this large are confirmed by the "
                                 "organisers: your group holds no place until they approve "
                                 "it, and you will be told by e-mail."))
    elif statuses == {Pledge.Status.WAITLISTED}:
        messages.info(request, _("These slots are full: you are on the waiting list "
                                 "and will be told as soon as a place frees up."))
    else:
        messages.success(request, _("Thank you! Your pledge is recorded; a "
                                    "confirmation is on its way."))
    return redirect("participant_home", token=links.participant_token(pledges.participant))


@require_POST
def campaign_verify(request, code):
    """Internal campaigns: prove an address at one of the organisation's domains."""
    campaign = campaign_for_visitor(request, code)
    form = VerifyEmailForm(request.POST)
    try:
        throttle.check(request, "address_check", subject=campaign)
    except throttle.RateLimited as exc:
        form.errors.clear()
        form.add_error(None, exc.message)
        return _render_campaign(request, campaign, JoinForm(slots=campaign.slots.all()),
                                may_see=False, participant=None, status=throttle.STATUS,
                                verify_form=form)
    if form.is_valid() and access_link_send(
            campaign=campaign, email=form.cleaned_data["email"],
            language=request.LANGUAGE_CODE[:2]):
        messages.success(request, _("Check your inbox: we have sent you your personal link."))
        return redirect("campaign_page", code=campaign.code)
    if not form.errors:
        form.add_error("email", _("Use your organisation e-mail address."))
    return _render_campaign(request, campaign, JoinForm(slots=campaign.slots.all()),
                            may_see=False, participant=None, status=400, verify_form=form)


def campaign_calendar(request, code):
    """The action's calendar entry. An internal campaign's title and place are for the
    organisation's members and its participants (their own link's session), not for
    anyone holding the campaign's code."""
    campaign = campaign_for_visitor(request, code)
    if (campaign.visibility != Campaign.Visibility.PUBLIC and request.access is None
            and session_participant(request) is None):
        raise Http404
    return ics_response([(f"campaign-{campaign.pk}", campaign.starts_at, campaign.ends_at,
                          campaign.localized("title").text, campaign.place)],
                        f"{campaign.code}.ics")


@require_http_methods(["GET", "POST"])
def campaign_checkin(request, code, secret):
    """The page behind the QR code put up on site. Its secret proves presence; the session
    of the participant's own signed link proves who they are, and only they are checked in
    (their companions wait for an organiser). Any other visitor reads the same neutral page:
    it asks for nothing and tells nothing about who pledged."""
    campaign = campaign_for_visitor(request, code)
    if not constant_time_compare(secret, campaign.checkin_secret):
        raise Http404
    participant = session_participant(request)
    pledge = (pledge_for_self_check_in(campaign=campaign, participant=participant)
              if participant is not None else None)
    if request.method == "POST":
        try:
            throttle.check(request, "checkin", subject=campaign)
        except throttle.RateLimited as exc:
            messages.error(request, exc.message)
            return render(request, "engagement/campaign_checkin.html", {
                "campaign": campaign, "participant": participant, "pledge": None,
                "companions_pending": 0, "token": ""}, status=throttle.STATUS)
    if request.method == "POST" and pledge is not None:
        try:
            pledge_check_in(pledge=pledge)
        except DomainError as exc:
            messages.error(request, exc.text)
        return redirect("campaign_checkin", code=campaign.code, secret=secret)
    return render(request, "engagement/campaign_checkin.html", {
        "campaign": campaign, "participant": participant, "pledge": pledge,
        "companions_pending": companions_pending(pledge) if pledge else 0,
        "token": links.participant_token(participant) if participant else ""})
