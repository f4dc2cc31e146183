"""A participant's own pages, through their signed link: their pledges, cancelling one,
the check-in code and calendar entry of a pledge, the surveys, and unsubscribing."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.i18n import in_language

from .. import links
from ..models import Campaign, Pledge, ProgrammeSurveyQuestion, SurveyAnswer
from ..referrals import participant_brought_count
from ..selectors import participant_pledges
from ..services import personal_invitation_code, pledge_cancel
from ..services.checkin import EARLY, LATE, checkin_code, companions_pending
from ..services.participants import participant_unsubscribe as unsubscribe
from ..services.profile_links import participant_profile_pending_keep
from ..services.surveys import survey_answer_record
from ..services.waitlist import waitlist_positions
from ..standings import TEAM_MIN_PEOPLE, participant_challenges
from .documents import ics_response, qr_response, qr_svg
from .participant_data import erased_or_none
from .visitors import address_proven_remember, participant_from_link


def participant_home(request, token):
    if (erased := erased_or_none(request, token)) is not None:
        return erased  # "data erased", 404, nothing about the person
    participant = participant_from_link(request, token)
    if links.address_proven(participant, str(request.GET.get("a", ""))):
        # Opened from an e-mail to the address: this browser may tick the profile here,
        # and a pending tick (of a join with an address nobody had proven) is kept now.
        address_proven_remember(request, participant)
        if participant.profile_keep_pending:
            participant_profile_pending_keep(participant=participant)
    pledges = list(participant_pledges(participant))
    now = timezone.now()
    positions = waitlist_positions(pledges)
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
        pledge.waitlist_position = positions.get(pledge.pk)
        # An action that is over reads in the past tense, without a calendar button.
        pledge.is_past = pledge.slot.ends_at < now
        pledge.can_cancel = (not pledge.is_past
                             and pledge.attendance == Pledge.Attendance.PENDING
                             and pledge.slot.campaign.status not in (
                                 Campaign.Status.COMPLETED, Campaign.Status.FAILED))
        campaign = pledge.slot.campaign
        companions[campaign.pk] = max(companions.get(campaign.pk, 0), pledge.companions)
        pledge.share_field_id = f"invite-{pledge.pk}"
        # No link when it cannot be made (the lever catalogue missing: logged); the page
        # still shows the person their pledges.
        code = (personal_invitation_code(campaign=campaign, participant=participant)
                if campaign.is_open else "")
        pledge.invite_url = links.campaign_url(campaign, invitation_code=code) if code else ""
    return render(request, "engagement/participant_home.html", {
        "participant": participant, "pledges": pledges, "token": token,
        "hours": sum(p.hours_given for p in pledges),
        "companions": sum(companions.values()),
        # The people this person brought: the snowball's rule (confirmed pledges, campaign
        # by campaign), the one the campaign's figures and tree count with.
        "friends": participant_brought_count(participant),
        # The current challenges of the person's team: the standings every team sees.
        "challenges": [{"challenge": challenge, "standings": standings,
                        "description": in_language({"fr": challenge.description_fr,
                                                    "en": challenge.description_en}),
                        "team_shown": standings.for_team(participant.team_id) is not None}
                       for challenge, standings in participant_challenges(participant)],
        "min_people": TEAM_MIN_PEOPLE,
    })


def participant_go(request, token, code):
    """From an e-mailed link to a campaign page, recognised; an organiser's invitation
    code (``?i=``) goes along, so that the visit counts in the invitation's funnel."""
    participant_from_link(request, token)
    invitation = request.GET.get("i", "")
    if invitation:
        return redirect(reverse("campaign_page", args=[code]) + "?" + urlencode(
            {"i": invitation[:16]}))
    return redirect("campaign_page", code=code)


@require_http_methods(["GET", "POST"])
def participant_cancel(request, token, pledge_id):
    """Cancelling asks first (a page, so that it works without JavaScript); afterwards the
    campaign's page is shown, where the person may pledge again while it is open."""
    participant = participant_from_link(request, token)
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
    participant = participant_from_link(request, token)
    pledge = get_object_or_404(Pledge.objects.select_related("slot__campaign"), pk=pledge_id,
                               participant=participant, status=Pledge.Status.CONFIRMED)
    code = checkin_code(pledge)
    url = links.absolute(reverse("campaign_checkin_desk", args=[pledge.slot.campaign_id])
                         + "?" + urlencode({"code": code}))
    return qr_response(qr_svg(url, title=_("Check-in code %(code)s") % {"code": code},
                              scale=6), f"check-in-{code}.svg")


def pledge_calendar(request, token, pledge_id):
    participant = participant_from_link(request, token)
    pledge = get_object_or_404(Pledge.objects.select_related("slot__campaign"), pk=pledge_id,
                               participant=participant)
    slot = pledge.slot
    return ics_response([(f"pledge-{pledge.pk}", slot.starts_at, slot.ends_at,
                          slot.campaign.localized("title", participant.language).text,
                          slot.campaign.place)], f"{slot.campaign.code}.ics",
                        sequence=slot.sequence)


# One-click unsubscribe (RFC 8058): a mail client POSTs "List-Unsubscribe=One-Click" to
# this address, with no cookie and no CSRF token. The signed token in the address is what
# authorises it (it names the person, and only their e-mails carry it), so the exemption
# gives a forger nothing; a GET only asks for confirmation, as a link checker may open it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def participant_unsubscribe(request, token):
    participant = participant_from_link(request, token)
    if request.method == "POST":
        unsubscribe(participant=participant)
    return render(request, "engagement/participant_unsubscribe.html",
                  {"participant": participant, "token": token})


@require_http_methods(["GET", "POST"])
def participant_survey(request, token, code, moment):
    participant = participant_from_link(request, token)
    campaign = get_object_or_404(Campaign, code=code)
    if moment not in ("after_action", "follow_up") or not participant.pledges.filter(
            slot__campaign=campaign).exists():
        raise Http404
    questions = list(ProgrammeSurveyQuestion.objects.filter(
        programme=campaign.programme, moment=moment).order_by("position"))
    existing = {a.question_id: a.answer for a in SurveyAnswer.objects.filter(
        participant=participant, campaign=campaign, question__in=questions)}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        answers = {question: request.POST.get(f"q{question.pk}", "").strip()
                   for question in questions}
        existing.update({question.pk: answer for question, answer in answers.items()})
        try:
            survey_answer_record(participant=participant, campaign=campaign, answers=answers)
        except DomainError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Thank you for your answers."))
            return redirect("participant_home", token=token)
    for question in questions:
        question.current = existing.get(question.pk, "")
        question.error = errors.get(str(question.pk), [None])[0]
    return render(request, "engagement/participant_survey.html", {
        "campaign": campaign, "questions": questions, "moment": moment,
        "participant": participant, "token": token}, status=400 if errors else 200)
