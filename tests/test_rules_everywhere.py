"""Rules held on every write, not only on create: the plan's programme limit on update,
bounded numbers (400 naming the field, never a database error), uploaded logos that cannot
exhaust a worker, Stripe webhooks inside their time window, and password-reset links built
from the settings rather than the request."""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image

from billing.models import StripeEvent, Subscription
from core.errors import DomainError
from engagement.models import Campaign, Programme, Slot
from tenants.models import Organisation

from .billing.fake_stripe import FakeStripe
from .conftest import public_client, tenant_client
from .factories import make_campaign

HUGE = 10**12  # beyond PostgreSQL's integer: a database error (500) if it ever got there


def downgrade(organisation, plan="essential"):
    Subscription.objects.filter(organisation=organisation).update(plan=plan, options=[])
    organisation.refresh_from_db()


def api(organisation, user):
    return tenant_client(organisation, user)


# ---- the plan's programme limit, on every write ----------------------------------------------


@pytest.mark.django_db
def test_moving_dates_cannot_run_more_programmes_than_the_plan_allows(org_a, manager_a):
    downgrade(org_a)  # the Essential plan: one running programme
    today = timezone.localdate()
    with tenant_context(org_a):
        running = Programme.objects.create(name="Running", starts_on=today,
                                           ends_on=today + timedelta(days=30))
        ended = Programme.objects.create(name="Last year", starts_on=date(2025, 1, 1),
                                         ends_on=date(2025, 2, 1))
    client = api(org_a, manager_a)
    moved = client.patch(f"/api/v1/programmes/{ended.pk}/", {
        "starts_on": str(today), "ends_on": str(today + timedelta(days=60))},
        content_type="application/json")
    assert moved.status_code == 400
    assert "Your plan allows 1 running programme(s)" in moved.json()["errors"]["programme"][0]
    with tenant_context(org_a):
        assert Programme.objects.get(pk=ended.pk).ends_on == date(2025, 2, 1)
        from engagement.services import programme_update

        with pytest.raises(DomainError) as refused:
            programme_update(programme=Programme.objects.get(pk=ended.pk),
                             ends_on=today + timedelta(days=1))
        assert "programme" in refused.value.errors
    # Changes that leave the number of running programmes as it is are never refused, even
    # over the limit (a downgrade leaves programmes running).
    with tenant_context(org_a):
        Programme.objects.create(name="Second", starts_on=today, ends_on=today)
    renamed = client.patch(f"/api/v1/programmes/{running.pk}/", {
        "name": "Renamed", "ends_on": str(today + timedelta(days=90))},
        content_type="application/json")
    assert renamed.status_code == 200, renamed.content
    ended_again = client.patch(f"/api/v1/programmes/{ended.pk}/", {
        "ends_on": str(date(2025, 3, 1))}, content_type="application/json")
    assert ended_again.status_code == 200


# ---- bounded numbers -------------------------------------------------------------------------


def _campaign_payload(programme, **extra):
    start = timezone.now() + timedelta(days=10)
    return {"programme": programme.pk, "title": "Clean-up",
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat(),
            "mobilisation_deadline": (start - timedelta(days=2)).isoformat(),
            "participant_target": 10, **extra}


@pytest.mark.django_db
def test_huge_numbers_in_the_api_are_refused_naming_the_field(org_a, manager_a):
    client = api(org_a, manager_a)
    with tenant_context(org_a):
        campaign = make_campaign(status=Campaign.Status.DRAFT)
        programme = campaign.programme
        slot = campaign.slots.get()
    today = str(timezone.localdate())
    start = timezone.now() + timedelta(days=10)
    cases = [
        ("post", "/api/v1/programmes/", {"name": "P", "starts_on": today, "ends_on": today,
                                         "participant_target": HUGE}, "participant_target"),
        ("patch", f"/api/v1/programmes/{programme.pk}/", {"participant_target": HUGE},
         "participant_target"),
        ("post", "/api/v1/campaigns/", _campaign_payload(programme, participant_target=HUGE),
         "participant_target"),
        ("post", "/api/v1/campaigns/", _campaign_payload(programme, slots=[{
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(), "capacity": HUGE}]),
         "slots"),
        ("patch", f"/api/v1/campaigns/{campaign.pk}/", {"participant_target": HUGE},
         "participant_target"),
        ("post", "/api/v1/slots/", {"campaign": campaign.pk, "starts_at": start.isoformat(),
                                    "ends_at": (start + timedelta(hours=1)).isoformat(),
                                    "capacity": HUGE}, "capacity"),
        ("patch", f"/api/v1/slots/{slot.pk}/", {"capacity": HUGE}, "capacity"),
        ("post", f"/api/v1/pledges/{0}/check-in/", {"hours": "1e15"}, "hours"),
    ]
    for method, url, body, field in cases:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        data = response.json()
        errors = data.get("errors", data)
        assert field in errors, (url, data)
    # The bound is documented, and the largest allowed value is accepted.
    from engagement.models import PEOPLE_MAX

    accepted = client.patch(f"/api/v1/slots/{slot.pk}/", {"capacity": PEOPLE_MAX},
                            content_type="application/json")
    assert accepted.status_code == 200
    with tenant_context(org_a):
        assert Slot.objects.get(pk=slot.pk).capacity == PEOPLE_MAX


@pytest.mark.django_db
def test_from_template_target_is_bounded(org_a, manager_a):
    from methodology.models import TemplateVersion

    version = TemplateVersion.objects.filter(status=TemplateVersion.Status.PUBLISHED).first()
    today = timezone.localdate()
    response = api(org_a, manager_a).post("/api/v1/programmes/from-template/", {
        "version": version.pk, "name": "P", "starts_on": str(today),
        "action_date": str(today + timedelta(days=30)),
        "ends_on": str(today + timedelta(days=60)), "participant_target": HUGE},
        content_type="application/json")
    assert response.status_code == 400
    assert "participant_target" in response.json().get("errors", response.json())


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_huge_numbers_on_pages_are_a_message_on_the_field(org_a, manager_a, lang):
    client = tenant_client(org_a, manager_a)
    client.cookies["django_language"] = lang
    with tenant_context(org_a):
        campaign = make_campaign(status=Campaign.Status.DRAFT)
        programme = campaign.programme
    start = timezone.localtime() + timedelta(days=10)
    fmt = "%Y-%m-%dT%H:%M"
    fields = {"title": "Clean-up", "place": "", "description": "",
              "starts_at": start.strftime(fmt),
              "ends_at": (start + timedelta(hours=3)).strftime(fmt),
              "mobilisation_deadline": (start - timedelta(days=2)).strftime(fmt),
              "visibility": "internal"}
    new = client.post(f"/programmes/{programme.pk}/campaigns/new/", {
        **fields, "participant_target": HUGE, "capacity": HUGE},
        HTTP_ACCEPT_LANGUAGE=lang)
    assert new.status_code in (200, 400)
    form = new.context["form"]
    assert set(form.errors) >= {"participant_target", "capacity"}
    text = new.content.decode()
    limit = "1\xa0000\xa0000" if lang == "fr" else "1,000,000"
    assert limit in text or limit.replace("\xa0", "&nbsp;") in text
    edit = client.post(f"/campaigns/{campaign.pk}/edit/", {
        **fields, "participant_target": HUGE}, HTTP_ACCEPT_LANGUAGE=lang)
    assert edit.status_code in (200, 400)
    assert "participant_target" in edit.context["form"].errors
    slot = client.post(f"/campaigns/{campaign.pk}/slots/", {
        "starts_at": fields["starts_at"], "ends_at": fields["ends_at"], "capacity": HUGE},
        HTTP_ACCEPT_LANGUAGE=lang)
    assert slot.status_code == 302
    programme_page = client.post("/programmes/", {
        "name": "P", "starts_on": str(timezone.localdate()),
        "ends_on": str(timezone.localdate()), "participant_target": HUGE},
        HTTP_ACCEPT_LANGUAGE=lang)
    assert programme_page.status_code == 400
    assert "participant_target" in programme_page.context["form"].errors
    with tenant_context(org_a):
        assert campaign.slots.count() == 1
        assert not Programme.objects.filter(participant_target__gt=10**6).exists()


# ---- uploaded logos --------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def bomb_png(width=200_000, height=200_000) -> bytes:
    """A PNG header announcing a huge image, with a tiny body: what a decompression bomb
    looks like to the code that opens it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"\0" * 16)) + _chunk(b"IEND", b""))


def png_of(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1d6f42").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


SETTINGS = {"name": "Test Company", "locale": "en", "time_zone": "Europe/Paris",
            "brand_colour": "#aa3300"}


@pytest.mark.django_db
def test_a_decompression_bomb_logo_is_a_field_error(org_a, owner_a, media_root):
    body = bomb_png()
    assert len(body) < 80
    client = tenant_client(org_a, owner_a)
    response = client.post("/settings/", {**SETTINGS, "logo": SimpleUploadedFile(
        "logo.png", body, content_type="image/png")})
    assert response.status_code == 400
    assert "logo" in response.context["form"].errors
    assert not Organisation.objects.get(pk=org_a.pk).logo
    too_wide = client.post("/settings/", {**SETTINGS, "logo": SimpleUploadedFile(
        "logo.png", png_of((4500, 40)), content_type="image/png")})
    assert too_wide.status_code == 400
    assert "4,000" in " ".join(too_wide.context["form"].errors["logo"])


@pytest.mark.django_db
def test_a_large_logo_is_stored_downscaled(org_a, owner_a, media_root):
    from tenants.services import LOGO_STORED_MAX_SIDE

    client = tenant_client(org_a, owner_a)
    response = client.post("/settings/", {**SETTINGS, "logo": SimpleUploadedFile(
        "logo.png", png_of((3000, 1500)), content_type="image/png")})
    assert response.status_code == 302
    logo = Organisation.objects.get(pk=org_a.pk).logo
    with Image.open(logo.path) as stored:
        assert max(stored.size) <= LOGO_STORED_MAX_SIDE
        assert stored.size[0] == 2 * stored.size[1]  # proportions kept
        assert stored.format == "PNG"


@pytest.mark.django_db
def test_reports_never_decode_an_unbounded_image(org_a, media_root):
    from reports import pdf
    from tenants.services import LOGO_STORED_MAX_SIDE

    folder = media_root / org_a.schema_name / "branding"
    folder.mkdir(parents=True)
    # Logos stored before the rule: a large one is downscaled before WeasyPrint sees it;
    # one past the largest accepted size, or a bomb, is left out (never decoded).
    (folder / "old-logo.png").write_bytes(png_of((3000, 3000)))
    (folder / "huge-logo.png").write_bytes(bomb_png(12_000, 12_000))
    (folder / "bomb.png").write_bytes(bomb_png())
    fetcher = pdf.ReportURLFetcher(schema_name=org_a.schema_name)
    served = fetcher.fetch(f"{pdf.BASE_URL}media/{org_a.schema_name}/branding/old-logo.png")
    with Image.open(io.BytesIO(served.read())) as image:
        assert max(image.size) <= LOGO_STORED_MAX_SIDE
    for name in ("huge-logo.png", "bomb.png"):
        started = time.monotonic()
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(f"{pdf.BASE_URL}media/{org_a.schema_name}/branding/{name}")
        assert time.monotonic() - started < 1


# ---- Stripe webhooks -------------------------------------------------------------------------

SECRET = "whsec_rules"


def _post_webhook(body: bytes, *, timestamp: int | None = None):
    return public_client().post(
        "/billing/stripe/webhook/", body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=FakeStripe.sign(body, SECRET, timestamp))


@pytest.mark.django_db
def test_webhooks_outside_their_time_window_or_malformed_are_400(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    event = {"id": "evt_rules_1", "object": "event", "type": "invoice.paid",
             "data": {"object": {"object": "invoice", "customer": "cus_nobody"}}}
    body = json.dumps(event).encode()
    now = int(time.time())
    assert _post_webhook(body, timestamp=now + 365 * 24 * 3600).status_code == 400
    assert _post_webhook(body, timestamp=now + 400).status_code == 400
    assert _post_webhook(body, timestamp=now - 400).status_code == 400
    assert not StripeEvent.objects.exists()
    malformed = [
        {k: v for k, v in event.items() if k != "id"},
        {**event, "id": ""},
        {**event, "id": 42},
        {**event, "id": "evt_" + "x" * 200},
        {k: v for k, v in event.items() if k != "type"},
    ]
    for payload in malformed:
        assert _post_webhook(json.dumps(payload).encode()).status_code == 400, payload
    for raw in (b"[1, 2]", b'"text"', b"null", b"\xff\xfe"):
        assert _post_webhook(raw).status_code == 400, raw
    assert not StripeEvent.objects.exists()
    # Inside the window (Stripe's five minutes, either way), the event is stored once.
    assert _post_webhook(body, timestamp=now - 200).status_code == 200
    assert _post_webhook(body, timestamp=now + 60).status_code == 200
    assert StripeEvent.objects.filter(event_id="evt_rules_1").count() == 1


# ---- password-reset links --------------------------------------------------------------------


@pytest.mark.django_db
def test_password_reset_link_comes_from_the_settings_not_the_host_header(
        org_a, owner_a, settings):
    settings.SITE_SCHEME, settings.SITE_PORT = "https", "8443"
    client = tenant_client(org_a)
    client.post("/accounts/password-reset/", {"email": owner_a.email},
                HTTP_HOST="testco.localhost:6666")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "https://testco.localhost:8443/accounts/reset/" in body
    assert ":6666" not in body
    settings.SITE_PORT = ""
    public_client().post("/accounts/password-reset/", {"email": owner_a.email},
                         HTTP_HOST="localhost:6666")
    assert len(mail.outbox) == 2
    assert "https://localhost/accounts/reset/" in mail.outbox[1].body
