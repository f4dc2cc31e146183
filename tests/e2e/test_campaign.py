"""On a phone: someone opens a campaign link, gives time with a friend, and shares their own
link; the next person comes through it."""

import re

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def campaign(committed_campaign):
    return committed_campaign(capacity=20, target=3, email_domain="phone.example")


def test_join_on_a_phone_and_bring_a_friend(campaign, live_url, open_person):
    tenant = live_url.replace("//localhost", "//testco.localhost")
    first = open_person(lang="fr", device="phone")

    first.goto(f"{tenant}/c/{campaign.code}/")
    assert first.get_by_text("0 personne engagée sur 3 nécessaires").is_visible()
    first.get_by_role("checkbox").first.check()
    first.get_by_label("Adresse e-mail", exact=True).fill("ana@phone.example")
    first.get_by_label("Prénom", exact=True).fill("Ana")
    first.get_by_label("Personnes qui viennent avec vous").fill("1")
    first.get_by_role("button", name="Donner mon temps").click()
    first.wait_for_url(re.compile(r"/me/"))
    assert first.get_by_text("Merci ! Votre engagement est enregistré").is_visible()
    share = first.get_by_label("Votre lien d’invitation personnel").input_value()
    assert "?i=" in share

    friend = open_person(lang="fr", device="phone")
    friend.goto(share.replace("http://testco.localhost:8000", tenant))
    assert friend.get_by_text("2 personnes engagées sur 3 nécessaires").is_visible()
    friend.get_by_role("checkbox").first.check()
    friend.get_by_label("Adresse e-mail", exact=True).fill("ben@phone.example")
    friend.get_by_label("Prénom", exact=True).fill("Ben")
    friend.get_by_role("button", name="Donner mon temps").click()
    friend.wait_for_url(re.compile(r"/me/"))
    friend.goto(f"{tenant}/c/{campaign.code}/")
    assert friend.get_by_text("3 personnes engagées sur 3 nécessaires").is_visible()
    # Nothing overflows the phone's width.
    assert friend.evaluate("document.documentElement.scrollWidth") <= 390
