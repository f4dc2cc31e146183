"""Self-service sign-up: the owner's address is verified before the space does anything
that reaches others (campaigns, invitations, billing), sign-ups are throttled per client
address and per owner address, operator-like addresses are reserved, and spaces never
verified are dropped after SIGNUP_UNVERIFIED_MAX_DAYS."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing import services as billing_services
from core.errors import DomainError
from engagement.models import Campaign
from engagement.services.campaigns import campaign_open
from tenants import tasks
from tenants.models import Domain, Invitation, Membership, Organisation, User
from tenants.services import (
    member_invite,
    organisation_provision,
    slug_validate,
    verification_url,
)

from ..conftest import PASSWORD, public_client, tenant_client
from ..factories import ProgrammeFactory, make_campaign_with_slot

RATES = {"signup": {"address": "5/hour", "subject": "3/day"},
         "signup_resend": {"address": "10/hour", "subject": "3/hour"}}


def sign_up(client, slug: str, email: str | None = None, **extra):
    return client.post("/signup/", {
        "name": slug.title(), "slug": slug, "kind": "company", "locale": "en",
        "full_name": "Ana Lopez", "email": email or f"ana@{slug}.example",
        "password": PASSWORD}, **extra)


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def link_in(message) -> str:
    return re.search(r"https?://\S+/signup/verify/\S+/", message.body).group(0)


# ---- verification ---------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=RATES)
def test_a_new_space_is_a_first_look_until_the_owner_opens_the_emailed_link(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(public_client(), "green-town")
    assert response.status_code == 302  # logged in on the new space, as before
    space = Organisation.objects.get(slug="green-town")
    assert not space.is_verified
    # The only e-mail is the confirmation, to the owner, with a signed link.
    assert [m.to for m in mail.outbox] == [["ana@green-town.example"]]
    assert "Confirm your e-mail address" in mail.outbox[0].subject
    link = link_in(mail.outbox[0])
    owner = User.objects.get(email="ana@green-town.example")
    client = tenant_client(space, owner)
    home = client.get("/").content.decode()
    assert "Check your e-mail" in home and "Send the link again" in home

    # Opening a campaign, inviting and billing are refused, each saying why.
    with tenant_context(space):
        campaign, _slot = make_campaign_with_slot(
            ProgrammeFactory(name="P", participant_target=50), days=20, hours=2,
            status=Campaign.Status.DRAFT)
        with pytest.raises(DomainError) as refused:
            campaign_open(campaign=campaign)
        assert "Confirm your e-mail address" in refused.value.text
    opened = client.post(f"/campaigns/{campaign.pk}/open/", follow=True)
    assert "Confirm your e-mail address" in opened.content.decode()
    with tenant_context(space):
        assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT
    invited = client.post("/members/invite/", {"email": "bob@green-town.example",
                                               "role": "viewer"})
    assert invited.status_code == 400
    assert "Confirm your e-mail address" in invited.content.decode()
    assert not Invitation.objects.filter(organisation=space).exists()
    with pytest.raises(DomainError):
        billing_services.customer_ensure(organisation=space)

    # The link, from another browser (no session needed): the space is verified.
    path = link.split("://", 1)[1].split("/", 1)[1]
    done = public_client().get(f"/{path}")
    assert done.status_code == 200
    assert "Address confirmed" in done.content.decode()
    space.refresh_from_db()
    assert space.is_verified
    assert "Check your e-mail" not in client.get("/").content.decode()
    with tenant_context(space):
        campaign_open(campaign=Campaign.objects.get(pk=campaign.pk))
    member_invite(organisation=space, email="bob@green-town.example", role="viewer",
                  invited_by=owner, inviter_role="owner")


@pytest.mark.django_db
def test_forged_expired_or_foreign_links_verify_nothing(org_a):
    space = organisation_provision(name="Unverified", slug="unverified-co",
                                   owner_email="u@unverified.example",
                                   owner_password=PASSWORD, verify_owner_email=True)
    client = public_client()
    assert client.get("/signup/verify/not-a-token/").status_code == 404
    # A valid signature for an address that does not own the space.
    wrong = verification_url(space, "intruder@example.test").split("/signup/", 1)[1]
    assert client.get(f"/signup/{wrong}").status_code == 404
    # Past the clean-up delay the link has expired.
    good = verification_url(space, "u@unverified.example").split("/signup/", 1)[1]
    with override_settings(SIGNUP_UNVERIFIED_MAX_DAYS=0):
        assert client.get(f"/signup/{good}").status_code == 404
    space.refresh_from_db()
    assert not space.is_verified
    assert "no longer valid" in client.get("/signup/verify/x/").content.decode()
    assert client.get(f"/signup/{good}").status_code == 200


@pytest.mark.django_db
def test_staff_provisioned_and_existing_spaces_are_verified(org_a):
    assert org_a.is_verified
    made = organisation_provision(name="Staff Made", slug="staff-made",
                                  owner_email="o@staff-made.example")
    assert made.is_verified


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=RATES)
def test_billing_mails_never_go_to_an_unverified_address(django_capture_on_commit_callbacks):
    space = organisation_provision(name="No Mail", slug="no-mail", verify_owner_email=True,
                                   owner_email="o@no-mail.example", owner_password=PASSWORD)
    mail.outbox.clear()
    billing_services.payment_failure_tell_owners(space.pk)
    assert mail.outbox == []
    Organisation.objects.filter(pk=space.pk).update(owner_email_verified_at=timezone.now())
    billing_services.payment_failure_tell_owners(space.pk)
    assert [m.to for m in mail.outbox] == [["o@no-mail.example"]]


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=RATES)
def test_the_owner_can_have_the_link_sent_again_a_few_times(
        django_capture_on_commit_callbacks):
    space = organisation_provision(name="Resend", slug="resend-co", verify_owner_email=True,
                                   owner_email="o@resend.example", owner_password=PASSWORD)
    owner = User.objects.get(email="o@resend.example")
    client = tenant_client(space, owner)
    mail.outbox.clear()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post("/settings/verify-email/", follow=True).content.decode()
        assert "We sent the link again to o@resend.example." in page
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/settings/verify-email/", follow=True).content.decode()
    assert "Too many requests" in page
    assert len(mail.outbox) == 3
    assert all("/signup/verify/" in m.body for m in mail.outbox)
    viewer = User.objects.create_user(email="v@resend.example", password=PASSWORD)
    Membership.objects.create(user=viewer, organisation=space, role="viewer")
    assert tenant_client(space, viewer).post("/settings/verify-email/").status_code == 404


# ---- throttle ------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=RATES, NUM_PROXIES=0)
def test_sign_ups_are_throttled_per_client_address_whatever_the_forwarded_header():
    client = public_client()
    for number in range(5):
        assert sign_up(client, f"burst-{number}", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}"
                       ).status_code == 302
    refused = sign_up(client, "burst-5", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()
    assert not Organisation.objects.filter(slug="burst-5").exists()
    assert not schema_exists("burst_5")
    # Another client address is not affected.
    assert sign_up(client, "burst-6", REMOTE_ADDR="192.0.2.7").status_code == 302


@pytest.mark.django_db
@override_settings(THROTTLE_RATES=RATES)
def test_one_address_cannot_be_sent_confirmations_from_many_machines():
    client = public_client()
    for number in range(3):
        sign_up(client, f"victim-{number}", email="victim@example.test",
                REMOTE_ADDR=f"198.51.100.{number}")
    refused = sign_up(client, "victim-3", email="victim@example.test",
                      REMOTE_ADDR="198.51.100.200")
    assert refused.status_code == 429
    assert not Organisation.objects.filter(slug="victim-3").exists()


# ---- reserved addresses --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["fullmobs-admin", "my-fullmobs", "fullmobs", "admin", "sso",
                                  "webmail", "payments", "billing", "mail", "www", "api",
                                  "status", "support", "help", "security", "login", "auth",
                                  "static", "media", "postmaster", "pg-catalog"])
def test_operator_and_infrastructure_addresses_are_reserved(slug):
    with pytest.raises(DomainError) as refused:
        slug_validate(slug)
    assert "reserved" in refused.value.text
    answer = public_client().get("/signup/check-address/", {"slug": slug}).content.decode()
    assert "reserved" in answer
    page = sign_up(public_client(), slug).content.decode()
    assert "reserved" in page and not Organisation.objects.filter(slug=slug).exists()


@pytest.mark.django_db
def test_ordinary_addresses_stay_free():
    for slug in ("green-town", "mobs-lyon", "supporters-club", "admiral-co"):
        slug_validate(slug)


# ---- clean-up ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_spaces_never_verified_are_dropped_after_the_set_time(org_a):
    def make(slug: str, *, age_days: int, verified: bool):
        space = organisation_provision(
            name=slug, slug=slug, owner_email=f"o@{slug}.example", owner_password=PASSWORD,
            verify_owner_email=not verified)
        Organisation.objects.filter(pk=space.pk).update(
            created_at=timezone.now() - timedelta(days=age_days))
        return space

    stale = make("stale-space", age_days=settings.SIGNUP_UNVERIFIED_MAX_DAYS + 1,
                 verified=False)
    young = make("young-space", age_days=settings.SIGNUP_UNVERIFIED_MAX_DAYS - 1,
                 verified=False)
    old_verified = make("old-verified", age_days=90, verified=True)
    # The stale space's owner also belongs to another space: that login is kept.
    make("shared-owner", age_days=30, verified=False)
    shared_owner = User.objects.get(email="o@shared-owner.example")
    Membership.objects.create(user=shared_owner, organisation=org_a, role="viewer")
    with tenant_context(stale):
        ProgrammeFactory(name="Data of the stale space", participant_target=50)
        with connection.cursor() as cursor:
            # Fire the deferred data-version triggers now, as a commit would have.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert schema_exists("stale_space")

    dropped = tasks.drop_unverified_organisations.apply().get()

    assert sorted(dropped) == ["shared-owner", "stale-space"]
    assert not schema_exists("stale_space") and not schema_exists("shared_owner")
    assert not Organisation.objects.filter(slug__in=dropped).exists()
    assert not Domain.objects.filter(domain__startswith="stale-space.").exists()
    assert not User.objects.filter(email="o@stale-space.example").exists()
    assert User.objects.filter(pk=shared_owner.pk).exists()
    for kept in (young, old_verified, org_a):
        assert Organisation.objects.filter(pk=kept.pk).exists()
        assert schema_exists(kept.schema_name)
    # Beat runs it daily.
    assert any(entry["task"] == "tenants.tasks.drop_unverified_organisations"
               for entry in settings.CELERY_BEAT_SCHEDULE.values())
