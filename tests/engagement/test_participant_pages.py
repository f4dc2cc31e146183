"""Participants' pages as a participant reads them: joining, "you are in", the personal
link, cancelling, and the pages' answers to a wrong or draft address."""

import html
import re
from datetime import timedelta

import pytest
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import Campaign, Participant, Pledge, Slot
from engagement.services import pledge_create

from ..conftest import tenant_client
from ..factories import make_campaign


def join(client, campaign, email, *, lang="en", slots=None, **extra):
    with tenant_context(campaign_org(client)):
        slot_ids = slots or list(campaign.slots.values_list("pk", flat=True))
    return client.post(f"/c/{campaign.code}/join/", {
        "email": email, "first_name": email.split("@")[0].title(), "slots": slot_ids,
        "companions": 0, **extra}, HTTP_ACCEPT_LANGUAGE=lang)


def campaign_org(client):
    from tenants.models import Organisation

    return Organisation.objects.get(slug=client.defaults["HTTP_HOST"].split(".")[0])


def text_of(response) -> str:
    """The page's text as a person reads it (tags dropped, spaces collapsed)."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


# ---- consent -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_joining_again_without_ticking_keeps_the_earlier_consent(org_a):
    with tenant_context(org_a):
        first = make_campaign()
        second = make_campaign(programme=first.programme)
    client = tenant_client(org_a)
    assert join(client, first, "ana@example.org", consent_to_contact="on").status_code == 302
    with tenant_context(org_a):
        assert Participant.objects.get(email="ana@example.org").consent_to_contact
    # The second campaign's form is sent without the box ticked: consent stays.
    assert join(tenant_client(org_a), second, "ana@example.org").status_code == 302
    with tenant_context(org_a):
        assert Participant.objects.get(email="ana@example.org").consent_to_contact
        token = links.participant_token(Participant.objects.get(email="ana@example.org"))
    # Only an explicit withdrawal switches it off.
    tenant_client(org_a).post(f"/me/{token}/unsubscribe/")
    with tenant_context(org_a):
        assert not Participant.objects.get(email="ana@example.org").consent_to_contact


@pytest.mark.django_db
def test_a_join_never_withdraws_consent_through_the_service(org_a):
    from engagement.services import campaign_join

    with tenant_context(org_a):
        campaign = make_campaign()
        Participant.objects.create(email="leo@example.org", consent_to_contact=True)
        campaign_join(campaign=campaign, email="leo@example.org",
                      slot_ids=[campaign.slots.get().pk], consent_to_contact=False)
        assert Participant.objects.get(email="leo@example.org").consent_to_contact
        # A newcomer who does not tick the box has not agreed.
        campaign_join(campaign=campaign, email="new@example.org",
                      slot_ids=[campaign.slots.get().pk])
        assert not Participant.objects.get(email="new@example.org").consent_to_contact


# ---- after joining -----------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "one", "two"), [
    ("en", "1 person is coming with you.", "2 people are coming with you."),
    ("fr", "1 personne vient avec vous.", "2 personnes viennent avec vous."),
])
def test_right_after_joining_with_companions_the_count_is_right(org_a, lang, one, two):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=20)
    client = tenant_client(org_a)
    home = client.get(join(client, campaign, "ana@example.org", lang=lang, companions=1)[
        "Location"], HTTP_ACCEPT_LANGUAGE=lang)
    page = text_of(home)
    assert one in page
    assert "0 people" not in page and "0 personne" not in page
    other = tenant_client(org_a)
    page = text_of(other.get(join(other, campaign, "leo@example.org", lang=lang,
                                  companions=2)["Location"], HTTP_ACCEPT_LANGUAGE=lang))
    assert two in page


@pytest.mark.django_db
def test_friends_who_joined_through_the_link_are_counted(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=20)
    ana = tenant_client(org_a)
    home = ana.get(join(ana, campaign, "ana@example.org")["Location"])
    code = re.search(r"\?i=([A-Za-z0-9_-]+)", home.content.decode()).group(1)
    friend = tenant_client(org_a)
    friend.get(f"/c/{campaign.code}/?i={code}")
    join(friend, campaign, "ben@example.org")
    assert "1 person joined through your link." in text_of(ana.get(home.request["PATH_INFO"]))


@pytest.mark.django_db
def test_people_brought_are_counted_as_the_snowball_counts_them(org_a):
    """Only confirmed pledges bring someone (the figures' and the tree's rule): people
    waiting, offered a place, awaiting approval or cancelled are not counted yet, and a
    person brought to two campaigns is one person."""
    from django.utils import timezone

    from engagement.referrals import participant_brought_count
    from engagement.services import personal_invitation_ensure
    from reports.participants import people_and_snowball_by_campaign
    from reports.snowball import campaign_referrals

    from ..factories import ParticipantFactory, PledgeFactory

    with tenant_context(org_a):
        first, second = make_campaign(capacity=20), make_campaign(capacity=20)
        ana = ParticipantFactory(email="ana@example.org")
        ben = ParticipantFactory(email="ben@example.org")
        for campaign in (first, second):
            slot = campaign.slots.get()
            PledgeFactory(slot=slot, participant=ana)
            PledgeFactory(slot=slot, participant=ben, invitation=personal_invitation_ensure(
                campaign=campaign, participant=ana))
        link = personal_invitation_ensure(campaign=first, participant=ana)
        slot = first.slots.get()
        for status, extra in (("waitlisted", {}), ("awaiting", {}), ("cancelled", {}),
                              ("offered", {"offer_expires_at": timezone.now()})):
            PledgeFactory(slot=slot, participant=ParticipantFactory(), invitation=link,
                          status=status, **extra)
        figures = people_and_snowball_by_campaign([first.pk, second.pk])
        assert figures[first.pk]["brought_pledged"] == 1
        assert figures[second.pk]["brought_pledged"] == 1
        tree = campaign_referrals(first)
        assert [(r.participant, r.brought_pledged) for r in tree.recruiters] == [(ana, 1)]
        assert participant_brought_count(ana) == 1
        token = links.participant_token(ana)
    page = text_of(tenant_client(org_a).get(f"/me/{token}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "1 person joined through your link." in page


@pytest.mark.django_db
def test_a_returning_participant_sees_you_are_in_not_the_join_form(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=20)
    client = tenant_client(org_a)
    join(client, campaign, "ana@example.org", companions=1)
    page = client.get(f"/c/{campaign.code}/")
    text = text_of(page)
    assert "You are in:" in text and "with 1 companion" in text
    assert "Give my time" not in text  # one slot, already taken: no form at all
    body = page.content.decode()
    assert 'href="/me/' in body and "Manage my pledges" in text
    assert re.search(r'href="/me/[^"]+/pledges/\d+/calendar.ics"', body)
    # The same with the signed link from an e-mail, in a fresh browser.
    with tenant_context(org_a):
        token = links.participant_token(Participant.objects.get(email="ana@example.org"))
        Slot.objects.create(campaign=campaign, starts_at=campaign.starts_at,
                            ends_at=campaign.ends_at, capacity=5)
    fresh = tenant_client(org_a)
    page = fresh.get(fresh.get(f"/me/{token}/go/{campaign.code}/")["Location"])
    text = text_of(page)
    assert "You are in:" in text
    # Another slot remains: offered behind "Choose another time slot", not as the main form.
    assert "Choose another time slot" in text and "I'm in" not in text


@pytest.mark.django_db
def test_the_personal_link_is_readable_with_share_and_copy_buttons(org_a):
    with tenant_context(org_a):
        campaign = make_campaign()
    client = tenant_client(org_a)
    home = client.get(join(client, campaign, "ana@example.org")["Location"]).content.decode()
    field = re.search(r'<textarea[^>]*data-share-url[^>]*>([^<]+)</textarea>', home)
    assert field and re.fullmatch(r"http://testco\.localhost(:\d+)?/c/[\w-]+/\?i=[\w-]+",
                                  field.group(1))
    assert "data-copy-button" in home and "data-share-button" in home
    assert "Copy the link" in home and ">Share<" in home
    assert re.search(r'<script src="/static/js/participant\.js" defer>', home)


@pytest.mark.django_db
def test_cancelling_asks_first_and_leads_back_to_the_campaign(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=1)
        ana = Participant.objects.create(email="ana@example.org", first_name="Ana")
        ben = Participant.objects.create(email="ben@example.org")
        pledge = pledge_create(slot=campaign.slots.get(), participant=ana)
        waiting = pledge_create(slot=campaign.slots.get(), participant=ben)
        token = links.participant_token(ana)
    client = tenant_client(org_a)
    home = client.get(f"/me/{token}/").content.decode()
    cancel_url = f"/me/{token}/pledges/{pledge.pk}/cancel/"
    # Cancelling is a quiet link to a confirmation, never a one-tap form on the page.
    assert f'action="{cancel_url}"' not in home
    assert re.search(rf'<a href="{re.escape(cancel_url)}" class="cancel-link">', home)
    confirm = client.get(cancel_url)
    assert confirm.status_code == 200
    text = text_of(confirm)
    assert "Cancel your pledge?" in text and "Keep my pledge" in text
    assert f'href="/c/{campaign.code}/"' in confirm.content.decode()
    with tenant_context(org_a):
        pledge.refresh_from_db()
        assert pledge.status == Pledge.Status.CONFIRMED  # asking changed nothing
    done = client.post(cancel_url)
    assert done["Location"] == f"/c/{campaign.code}/"
    with tenant_context(org_a):
        pledge.refresh_from_db()
        waiting.refresh_from_db()
        # The freed place is offered to the next person (tests/engagement/test_waitlist.py).
        assert (pledge.status, waiting.status) == ("cancelled", "offered")
    after = text_of(client.get(done["Location"]))
    assert "Your pledge is cancelled" in after and "My pledges" in after
    # Somebody else's pledge, or one already cancelled, is not found.
    assert client.get(cancel_url).status_code == 404
    with tenant_context(org_a):
        other = links.participant_token(ben)
    assert client.get(f"/me/{other}/pledges/{pledge.pk}/cancel/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "invited"), [
    ("en", "Ana invited you to give some of your time to this action."),
    ("fr", "Ana vous invite à donner un peu de votre temps à cette action."),
])
def test_an_invited_friend_reads_who_invited_them(org_a, lang, invited):
    with tenant_context(org_a):
        campaign = make_campaign()
    ana = tenant_client(org_a)
    join(ana, campaign, "ana@example.org", last_name="Secretname")
    home = ana.get(f"/c/{campaign.code}/").content.decode()
    code = re.search(r"\?i=([A-Za-z0-9_-]+)", home).group(1)
    friend = tenant_client(org_a)
    page = text_of(friend.get(f"/c/{campaign.code}/?i={code}", HTTP_ACCEPT_LANGUAGE=lang))
    assert invited in page
    assert "Secretname" not in page and "ana@example.org" not in page
    # Coming back later (the invitation is remembered), it still says so.
    assert invited in text_of(friend.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE=lang))
    # A plain visitor is told nothing of the kind.
    assert "invited you" not in text_of(tenant_client(org_a).get(f"/c/{campaign.code}/"))


@pytest.mark.django_db
def test_places_left_are_shown_and_a_large_group_is_warned_before_joining(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=3)
        full = Slot.objects.create(campaign=campaign, starts_at=campaign.starts_at,
                                   ends_at=campaign.ends_at, capacity=1)
        pledge_create(slot=full, participant=Participant.objects.create(email="x@example.org"))
    page = tenant_client(org_a).get(f"/c/{campaign.code}/")
    text = text_of(page)
    assert "(3 places left)" in text and "(full: waiting list)" in text
    assert "If your group is larger than the places left in a time slot, you go on that " \
           "slot's waiting list." in text
    body = page.content.decode()
    assert re.search(r'data-seats-left="3"', body) and re.search(r'data-seats-left="0"', body)
    assert re.search(r'<p class="party-warning" role="status" data-party-warning hidden>', body)
    assert 'aria-describedby="party-hint"' in body
    fr = text_of(tenant_client(org_a).get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "(3 places restantes)" in fr


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Campaign.Status.DRAFT, None])
def test_a_draft_or_unknown_campaign_link_shows_the_projects_404_page(org_a, settings,
                                                                      status):
    settings.DEBUG = True  # as in development, where Django would show its debug page
    with tenant_context(org_a):
        campaign = make_campaign(status=Campaign.Status.DRAFT)
    code = campaign.code if status else "nosuchcode"
    client = tenant_client(org_a)
    for url in (f"/c/{code}/", f"/c/{code}/calendar.ics",
                f"/c/{code}/check-in/{campaign.checkin_secret}/"):
        response = client.get(url)
        assert response.status_code == 404
        text = text_of(response)
        assert "Page not found" in text and "Go to the Fullmobs home page" in text
        assert "the action may not be open yet" in text
        assert "Raised by" not in text and "URLconf" not in text
        assert "Beach clean-up" not in text
    assert join(client, campaign, "a@example.org").status_code == 404
    assert client.get("/me/forged-token/").status_code == 404
    assert "URLconf" not in text_of(client.get("/me/forged-token/"))


@pytest.mark.django_db
def test_hours_and_check_in_read_as_whole_numbers_when_whole(org_a):
    from django.utils import timezone

    with tenant_context(org_a):
        campaign = make_campaign(starts_in=timedelta(minutes=30),
                                 deadline_in=timedelta(minutes=10), hours=2,
                                 status=Campaign.Status.SUCCEEDED)
        sam = Participant.objects.create(email="sam@example.org", first_name="Sam")
        Pledge.objects.create(slot=campaign.slots.get(), participant=sam, companions=1,
                              status="confirmed", confirmed_at=timezone.now())
        token = links.participant_token(sam)
    client = tenant_client(org_a)
    client.get(f"/me/{token}/")  # the participant's own link, then the poster's QR code
    checked = client.post(f"/c/{campaign.code}/check-in/{campaign.checkin_secret}/",
                          HTTP_ACCEPT_LANGUAGE="fr", follow=True)
    assert "votre présence est pointée" in text_of(checked).lower()
    assert "Heures données : 2." in text_of(checked)
    assert "2,00" not in text_of(checked) and "2.00" not in text_of(checked)
    home = text_of(client.get(f"/me/{token}/"))  # the companion waits for an organiser
    assert "Hours given: 2." in home and "2.00" not in home


@pytest.mark.django_db
@pytest.mark.parametrize("lang, took_place, no_place, calendar", [
    ("en", "Took place:", "No place came free for you:", "Add to my calendar"),
    ("fr", "A eu lieu :", "Aucune place ne s’est libérée pour vous :",
     "Ajouter à mon agenda")])
def test_an_action_that_is_over_reads_in_the_past_without_a_calendar(org_a, lang, took_place,
                                                                   no_place, calendar):
    from django.utils import timezone

    with tenant_context(org_a):
        past = make_campaign(starts_in=-timedelta(days=12), deadline_in=-timedelta(days=14),
                             status=Campaign.Status.COMPLETED)
        sam = Participant.objects.create(email="sam@example.org", first_name="Sam")
        slot = past.slots.get()
        Pledge.objects.create(slot=slot, participant=sam, status="confirmed",
                              confirmed_at=timezone.now() - timedelta(days=20))
        lou = Participant.objects.create(email="lou@example.org", first_name="Lou")
        Pledge.objects.create(slot=slot, participant=lou, status="waitlisted")
        sam_token, lou_token = links.participant_token(sam), links.participant_token(lou)
    client = tenant_client(org_a)
    sam_page = client.get(f"/me/{sam_token}/", HTTP_ACCEPT_LANGUAGE=lang)
    lou_page = client.get(f"/me/{lou_token}/", HTTP_ACCEPT_LANGUAGE=lang)
    assert took_place in text_of(sam_page) and no_place in text_of(lou_page)
    for page in (sam_page, lou_page):
        assert calendar not in text_of(page)
