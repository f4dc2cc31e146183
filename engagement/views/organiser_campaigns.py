"""The organisers' campaign pages: the list, creating and editing a campaign, opening it,
its slots, the share kit and invitations, its impact, the QR codes and poster, and the
levers' figures (the teams' pages are organiser_teams)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from billing.catalogue import options
from billing.codes import Option
from billing.entitlements import entitlements_for
from billing.gating import requires_feature
from core.errors import DomainError
from core.roles import Role
from methodology.models import Lever
from tenants.access import require_role

from .. import links
from ..forms import CampaignForm, CampaignInvitationForm, ImpactForm, NewCampaignForm, SlotForm
from ..models import Campaign, Channel, Pledge, Programme
from ..selectors import (
    RELAUNCH_LEVER,
    campaigns_with_progress,
    funnel_counts,
    relaunch_lever_name,
)
from ..services import (
    campaign_create,
    campaign_open,
    campaign_update,
    impact_record,
    invitation_create,
    mobilised_count,
    slot_add,
)
from .documents import qr_response, qr_svg
from .organiser_outreach import campaign_outreach_context


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
        data = form.main_data()
        capacity = data.pop("capacity")
        try:
            campaign = campaign_create(programme=programme, **data, slots=[
                (data["starts_at"], data["ends_at"], capacity)],
                content_language=form.content_language, translations=form.translations())
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


def campaign_or_404(pk) -> Campaign:
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


def _share_message(campaign: Campaign, url: str, mobilised: int) -> str:
    """A ready-to-paste message in the page's language (its reader's) and the active time
    zone: an invitation while the campaign recruits, its outcome once it failed or took
    place (nobody is asked to join an action that will not happen or is over)."""
    from django.utils.formats import date_format

    when = date_format(timezone.localtime(campaign.starts_at), "DATETIME_FORMAT")
    deadline = date_format(timezone.localtime(campaign.mobilisation_deadline), "DATE_FORMAT")
    title = campaign.localized("title").text
    if campaign.status == Campaign.Status.FAILED:
        return ngettext(
            "“%(title)s” did not reach its target: %(count)s person committed out of "
            "%(target)s. Thank you for signing up.\n%(url)s",
            "“%(title)s” did not reach its target: %(count)s people committed out of "
            "%(target)s. Thank you for signing up.\n%(url)s", mobilised) % {
            "title": title, "count": mobilised, "target": campaign.participant_target,
            "url": url}
    if campaign.status == Campaign.Status.COMPLETED:
        return ngettext(
            "“%(title)s” took place on %(date)s with %(count)s person committed. Thank you "
            "to everyone who came!\n%(url)s",
            "“%(title)s” took place on %(date)s with %(count)s people committed. Thank you "
            "to everyone who came!\n%(url)s", mobilised) % {
            "title": title, "date": when, "count": mobilised, "url": url}
    if campaign.place:
        opening = _("Join us for “%(title)s” on %(date)s, %(place)s.") % {
            "title": title, "date": when, "place": campaign.place}
    else:
        opening = _("Join us for “%(title)s” on %(date)s.") % {
            "title": title, "date": when}
    need = ngettext("We need %(count)s person by %(deadline)s: give a few hours of "
                    "your time.",
                    "We need %(count)s people by %(deadline)s: give a few hours of "
                    "your time.", campaign.participant_target) % {
        "count": campaign.participant_target, "deadline": deadline}
    sign_up = _("Sign up here: %(url)s") % {"url": url}
    return f"{opening} {need}\n{sign_up}"


def campaign_detail(request, pk):
    campaign = campaign_or_404(pk)
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
    now = timezone.now()
    for slot in slots:
        slot.movable = slot.starts_at > now and campaign.status in (
            Campaign.Status.DRAFT, Campaign.Status.OPEN, Campaign.Status.SUCCEEDED)
    page_url = links.campaign_url(campaign)
    funnel = _named(funnel_counts(campaign.invitations.all())) if lever_analytics else None
    attendance = Pledge.objects.filter(
        slot__campaign=campaign, status=Pledge.Status.CONFIRMED).aggregate(
        confirmed=Count("pk"),
        attended=Count("pk", filter=Q(attendance=Pledge.Attendance.ATTENDED)),
        no_show=Count("pk", filter=Q(attendance=Pledge.Attendance.NO_SHOW)))
    mobilised = mobilised_count(campaign)
    return render(request, "engagement/campaign_detail.html", {
        "campaign": campaign, "slots": slots, "pledges": pledges, "query": query,
        "mobilised": mobilised, "attendance": attendance,
        "closed": campaign.status in (Campaign.Status.FAILED, Campaign.Status.COMPLETED),
        "places": sum(slot.capacity for slot in slots),
        "places_warning": _places_warning(campaign.participant_target,
                                          sum(slot.capacity for slot in slots)),
        "share_message": _share_message(campaign, page_url, mobilised),
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
        **campaign_outreach_context(campaign, can_manage=can_manage),
    })


def _invite_form(data):
    return CampaignInvitationForm(
        data, channels=Channel.choices,
        levers=[(lever.code, lever.tr("name")) for lever in Lever.objects.all()])


@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk):
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    form = CampaignForm(request.POST or None, campaign=campaign, initial={
        name: getattr(campaign, name) for name in CampaignForm.base_fields})
    if request.method == "POST" and form.is_valid():
        changed = form.main_data(form.changed_data)
        if translations := form.translations(only_changed=True):
            changed["translations"] = translations
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
    campaign = campaign_or_404(pk)
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
    campaign = campaign_or_404(pk)
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
def campaign_impact(request, pk):
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
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
    campaign = campaign_or_404(pk)
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


def campaign_qr(request, pk):
    """The check-in QR code to print or show on the day (SVG, made here, no service). It
    carries the check-in secret: managers only."""
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    url = links.absolute(reverse("campaign_checkin", args=[campaign.code,
                                                            campaign.checkin_secret]))
    return qr_response(qr_svg(url, title=_("Check-in: %(title)s") % {
        "title": campaign.localized("title").text}), f"check-in-{campaign.code}.svg")


def campaign_share_qr(request, pk):
    """The QR code of the campaign's public page, for posters and slides."""
    campaign = campaign_or_404(pk)
    return qr_response(qr_svg(links.campaign_url(campaign), title=campaign.localized("title").text),
                        f"{campaign.code}.svg")


def campaign_poster(request, pk):
    """The check-in poster: an A4 page to print and put up on site, in the organisation's
    language (the people reading it on the day are its people, not the organiser)."""
    require_role(request, Role.MANAGER)
    campaign = campaign_or_404(pk)
    return render(request, "engagement/campaign_poster.html", {
        "campaign": campaign, "slots": campaign.slots.all()})


@requires_feature(Option.LEVER_ANALYTICS)
def lever_analytics(request):
    """Which levers and channels bring people, across every campaign (paid option)."""
    rows = _named(funnel_counts())
    for row in rows:
        # Rates (0-1), shown through the one formatting layer (core.formatting's percent).
        row["conversion"] = row["pledged"] / row["sent"] if row["sent"] else 0
        row["attendance"] = row["attended"] / row["pledged"] if row["pledged"] else 0
    return render(request, "engagement/lever_analytics.html", {"rows": rows})


def _named(rows: list[dict]) -> list[dict]:
    """Funnel rows with the names of their lever and channel, in the reader's language."""
    if rows:
        lever_names = {lever.code: lever.tr("name") for lever in Lever.objects.all()}
        lever_names[RELAUNCH_LEVER] = relaunch_lever_name()
        channel_names = dict(Channel.choices)
        for row in rows:
            row["lever_name"] = lever_names.get(row["lever_code"], _("Other"))
            row["channel_name"] = channel_names.get(row["channel"], _("Other"))
    return rows
