"""Campaign pages once a campaign is decided, relaunched or not yet on its day: nothing asks
for people after a failure, a relaunched campaign cannot be reopened, an offered place
reads as an offer, the catch-up of sign-up notices never sends stale news, and the small
texts read right in both languages."""

import io
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_tenants.utils import tenant_context
from PIL import Image

from core.errors import DomainError
from engagement import links
from engagement.models import Campaign, CampaignEvent, OutboundEmail, Pledge
from engagement.services import campaign_close, pledge_notices
from engagement.services.campaign_recovery import campaign_postpone, campaign_relaunch
from engagement.share_card import DEFAULT_BRAND, HEIGHT, MARGIN, WIDTH, share_card_png

from ..conftest import tenant_client
from ..factories import ParticipantFactory, PledgeFactory, make_campaign
from .test_participant_pages import text_of

URLS = "config.urls_tenant"


def _url(name: str, *args) -> str:
    return reverse(name, args=args, urlconf=URLS)


def _failed():
    campaign = make_campaign(target=10, starts_in=timedelta(days=2),
                             deadline_in=timedelta(days=1))
    for n in range(2):
        PledgeFactory(slot=campaign.slots.get(), participant=ParticipantFactory(
            first_name=f"P{n}"))
    campaign_close(campaign=campaign, now=campaign.mobilisation_deadline)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    return campaign


# ---- 1. a relaunched campaign is not postponed -------------------------------------------

@pytest.mark.django_db
def test_a_relaunched_campaign_cannot_be_postponed_nor_offers_to(org_a, manager_a, eager):
    with tenant_context(org_a):
        old = _failed()
        start = old.starts_at + timedelta(days=30)
        new = campaign_relaunch(campaign=old, starts_at=start,
                                mobilisation_deadline=start - timedelta(days=3),
                                by_user=manager_a)
        with pytest.raises(DomainError) as refused:
            campaign_postpone(campaign=old, starts_at=start + timedelta(days=1),
                              mobilisation_deadline=start - timedelta(days=2),
                              by_user=manager_a)
        assert "relaunched" in str(refused.value.errors["status"][0])
        old.refresh_from_db()
        assert old.status == Campaign.Status.FAILED
        assert not CampaignEvent.objects.filter(campaign=old, kind="postponed").exists()
        assert Campaign.objects.filter(status=Campaign.Status.OPEN).get() == new
    client = tenant_client(org_a, manager_a)
    page = client.get(_url("campaign_detail", old.pk), HTTP_ACCEPT_LANGUAGE="en")
    assert _url("campaign_postpone", old.pk) not in page.content.decode()
    form = client.get(_url("campaign_postpone", old.pk), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Cette campagne a été relancée à de nouvelles dates" in text_of(form)
    assert "<form method=\"post\">" not in form.content.decode()
    refused_post = client.post(_url("campaign_postpone", old.pk), {
        "starts_at": (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "mobilisation_deadline": (start - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")})
    assert refused_post.status_code == 400
    with tenant_context(org_a):
        assert Campaign.objects.get(pk=old.pk).status == Campaign.Status.FAILED
    # Whoever reaches the old public page is led to the new one.
    public = tenant_client(org_a).get(f"/c/{old.code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert f'href="/c/{new.code}/"' in public.content.decode()
    assert "It is relaunched on new dates" in text_of(public)


# ---- 2. an offered place reads as an offer ----------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "offered", "confirm"), [
    ("en", "A place is offered to you until", "Confirm my place"),
    ("fr", "Une place vous est proposée jusqu’au", "Confirmer ma place")])
def test_an_offered_place_is_shown_as_an_offer_to_confirm(org_a, lang, offered, confirm):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=1)
        person = ParticipantFactory()
        pledge = PledgeFactory(slot=campaign.slots.get(), participant=person,
                               status=Pledge.Status.OFFERED,
                               offer_expires_at=timezone.now() + timedelta(hours=20))
        token = links.participant_token(person)
    client = tenant_client(org_a)
    client.get(f"/me/{token}/", HTTP_ACCEPT_LANGUAGE=lang)  # remembers the person
    page = client.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE=lang)
    text = text_of(page)
    assert offered in text and confirm in text
    assert "You are in" not in text and "Vous êtes inscrit" not in text
    # The signed link is minted at each page (its timestamp differs): its path is checked.
    assert f'/pledges/{pledge.pk}/offer/"' in page.content.decode()


# ---- 3. the catch-up of sign-up notices tells only what is still ahead -------------------

@pytest.mark.django_db
def test_the_notice_catch_up_skips_past_slots_and_closed_campaigns(org_a):
    now = timezone.now()
    with tenant_context(org_a):
        ahead = make_campaign(capacity=10)
        past = make_campaign(capacity=10, starts_in=-timedelta(hours=3),
                             deadline_in=-timedelta(days=1))
        failed = make_campaign(capacity=10)
        Campaign.objects.filter(pk=failed.pk).update(status=Campaign.Status.FAILED)
        completed = make_campaign(capacity=10)
        Campaign.objects.filter(pk=completed.pk).update(status=Campaign.Status.COMPLETED)
        pledges = {name: PledgeFactory(
            slot=campaign.slots.get(), created_at=now - timedelta(minutes=10),
            participant=ParticipantFactory(email=f"{name}@net.example"))
            for name, campaign in [("ahead", ahead), ("past", past), ("failed", failed),
                                   ("completed", completed)]}
        assert pledge_notices.missing_pledge_notices_queue(now=now) == 1
        told = OutboundEmail.objects.get()
        assert told.to_email == "ahead@net.example"
        assert told.dedupe_key.endswith(f":{pledges['ahead'].pk}")


# ---- 4. a closed campaign asks nobody to come -------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("status", [Campaign.Status.FAILED, Campaign.Status.COMPLETED])
def test_a_closed_campaign_page_shows_its_outcome_and_recruits_nobody(
        org_a, manager_a, status):
    with tenant_context(org_a):
        campaign = make_campaign(starts_in=-timedelta(days=1), deadline_in=-timedelta(days=2))
        Campaign.objects.filter(pk=campaign.pk).update(status=status)
        person = ParticipantFactory()
        PledgeFactory(slot=campaign.slots.get(), participant=person)
        token = links.participant_token(person)
    visitor = tenant_client(org_a)
    text = text_of(visitor.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="en"))
    for recruiting in ("Bring others", "closer to its target", "Places left",
                       "Add to my calendar"):
        assert recruiting not in text
    assert ("will not take place" if status == "failed" else "has taken place") in text
    participant = tenant_client(org_a)
    participant.get(f"/me/{token}/")
    mine = participant.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Add to my calendar" not in text_of(mine) and "My pledges" in text_of(mine)
    organiser = text_of(tenant_client(org_a, manager_a).get(
        _url("campaign_detail", campaign.pk), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Share the result" in organiser and "Share the campaign" not in organiser
    assert "Join us" not in organiser and "We need" not in organiser
    assert "Print an invitation poster" not in organiser
    assert ("did not reach its target: 1 person committed out of 5" if status == "failed"
            else "took place on") in organiser


# ---- 5. the organiser's ready-made message follows the page's language --------------------

@pytest.mark.django_db
def test_the_share_message_is_in_the_language_of_the_page(org_a, manager_a):
    org_a.locale = "fr"
    org_a.save(update_fields=["locale"])
    with tenant_context(org_a):
        campaign = make_campaign()
        Campaign.objects.filter(pk=campaign.pk).update(
            content_language="fr", title="Nettoyage de plage",
            translations={"en": {"title": "Beach clean-up"}})
    client = tenant_client(org_a, manager_a)
    english = text_of(client.get(_url("campaign_detail", campaign.pk),
                                 HTTP_ACCEPT_LANGUAGE="en"))
    assert "Join us for “Beach clean-up”" in english and "We need 5 people by" in english
    assert "Rejoignez-nous" not in english
    french = text_of(client.get(_url("campaign_detail", campaign.pk),
                                HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Rejoignez-nous pour « Nettoyage de plage »" in french


# ---- 6. walk-ins before the day ---------------------------------------------------------

@pytest.mark.django_db
def test_the_walk_in_page_before_the_day_says_when_it_opens(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(starts_in=timedelta(days=3))
        slot = campaign.slots.get()
        with translation.override("en"):
            from django.utils.formats import date_format
            day = date_format(timezone.localtime(slot.starts_at), "DATE_FORMAT")
    page = tenant_client(org_a, manager_a).get(_url("campaign_walk_in", campaign.pk),
                                                HTTP_ACCEPT_LANGUAGE="en")
    text, body = text_of(page), page.content.decode()
    assert f"this page opens on {day} at" in text and "two hours before" in text
    assert _url("campaign_checkin_desk", campaign.pk) in body
    assert f'href="{_url("campaign_detail", campaign.pk)}"' in body


# ---- 7. the organiser page: a table of contents, the pledge list last ---------------------

@pytest.mark.django_db
def test_the_organiser_page_has_jump_links_and_lists_pledges_after_short_sections(
        org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=50)
        for _n in range(3):
            PledgeFactory(slot=campaign.slots.get(), participant=ParticipantFactory())
    body = tenant_client(org_a, manager_a).get(
        _url("campaign_detail", campaign.pk), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    toc = body[body.index('class="page-toc"'):body.index("</nav>", body.index("page-toc"))]
    for anchor in ("#slots-title", "#share", "#check-in", "#levers-title", "#pledges"):
        assert f'href="{anchor}"' in toc
        assert f'id="{anchor[1:]}"' in body
    assert "3 pledges" in toc
    assert body.index('id="pledges"') > body.index('id="slots-title"') > body.index(
        'id="share"')
    assert body.index('id="pledges"') > body.index('id="levers-title"')


# ---- 8. small texts ----------------------------------------------------------------------

@pytest.mark.django_db
def test_the_history_line_keeps_the_colon_inside_the_french_text(org_a, manager_a, eager):
    manager_a.full_name = "Karim Benali"
    manager_a.save(update_fields=["full_name"])
    with tenant_context(org_a):
        campaign = _failed()
        start = campaign.starts_at + timedelta(days=14)
        campaign_postpone(campaign=campaign, starts_at=start,
                          mobilisation_deadline=start - timedelta(days=2), by_user=manager_a)
    french = text_of(tenant_client(org_a, manager_a).get(
        _url("campaign_detail", campaign.pk), HTTP_ACCEPT_LANGUAGE="fr"))
    assert "(Karim)\u00a0: du" in french or "(Karim) : du" in french
    assert "(Karim): du" not in french


def _brand_pixels_in_status(png: bytes) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    brand = tuple(int(DEFAULT_BRAND[i:i + 2], 16) for i in (1, 3, 5))
    box = image.crop((WIDTH // 2, HEIGHT - 120, WIDTH - MARGIN, HEIGHT - 60))
    pixels = box.load()
    return sum(1 for x in range(box.width) for y in range(box.height)
               if pixels[x, y] == brand)


def test_the_share_card_writes_a_missed_target_in_grey_not_green():
    card = {"title": "Beach", "organisation": "Org", "starts_at": timezone.now(),
            "place": "", "mobilised": 2, "target": 10, "status_text": "Target missed",
            "language": "en"}
    assert _brand_pixels_in_status(share_card_png(**card)) > 0  # the check sees colour
    assert _brand_pixels_in_status(share_card_png(**card, failed=True)) == 0


def test_the_dashboard_counts_one_decided_campaign_in_the_singular():
    metrics = {"campaigns": {"decided": 1, "success_rate": 1},
               "participants": {"mobilised": 0, "with_companions": 0},
               "hours": {"attended": 0, "pledged": 0},
               "attendance": {"attended": 0, "confirmed": 0, "attendance_rate": 0,
                              "no_show": 0, "no_show_rate": 0},
               "invitations": {"sent": 0, "pledged": 0, "conversion": 0,
                               "per_participant": 0},
               "snowball": {"generations": 0, "largest_tree": 0, "brought_pledged": 0,
                            "brought_attended": 0, "viral_coefficient": 0}}
    with translation.override("en"):
        one = render_to_string("reports/dashboard_figures.html", {"metrics": metrics,
                                                                  "lever_rows": None})
    assert "of 1 decided campaign succeeded" in one
    metrics["campaigns"]["decided"] = 3
    with translation.override("fr"):
        three = render_to_string("reports/dashboard_figures.html", {"metrics": metrics,
                                                                    "lever_rows": None})
    assert "des 3 campagnes au résultat connu ont réussi" in three


@pytest.mark.django_db
def test_the_target_reached_email_tells_an_offered_place_is_to_confirm(org_a):
    from engagement.services import message_schedule

    with tenant_context(org_a):
        campaign = make_campaign(capacity=1, target=1, starts_in=timedelta(days=3),
                                 deadline_in=timedelta(days=1))
        slot = campaign.slots.get()
        PledgeFactory(slot=slot, participant=ParticipantFactory())
        offered = ParticipantFactory(email="offered@net.example", language="en")
        PledgeFactory(slot=slot, participant=offered, status=Pledge.Status.OFFERED,
                      offer_expires_at=timezone.now() + timedelta(hours=20))
        campaign_close(campaign=campaign, now=campaign.mobilisation_deadline)
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.SUCCEEDED
        message_schedule.campaign_result_notify(campaign_id=campaign.pk)
        body = OutboundEmail.objects.get(kind="campaign_succeeded", participant=offered).body
    assert "A place is offered to you: confirm it" in body and "(place offered" in body
    assert "still on the waiting list" not in body
