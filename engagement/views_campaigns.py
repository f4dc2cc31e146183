"""Campaign pages: the public page and join form, participants' own pages (signed links),
check-in, and the organisers' campaign pages."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.db import connection
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from icalendar import Calendar, Event

from billing.catalogue import options
from billing.codes import Option
from billing.entitlements import entitlements_for
from billing.gating import requires_feature
from core.errors import DomainError
from core.roles import Role
from methodology.models import Lever
from tenants.access import require_role

from . import links, throttle
from .forms import (
    CampaignForm,
    CampaignInvitationForm,
    ImpactForm,
    JoinForm,
    NewCampaignForm,
    SlotForm,
    VerifyEmailForm,
)
from .models import (
    Campaign,
    Channel,
    Invitation,
    Participant,
    Pledge,
    Programme,
    ProgrammeSurveyQuestion,
    SurveyAnswer,
)
from .selectors import campaigns_with_progress, funnel_counts
from .selectors import team_leaderboard as leaderboard_rows
from .services import (
    campaign_create,
    campaign_join,
    campaign_open,
    campaign_update,
    impact_record,
    invitation_create,
    invitation_record_open,
    mobilised_count,
    personal_invitation_ensure,
    pledge_cancel,
    pledge_check_in,
    pledge_mark_no_show,
    slot_add,
)
from .services.checkin import (
    EARLY,
    LATE,
    checkin_code,
    checkin_code_normalise,
    companions_pending,
    pledge_by_checkin_code,
    pledge_for_self_check_in,
    pledge_undo_no_show,
)
from .services.joining import access_link_send, pledge_approve, pledge_decline

SESSION_KEY = "participant_token"


def _session_participant(request) -> Participant | None:
    token = request.session.get(SESSION_KEY)
    return links.participant_from_token(token) if token else None


def _remember(request, participant: Participant) -> None:
    request.session[SESSION_KEY] = links.participant_token(participant)


def _campaign_for_visitor(request, code: str) -> Campaign:
    """Drafts are visible to the organisation's members only (others: 404)."""
    campaign = get_object_or_404(Campaign.objects.select_related("programme"), code=code)
    if campaign.status == Campaign.Status.DRAFT and request.access is None:
        raise Http404
    return campaign


def _ics(events: list[tuple[str, object, object, str, str]], filename: str) -> HttpResponse:
    calendar = Calendar()
    calendar.add("prodid", "-//Fullmobs//fullmobs//")
    calendar.add("version", "2.0")
    for uid, start, end, summary, location in events:
        event = Event()
        event.add("uid", f"{uid}@{connection.schema_name}.fullmobs")
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("dtstamp", timezone.now())
        event.add("summary", summary)
        if location:
            event.add("location", location)
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---- the campaign page -------------------------------------------------------------------

def campaign_page(request, code):
    campaign = _campaign_for_visitor(request, code)
    participant = _session_participant(request)
    if request.GET.get("i"):
        invitation = invitation_record_open(campaign=campaign, code=request.GET["i"])
        if invitation is not None:
            request.session[f"invitation:{campaign.pk}"] = invitation.code
    may_see = (campaign.visibility == Campaign.Visibility.PUBLIC or request.access is not None
               or participant is not None
               or request.session.get(f"invitation:{campaign.pk}"))
    return _render_campaign(request, campaign, None, may_see=bool(may_see),
                            participant=participant)


def _inviter_name(request, campaign, participant) -> str:
    """The first name of whoever invited this visitor (never more of them), or ""."""
    code = request.session.get(f"invitation:{campaign.pk}")
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
        my_pledges = list(participant.pledges.filter(slot__campaign=campaign)
                          .exclude(status=Pledge.Status.CANCELLED)
                          .select_related("slot").order_by("slot__starts_at"))
        if campaign.is_open:
            share_url = links.campaign_url(
                campaign, invitation_code=personal_invitation_ensure(campaign=campaign,
                                                              participant=participant).code)
    # The join form offers the slots this person has not pledged to yet.
    pledged = {pledge.slot_id for pledge in my_pledges}
    form_slots = [slot for slot in slots if slot.pk not in pledged]
    if form is None:
        form = JoinForm(slots=form_slots, initial={
            "email": participant.email if participant else "",
            "first_name": participant.first_name if participant else ""})
    form.fields["companions"].widget.attrs["aria-describedby"] = "party-hint"
    paused = entitlements_for(request.tenant).read_only
    return render(request, "engagement/campaign_page.html", {
        "campaign": campaign, "slots": slots, "form": form, "may_see": may_see,
        "form_slots": form_slots, "my_pledges": my_pledges,
        "join_form_shown": campaign.is_open and not paused and bool(form_slots or form.is_bound),
        "token": links.participant_token(participant) if participant else "",
        "inviter_name": _inviter_name(request, campaign, participant),
        "mobilised": mobilised, "participant": participant,
        "time_left": campaign.mobilisation_deadline - timezone.now(),
        "share_url": share_url,
        "verify_form": verify_form or VerifyEmailForm(),
        # An unpaid organisation's campaigns are paused: visible, not taking sign-ups.
        "paused": paused,
    }, status=status)


@require_POST
def campaign_join_view(request, code):
    campaign = _campaign_for_visitor(request, code)
    participant = _session_participant(request)
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
        try:
            pledges = campaign_join(
                campaign=campaign, email=data["email"], slot_ids=data["slots"],
                first_name=data["first_name"], last_name=data["last_name"],
                language=request.LANGUAGE_CODE[:2], companions=data["companions"] or 0,
                companion_names=data["companion_names"],
                consent_to_contact=data["consent_to_contact"],
                invitation_code=request.session.get(f"invitation:{campaign.pk}", ""),
                known_participant=participant)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            return _joined(request, campaign, pledges, proven=participant is not None)
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
    _remember(request, pledges.participant)
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
    campaign = _campaign_for_visitor(request, code)
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


def participant_go(request, token, code):
    """From an e-mailed link to a campaign page, recognised."""
    _participant(request, token)
    return redirect("campaign_page", code=code)


def campaign_calendar(request, code):
    """The action's calendar entry. An internal campaign's title and place are for the
    organisation's members and its participants (their own link's session), not for
    anyone holding the campaign's code."""
    campaign = _campaign_for_visitor(request, code)
    if (campaign.visibility != Campaign.Visibility.PUBLIC and request.access is None
            and _session_participant(request) is None):
        raise Http404
    return _ics([(f"campaign-{campaign.pk}", campaign.starts_at, campaign.ends_at,
                  campaign.title, campaign.place)], f"{campaign.code}.ics")


@require_http_methods(["GET", "POST"])
def campaign_checkin(request, code, secret):
    """The page behind the QR code put up on site. Its secret proves presence; the session
    of the participant's own signed link proves who they are, and only they are checked in
    (their companions wait for an organiser). Any other visitor reads the same neutral page:
    it asks for nothing and tells nothing about who pledged."""
    campaign = _campaign_for_visitor(request, code)
    if not constant_time_compare(secret, campaign.checkin_secret):
        raise Http404
    participant = _session_participant(request)
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


# ---- participants (signed links) ---------------------------------------------------------

def _participant(request, token) -> Participant:
    participant = links.participant_from_token(token)
    if participant is None:
        raise Http404  # forged, expired, or another organisation's
    _remember(request, participant)
    return participant


def participant_home(request, token):
    participant = _participant(request, token)
    pledges = list(participant.pledges.exclude(status=Pledge.Status.CANCELLED)
                   .select_related("slot__campaign").order_by("slot__starts_at"))
    now = timezone.now()
    # Companions are counted once per campaign (the largest party brought to it), as the
    # campaign's figures count them; friends are those who joined through this person.
    companions: dict[int, int] = {}
    for pledge in pledges:
        # On the day, the personal check-in code (shown to an organiser) and how to check
        # in with the poster on site; never a check-in button that works from anywhere.
        pledge.can_check_in = (pledge.status == Pledge.Status.CONFIRMED
                               and pledge.attendance != Pledge.Attendance.ATTENDED
                               and pledge.slot.starts_at - EARLY <= now
                               <= pledge.slot.ends_at + LATE)
        pledge.checkin_code = checkin_code(pledge) if pledge.can_check_in else ""
        pledge.companions_pending = companions_pending(pledge)
        pledge.can_cancel = (pledge.attendance == Pledge.Attendance.PENDING
                             and pledge.slot.campaign.status not in (
                                 Campaign.Status.COMPLETED, Campaign.Status.FAILED))
        campaign = pledge.slot.campaign
        companions[campaign.pk] = max(companions.get(campaign.pk, 0), pledge.companions)
        pledge.share_field_id = f"invite-{pledge.pk}"
        pledge.invite_url = (links.campaign_url(
            campaign, invitation_code=personal_invitation_ensure(
                campaign=campaign, participant=participant).code) if campaign.is_open else "")
    return render(request, "engagement/participant_home.html", {
        "participant": participant, "pledges": pledges, "token": token,
        "hours": sum(p.hours_given for p in pledges),
        "companions": sum(companions.values()),
        "friends": participant.referrals.count(),
    })


@require_http_methods(["GET", "POST"])
def participant_cancel(request, token, pledge_id):
    """Cancelling asks first (a page, so that it works without JavaScript); afterwards the
    campaign's page is shown, where the person may pledge again while it is open."""
    participant = _participant(request, token)
    pledge = get_object_or_404(
        Pledge.objects.select_related("slot__campaign")
        .exclude(status=Pledge.Status.CANCELLED), pk=pledge_id, participant=participant)
    campaign = pledge.slot.campaign
    if request.method == "GET":
        return render(request, "engagement/participant_cancel.html", {
            "pledge": pledge, "campaign": campaign, "token": token})
    try:
        pledge_cancel(pledge=pledge)  # the waiting list moves up and is told, in the service
    except DomainError as exc:
        messages.error(request, exc.text)
        return redirect("participant_home", token=token)
    messages.success(request, _("Your pledge is cancelled. Thank you for letting us know."))
    return redirect("campaign_page", code=campaign.code)


def participant_checkin_code(request, token, pledge_id):
    """The participant's personal check-in code as a QR (SVG) for an organiser to scan: it
    opens the organiser's check-in page with the code filled in (managers only there)."""
    participant = _participant(request, token)
    pledge = get_object_or_404(Pledge.objects.select_related("slot__campaign"), pk=pledge_id,
                               participant=participant, status=Pledge.Status.CONFIRMED)
    code = checkin_code(pledge)
    url = links.absolute(reverse("campaign_checkin_desk", args=[pledge.slot.campaign_id])
                         + "?" + urlencode({"code": code}))
    return _qr_response(_qr_svg(url, title=_("Check-in code %(code)s") % {"code": code},
                                scale=6), f"check-in-{code}.svg")


def pledge_calendar(request, token, pledge_id):
    participant = _participant(request, token)
    pledge = get_object_or_404(Pledge.objects.select_related("slot__campaign"), pk=pledge_id,
                               participant=participant)
    slot = pledge.slot
    return _ics([(f"pledge-{pledge.pk}", slot.starts_at, slot.ends_at, slot.campaign.title,
                  slot.campaign.place)], f"{slot.campaign.code}.ics")


@require_http_methods(["GET", "POST"])
def participant_unsubscribe(request, token):
    participant = _participant(request, token)
    if request.method == "POST":
        participant.unsubscribed_at = participant.unsubscribed_at or timezone.now()
        participant.consent_to_contact = False
        participant.save(update_fields=["unsubscribed_at", "consent_to_contact"])
    return render(request, "engagement/participant_unsubscribe.html",
                  {"participant": participant, "token": token})


@require_http_methods(["GET", "POST"])
def participant_survey(request, token, code, moment):
    participant = _participant(request, token)
    campaign = get_object_or_404(Campaign, code=code)
    if moment not in ("after_action", "follow_up") or not participant.pledges.filter(
            slot__campaign=campaign).exists():
        raise Http404
    questions = list(ProgrammeSurveyQuestion.objects.filter(
        programme=campaign.programme, moment=moment).order_by("position"))
    existing = {a.question_id: a.answer for a in SurveyAnswer.objects.filter(
        participant=participant, campaign=campaign, question__in=questions)}
    errors = {}
    if request.method == "POST":
        for question in questions:
            answer = request.POST.get(f"q{question.pk}", "").strip()
            if question.kind == "scale" and answer and answer not in {"1", "2", "3", "4", "5"}:
                errors[question.pk] = _("Choose a number from 1 to 5.")
            elif question.kind == "yes_no" and answer and answer not in {"yes", "no"}:
                errors[question.pk] = _("Answer yes or no.")
            existing[question.pk] = answer
        if not errors:
            for question in questions:
                if existing.get(question.pk):
                    SurveyAnswer.objects.update_or_create(
                        participant=participant, campaign=campaign, question=question,
                        defaults={"answer": existing[question.pk],
                                  "answered_at": timezone.now()})
            messages.success(request, _("Thank you for your answers."))
            return redirect("participant_home", token=token)
    for question in questions:
        question.current = existing.get(question.pk, "")
        question.error = errors.get(question.pk)
    return render(request, "engagement/participant_survey.html", {
        "campaign": campaign, "questions": questions, "moment": moment,
        "participant": participant, "token": token}, status=400 if errors else 200)


# ---- organisers ----------------------------------------------------------------------------

def campaign_list(request):
    return render(request, "engagement/campaign_list.html", {
        "campaigns": campaigns_with_progress().order_by("-starts_at")})


@require_http_methods(["GET", "POST"])
def campaign_new(request, pk):
    require_role(request, Role.MANAGER)
    programme = get_object_or_404(Programme, pk=pk)
    form = NewCampaignForm(request.POST or None, initial={
        "participant_target": programme.participant_target or None,
        "capacity": programme.participant_target or None})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        capacity = data.pop("capacity")
        try:
            campaign = campaign_create(programme=programme, **data, slots=[
                (data["starts_at"], data["ends_at"], capacity)])
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Campaign created as a draft: check it, then open "
                                        "it for pledges."))
            return redirect("campaign_detail", pk=campaign.pk)
    places_warning = _places_warning(form.data.get("participant_target"),
                                     form.data.get("capacity")) if form.is_bound else ""
    return render(request, "engagement/campaign_form.html",
                  {"form": form, "programme": programme, "places_warning": places_warning},
                  status=400 if form.errors else 200)


def _places_warning(target, places) -> str:
    """A warning when the target asks for more people than the slots can take: the
    campaign could never succeed. Companions take places and count toward the target."""
    try:
        target, places = int(target), int(places)
    except (TypeError, ValueError):
        return ""
    if places >= target:
        return ""
    return ngettext(
        "The target (%(target)s people) is more than the %(places)s place offered: add time "
        "slots or places, or lower the target.",
        "The target (%(target)s people) is more than the %(places)s places offered: add "
        "time slots or places, or lower the target.", places) % {
        "target": target, "places": places}


def _campaign(pk) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("programme"), pk=pk)


def _pledges(campaign: Campaign, query: str = ""):
    """The campaign's live pledges, filtered by a search on the participant's name or
    e-mail: every word typed must match one of them ("ana mart" finds Ana Martin)."""
    pledges = (Pledge.objects.filter(slot__campaign=campaign)
               .exclude(status=Pledge.Status.CANCELLED)
               .select_related("participant__team", "slot", "invitation")
               .order_by("slot__starts_at", "created_at"))
    for word in query.split()[:5]:
        pledges = pledges.filter(Q(participant__first_name__icontains=word)
                                 | Q(participant__last_name__icontains=word)
                                 | Q(participant__email__icontains=word))
    return pledges


def _share_message(campaign: Campaign, organisation, url: str) -> str:
    """A ready-to-paste invitation, in the organisation's language and time zone."""
    from zoneinfo import ZoneInfo

    from django.utils import translation
    from django.utils.formats import date_format

    zone = ZoneInfo(organisation.time_zone)
    with translation.override(organisation.locale):
        when = date_format(timezone.localtime(campaign.starts_at, zone), "DATETIME_FORMAT")
        deadline = date_format(timezone.localtime(campaign.mobilisation_deadline, zone),
                               "DATE_FORMAT")
        if campaign.place:
            opening = _("Join us for “%(title)s” on %(date)s, %(place)s.") % {
                "title": campaign.title, "date": when, "place": campaign.place}
        else:
            opening = _("Join us for “%(title)s” on %(date)s.") % {
                "title": campaign.title, "date": when}
        need = ngettext("We need %(count)s person by %(deadline)s: give a few hours of "
                        "your time.",
                        "We need %(count)s people by %(deadline)s: give a few hours of "
                        "your time.", campaign.participant_target) % {
            "count": campaign.participant_target, "deadline": deadline}
        sign_up = _("Sign up here: %(url)s") % {"url": url}
    return f"{opening} {need}\n{sign_up}"


def campaign_detail(request, pk):
    campaign = _campaign(pk)
    query = request.GET.get("q", "").strip()[:100]
    pledges = _pledges(campaign, query)
    if query:  # a search by name or address finds only people the reader may see
        from tenants.access import identity_search_scope

        pledges = identity_search_scope(request.access, pledges,
                                        "participant__consent_to_contact")
    if request.htmx and request.htmx.target == "pledge-list":
        return render(request, "engagement/_pledge_list.html", {
            "campaign": campaign, "pledges": pledges, "query": query,
            "can_manage": request.access.can_manage})
    indicators = list(campaign.programme.indicators.all())
    can_manage = request.access.can_manage
    lever_analytics = entitlements_for(request.tenant).allows(Option.LEVER_ANALYTICS)
    checkin_url = links.absolute(reverse("campaign_checkin",
                                         args=[campaign.code, campaign.checkin_secret]))
    slots = list(campaign.slots.all())
    page_url = links.campaign_url(campaign)
    funnel = funnel_counts(campaign.invitations.all()) if lever_analytics else None
    if funnel:
        lever_names = {lever.code: lever.tr("name") for lever in Lever.objects.all()}
        channel_names = dict(Channel.choices)
        for row in funnel:
            row["lever_name"] = lever_names.get(row["lever_code"], _("Other"))
            row["channel_name"] = channel_names.get(row["channel"], _("Other"))
    attendance = Pledge.objects.filter(
        slot__campaign=campaign, status=Pledge.Status.CONFIRMED).aggregate(
        confirmed=Count("pk"),
        attended=Count("pk", filter=Q(attendance=Pledge.Attendance.ATTENDED)),
        no_show=Count("pk", filter=Q(attendance=Pledge.Attendance.NO_SHOW)))
    return render(request, "engagement/campaign_detail.html", {
        "campaign": campaign, "slots": slots, "pledges": pledges, "query": query,
        "mobilised": mobilised_count(campaign), "attendance": attendance,
        "places": sum(slot.capacity for slot in slots),
        "places_warning": _places_warning(campaign.participant_target,
                                          sum(slot.capacity for slot in slots)),
        "share_message": _share_message(campaign, request.tenant, page_url),
        # The funnel by lever and channel is the "lever analytics" paid option.
        "funnel": funnel,
        "lever_option": options()[Option.LEVER_ANALYTICS],
        "impacts": campaign.impacts.select_related("indicator"),
        "impact_form": ImpactForm(indicators=indicators) if can_manage and indicators
        else None,
        "slot_form": SlotForm() if can_manage else None,
        "invite_form": _invite_form(None) if can_manage else None,
        "invitations": campaign.invitations.filter(organiser__isnull=False)[:20],
        "page_url": page_url, "checkin_url": checkin_url,
    })


def _invite_form(data):
    return CampaignInvitationForm(
        data, channels=Channel.choices,
        levers=[(lever.code, lever.tr("name")) for lever in Lever.objects.all()])


@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk):
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    form = CampaignForm(request.POST or None, initial={
        name: getattr(campaign, name) for name in CampaignForm.base_fields})
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            campaign_update(campaign=campaign, **changed)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("campaign_detail", pk=campaign.pk)
    places = campaign.slots.aggregate(places=Sum("capacity"))["places"] or 0
    target = form.data.get("participant_target") if form.is_bound \
        else campaign.participant_target
    return render(request, "engagement/campaign_form.html",
                  {"form": form, "campaign": campaign, "programme": campaign.programme,
                   "places": places, "places_warning": _places_warning(target, places)},
                  status=400 if form.errors else 200)


@require_POST
def campaign_open_view(request, pk):
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    try:
        campaign_open(campaign=campaign)
    except DomainError as exc:
        messages.error(request, exc.text)
    else:
        messages.success(request, _("The campaign is open: share its address with the "
                                    "share kit below."))
        return redirect(reverse("campaign_detail", args=[campaign.pk]) + "#share")
    return redirect("campaign_detail", pk=campaign.pk)


@require_POST
def campaign_slot_add(request, pk):
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    form = SlotForm(request.POST)
    if form.is_valid():
        try:
            slot_add(campaign=campaign, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.text)
        else:
            messages.success(request, _("Time slot added."))
    else:
        messages.error(request, _("Check the slot's times and number of places."))
    return redirect("campaign_detail", pk=campaign.pk)


@require_POST
def campaign_attendance(request, pk, pledge_id):
    """Organiser check-in or no-show; HTMX swaps the row."""
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    pledge = get_object_or_404(Pledge.objects.select_related("participant__team", "slot"),
                               pk=pledge_id, slot__campaign=campaign)
    try:
        if request.POST.get("action") == "no_show":
            pledge_mark_no_show(pledge=pledge)
        elif request.POST.get("action") == "undo_no_show":
            pledge_undo_no_show(pledge=pledge)
        else:  # check in, or confirm the companions of a participant who checked in
            pledge = pledge_check_in(pledge=pledge, by_user=request.user,
                                     companions_present=_companions_present(request, pledge))
    except DomainError as exc:
        messages.error(request, exc.text)
    if request.htmx:
        pledge.refresh_from_db()
        return render(request, "engagement/_pledge_row.html",
                      {"pledge": pledge, "campaign": campaign, "can_manage": True})
    return redirect("campaign_detail", pk=campaign.pk)


def _companions_present(request, pledge) -> int | None:
    """How many companions an organiser says came ("" or absent: all of them)."""
    typed = request.POST.get("companions_present", "").strip()
    if not typed:
        return None
    try:
        return int(typed)
    except ValueError:
        raise DomainError({"companions_present": [
            _("Enter how many companions came, between 0 and %(count)s.")
            % {"count": pledge.companions}]}) from None


@require_http_methods(["GET", "POST"])
def campaign_checkin_desk(request, pk):
    """The organiser's check-in page on site: scan a participant's personal QR code (the
    phone's camera opens this page with the code) or type the code they show or read."""
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    typed = (request.POST.get("code") or request.GET.get("code") or "").strip()[:20]
    pledge = pledge_by_checkin_code(campaign=campaign, code=typed) if typed else None
    error = ""
    if typed and pledge is None:
        error = _("No pledge of this campaign has this check-in code: check the code.")
    if request.method == "POST" and pledge is not None:
        try:
            pledge = pledge_check_in(pledge=pledge, by_user=request.user,
                                     companions_present=_companions_present(request, pledge))
        except DomainError as exc:
            error = exc.text
        else:
            messages.success(request, _("%(name)s is checked in.") % {
                "name": pledge.participant.display_name})
            return redirect("campaign_checkin_desk", pk=campaign.pk)
    return render(request, "engagement/campaign_checkin_desk.html", {
        "campaign": campaign, "code": checkin_code_normalise(typed) or typed,
        "pledge": pledge, "error": error,
        "companions_pending": companions_pending(pledge) if pledge else 0,
    }, status=400 if error else 200)


@require_POST
def campaign_party(request, pk, pledge_id):
    """An organiser approves or declines a large party awaiting approval; HTMX swaps the
    row."""
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    pledge = get_object_or_404(Pledge.objects.select_related("participant__team", "slot"),
                               pk=pledge_id, slot__campaign=campaign)
    try:
        if request.POST.get("decision") == "decline":
            pledge_decline(pledge=pledge)
            messages.success(request, _("The group is declined: it holds no place."))
        else:
            pledge = pledge_approve(pledge=pledge)
            if pledge.status == Pledge.Status.CONFIRMED:
                messages.success(request, _("The group is approved and has its places."))
            else:
                messages.info(request, _("The group is approved; the slot is full, so it "
                                         "is on the waiting list."))
    except DomainError as exc:
        messages.error(request, exc.text)
    if request.htmx:
        pledge.refresh_from_db()
        return render(request, "engagement/_pledge_row.html",
                      {"pledge": pledge, "campaign": campaign, "can_manage": True})
    return redirect("campaign_detail", pk=campaign.pk)


@require_POST
def campaign_impact(request, pk):
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    indicators = list(campaign.programme.indicators.all())
    form = ImpactForm(request.POST, indicators=indicators)
    if form.is_valid():
        indicator = next(i for i in indicators if i.pk == form.cleaned_data["indicator"])
        try:
            impact_record(campaign=campaign, indicator=indicator,
                          value=form.cleaned_data["value"], note=form.cleaned_data["note"],
                          user=request.user)
        except DomainError as exc:
            messages.error(request, exc.text)
        else:
            messages.success(request, _("Impact recorded."))
    else:
        messages.error(request, " ".join(e for es in form.errors.values() for e in es))
    return redirect("campaign_detail", pk=campaign.pk)


@require_POST
def campaign_invite(request, pk):
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    form = _invite_form(request.POST)
    if form.is_valid():
        try:
            invitation = invitation_create(campaign=campaign, organiser=request.user,
                                           **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.text)
        else:
            messages.success(request, _("Invitation recorded. Its link: %(url)s") % {
                "url": links.campaign_url(campaign, invitation_code=invitation.code)})
    else:
        messages.error(request, " ".join(e for es in form.errors.values() for e in es))
    return redirect("campaign_detail", pk=campaign.pk)


def _qr_svg(url: str, *, title: str, scale: int = 8) -> str:
    """A standalone SVG document (namespace, width, height and viewBox), which a browser
    shows as an image, an <img> sizes, and a printer scales without blur."""
    import io

    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", omitsize=True, dark="#1d1d1b", light="#ffffff",
            title=title, xmldecl=True, border=4)
    size = qr.symbol_size(scale=scale, border=4)[0]
    return buffer.getvalue().decode().replace(
        "<svg ", f'<svg width="{size}" height="{size}" ', 1)


def _qr_response(svg: str, filename: str) -> HttpResponse:
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def campaign_qr(request, pk):
    """The check-in QR code to print or show on the day (SVG, made here, no service). It
    carries the check-in secret: managers only."""
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    url = links.absolute(reverse("campaign_checkin", args=[campaign.code,
                                                            campaign.checkin_secret]))
    return _qr_response(_qr_svg(url, title=_("Check-in: %(title)s") % {
        "title": campaign.title}), f"check-in-{campaign.code}.svg")


def campaign_share_qr(request, pk):
    """The QR code of the campaign's public page, for posters and slides."""
    campaign = _campaign(pk)
    return _qr_response(_qr_svg(links.campaign_url(campaign), title=campaign.title),
                        f"{campaign.code}.svg")


def campaign_poster(request, pk):
    """The check-in poster: an A4 page to print and put up on site, in the organisation's
    language (the people reading it on the day are its people, not the organiser)."""
    require_role(request, Role.MANAGER)
    campaign = _campaign(pk)
    return render(request, "engagement/campaign_poster.html", {
        "campaign": campaign, "slots": campaign.slots.all()})


def team_leaderboard(request):
    """Teams by hours given and people mobilised; the page refreshes itself (HTMX)."""
    template = "engagement/_leaderboard.html" if request.htmx else "engagement/teams.html"
    return render(request, template, {"teams": leaderboard_rows(), "updated": timezone.now()})


@requires_feature(Option.LEVER_ANALYTICS)
def lever_analytics(request):
    """Which levers and channels bring people, across every campaign (paid option)."""
    rows = funnel_counts()
    names = {lever.code: lever.tr("name") for lever in Lever.objects.all()}
    channel_names = dict(Channel.choices)
    for row in rows:
        row["lever_name"] = names.get(row["lever_code"], _("Other"))
        row["channel_name"] = channel_names.get(row["channel"], _("Other"))
        # Rates (0-1), shown through the one formatting layer (core.formatting's percent).
        row["conversion"] = row["pledged"] / row["sent"] if row["sent"] else 0
        row["attendance"] = row["attended"] / row["pledged"] if row["pledged"] else 0
    return render(request, "engagement/lever_analytics.html", {"rows": rows})
