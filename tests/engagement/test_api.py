"""The engagement API: campaigns, slots, participants, pledges, invitations, impact, the
public join, and who may use which."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.links import participant_token
from engagement.models import (
    Campaign,
    ImpactRecord,
    Participant,
    Pledge,
    Programme,
    ProgrammeIndicator,
    Team,
)
from engagement.services import (
    campaign_join,
    invitation_create,
    invitation_record_open,
    pledge_create,
    programme_create_from_template,
)
from methodology.models import Template
from methodology.selectors import latest_published

from ..conftest import host_of, tenant_client
from ..factories import CampaignFactory, ParticipantFactory, ProgrammeFactory, SlotFactory

JSON = "application/json"


def make_programme(name: str = "Beach") -> Programme:
    return ProgrammeFactory(name=name, starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))


def make_campaign(*, programme: Programme | None = None, visibility: str = "public",
                  opened: bool = True, capacity: int = 10) -> Campaign:
    campaign = CampaignFactory(
        programme=programme or make_programme(), participant_target=20, visibility=visibility,
        status=Campaign.Status.OPEN if opened else Campaign.Status.DRAFT)
    SlotFactory(campaign=campaign, capacity=capacity)
    return campaign


def person(email: str, **fields) -> Participant:
    return ParticipantFactory(email=email, **fields)


def when(days: int, hours: int = 0) -> str:
    return (timezone.now() + timedelta(days=days, hours=hours)).isoformat()


def selects(queries) -> int:
    # django-tenants adds "SET search_path" statements; only reads matter here.
    return sum(1 for q in queries.captured_queries if q["sql"].startswith("SELECT"))


# ---- campaigns and slots --------------------------------------------------------------


@pytest.mark.django_db
def test_campaigns_are_created_filtered_changed_and_opened(org_a, manager_a):
    with tenant_context(org_a):
        programme = make_programme()
    client = tenant_client(org_a, manager_a)
    payload = {"programme": programme.pk, "title": "Chalets", "starts_at": when(10),
               "ends_at": when(10, 6), "participant_target": 30,
               "mobilisation_deadline": when(5), "visibility": "public",
               "slots": [{"starts_at": when(10), "ends_at": when(10, 3), "capacity": 15},
                         {"starts_at": when(10, 3), "ends_at": when(10, 6), "capacity": 15}]}
    created = client.post("/api/v1/campaigns/", payload, content_type=JSON)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["mobilised"]) == ("draft", 0)
    assert [s["seats_left"] for s in body["slots"]] == [15, 15]
    single = client.post("/api/v1/campaigns/", {**payload, "slots": [], "visibility":
                                                "internal"}, content_type=JSON).json()
    assert [s["capacity"] for s in single["slots"]] == [30]  # one slot: the target

    def listed(query: str) -> list[int]:
        return [c["id"] for c in client.get(f"/api/v1/campaigns/{query}").json()["results"]]

    assert listed("?status=draft") == [body["id"], single["id"]]
    assert listed(f"?programme={programme.pk}&visibility=internal") == [single["id"]]
    assert listed("?status=open") == []
    bad = client.get("/api/v1/campaigns/?status=finished&programme=x")
    assert bad.status_code == 400 and set(bad.json()["errors"]) <= {"status", "programme"}

    url = f"/api/v1/campaigns/{body['id']}/"
    changed = client.patch(url, {"title": "Chalets 2027"}, content_type=JSON)
    assert changed.status_code == 200 and changed.json()["title"] == "Chalets 2027"
    moved = client.patch(url, {"programme": programme.pk}, content_type=JSON)
    assert moved.status_code == 400 and "programme" in moved.json()["errors"]
    late = client.patch(url, {"mobilisation_deadline": when(11)}, content_type=JSON)
    assert list(late.json()["errors"]) == ["mobilisation_deadline"]

    opened = client.post(f"{url}open/")
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    again = client.post(f"{url}open/")
    assert again.status_code == 400 and "status" in again.json()["errors"]
    with tenant_context(org_a):
        slot = Campaign.objects.get(pk=body["id"]).slots.first()
        pledge_create(slot=slot, participant=person("ana@example.test"), companions=2)
    detail = client.get(url).json()
    assert detail["mobilised"] == 3
    assert detail["slots"][0]["seats_left"] == 12


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "name"), [
    ("/api/v1/campaigns/?status=", "status"),
    ("/api/v1/campaigns/?status=closed", "status"),
    ("/api/v1/campaigns/?programme=", "programme"),
    ("/api/v1/campaigns/?programme=-1", "programme"),
    ("/api/v1/campaigns/?programme=1.0", "programme"),
    ("/api/v1/slots/?campaign=%201", "campaign"),
    ("/api/v1/pledges/?attendance=", "attendance"),
    ("/api/v1/campaign-invitations/?channel=fax", "channel"),
    ("/api/v1/impact-records/?campaign=x", "campaign"),
    ("/api/v1/templates/?theme=", "theme"),
])
def test_list_filters_refuse_an_empty_or_invalid_value_naming_it(org_a, manager_a, url, name):
    response = tenant_client(org_a, manager_a).get(url)
    assert response.status_code == 400
    assert response.json() == {"message": "Some fields are invalid.",
                               "errors": {name: [response.json()["errors"][name][0]]}}


@pytest.mark.django_db
def test_list_filters_left_empty_when_free_text_filter_nothing(org_a, manager_a):
    with tenant_context(org_a):
        person("ana@example.test", site="Paris")
    client = tenant_client(org_a, manager_a)
    assert client.get("/api/v1/participants/?site=&team=").json()["count"] == 1
    assert client.get("/api/v1/campaign-invitations/?lever_code=").status_code == 200


@pytest.mark.django_db
def test_slots_are_added_and_their_capacity_changed(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=2)
        first = campaign.slots.get()
        pledge_create(slot=first, participant=person("ana@example.test"), companions=1)
    client = tenant_client(org_a, manager_a)
    added = client.post("/api/v1/slots/", {"campaign": campaign.pk, "starts_at": when(11),
                                           "ends_at": when(11, 2), "capacity": 5},
                        content_type=JSON)
    assert added.status_code == 201 and added.json()["seats_left"] == 5
    backwards = client.post("/api/v1/slots/", {"campaign": campaign.pk, "starts_at": when(11),
                                               "ends_at": when(10), "capacity": 5},
                            content_type=JSON)
    assert list(backwards.json()["errors"]) == ["ends_at"]
    listed = client.get(f"/api/v1/slots/?campaign={campaign.pk}").json()["results"]
    assert [s["id"] for s in listed] == [first.pk, added.json()["id"]]
    grown = client.patch(f"/api/v1/slots/{first.pk}/", {"capacity": 8}, content_type=JSON)
    assert grown.status_code == 200 and grown.json()["seats_left"] == 6
    shrunk = client.patch(f"/api/v1/slots/{first.pk}/", {"capacity": 1}, content_type=JSON)
    assert shrunk.status_code == 400
    assert "2 seats are already confirmed" in shrunk.json()["errors"]["capacity"][0]


# ---- participants -----------------------------------------------------------------------


@pytest.mark.django_db
def test_participants_are_created_completed_and_found(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    created = client.post("/api/v1/participants/", {
        "email": "Ana@Example.test", "first_name": "Ana", "team": "Sales", "site": "Lyon",
        "language": "en"}, content_type=JSON)
    assert created.status_code == 201, created.content
    ana = created.json()
    assert (ana["email"], ana["team"], ana["source"]) == ("ana@example.test", "Sales", "api")
    # The same person again: completed, not duplicated, and known values stay.
    again = client.post("/api/v1/participants/", {"email": "ANA@example.test",
                                                  "last_name": "Dupont"}, content_type=JSON)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["first_name"], again.json()["last_name"]) == (
        ana["id"], "Ana", "Dupont")
    invalid = client.post("/api/v1/participants/", {"email": "nope"}, content_type=JSON)
    assert list(invalid.json()["errors"]) == ["email"]
    changed = client.patch(f"/api/v1/participants/{ana['id']}/",
                           {"site": "Paris", "consent_to_contact": True}, content_type=JSON)
    assert changed.status_code == 200
    assert (changed.json()["site"], changed.json()["consent_to_contact"]) == ("Paris", True)
    with tenant_context(org_a):
        person("bob@example.test", first_name="Bob", site="Paris",
               team=Team.objects.create(name="Sales team"))

    def listed(query: str) -> list[str]:
        response = client.get(f"/api/v1/participants/{query}")
        assert response.status_code == 200
        return [p["email"] for p in response.json()["results"]]

    assert listed("?site=paris") == ["ana@example.test", "bob@example.test"]
    assert listed("?team=sales") == ["ana@example.test"]
    assert listed("?search=ana dupont") == ["ana@example.test"]
    assert listed("?search=bob") == ["bob@example.test"]
    assert client.get(f"/api/v1/participants/{ana['id']}/").json()["last_name"] == "Dupont"


@pytest.mark.django_db
def test_participants_import_checks_then_imports(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    text = "email;first_name;consent\nana@example.test;Ana;oui\nbob@example.test;Bob;non\n"
    checked = client.post("/api/v1/participants/import/",
                          {"text": text, "consent_collected": True}, content_type=JSON)
    assert checked.status_code == 200
    assert checked.json() == {"dry_run": True, "only_valid": False, "imported": False,
                              "rows": 2, "valid_rows": 2, "created": 2, "updated": 0,
                              "errors": []}
    # A multipart upload without the flag is a dry run too, never an import by default.
    upload = SimpleUploadedFile("people.csv", ("\ufeff" + text).encode())
    assert client.post("/api/v1/participants/import/", {"file": upload}).json()["dry_run"]
    with tenant_context(org_a):
        assert not Participant.objects.exists()
    upload = SimpleUploadedFile("people.csv", ("\ufeff" + text).encode())
    imported = client.post("/api/v1/participants/import/", {"file": upload,
                                                             "dry_run": "false",
                                                             "consent_collected": "true"})
    assert imported.status_code == 200
    assert (imported.json()["imported"], imported.json()["created"]) == (True, 2)
    with tenant_context(org_a):
        assert Participant.objects.get(email="ana@example.test").consent_to_contact


@pytest.mark.django_db
def test_participants_import_refusals(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    text = "email,language\nana@example.test,fr\nbob@example.test,de\n"
    refused = client.post("/api/v1/participants/import/", {"text": text, "dry_run": False},
                          content_type=JSON)
    assert refused.status_code == 400
    body = refused.json()
    assert body["message"].startswith("Nothing was imported")
    assert body["errors"]["csv"][0].startswith("Line 3, language:")
    assert body["report"]["errors"] == [
        {"line": 3, "column": "language", "message": body["report"]["errors"][0]["message"]}]
    with tenant_context(org_a):
        assert not Participant.objects.exists()
    partial = client.post("/api/v1/participants/import/", {
        "text": text, "dry_run": False, "only_valid": True}, content_type=JSON)
    assert partial.status_code == 200 and partial.json()["created"] == 1
    neither = client.post("/api/v1/participants/import/", {}, content_type=JSON)
    assert list(neither.json()["errors"]) == ["file"]
    unreadable = client.post("/api/v1/participants/import/", {"text": "name\nAna"},
                             content_type=JSON)
    assert unreadable.status_code == 400 and "csv" in unreadable.json()["errors"]
    latin = SimpleUploadedFile("people.csv", "email\né@example.test".encode("latin-1"))
    assert "UTF-8" in client.post("/api/v1/participants/import/", {"file": latin}).json()[
        "errors"]["csv"][0]


# ---- pledges ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_pledges_are_made_filtered_cancelled_checked_in_and_marked(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=2)
        campaign.freed_seats = "promote"  # freed places given at once
        campaign.save(update_fields=["freed_seats"])
        slot = campaign.slots.get()
        ana, bob, cyd = (person(f"{n}@example.test") for n in ("ana", "bob", "cyd"))
    client = tenant_client(org_a, manager_a)

    def pledge(participant, companions=0):
        response = client.post("/api/v1/pledges/", {"slot": slot.pk,
                                                    "participant": participant.pk,
                                                    "companions": companions},
                               content_type=JSON)
        assert response.status_code == 201, response.content
        return response.json()

    first = pledge(ana, companions=1)
    waiting = pledge(bob)
    assert (first["status"], waiting["status"]) == ("confirmed", "waitlisted")
    assert first["campaign"] == campaign.pk and first["participant_email"] == "ana@example.test"
    twice = client.post("/api/v1/pledges/", {"slot": slot.pk, "participant": ana.pk},
                        content_type=JSON)
    assert twice.status_code == 400 and "slot" in twice.json()["errors"]

    def listed(query: str) -> list[int]:
        return [p["id"] for p in client.get(f"/api/v1/pledges/{query}").json()["results"]]

    assert listed(f"?campaign={campaign.pk}") == [first["id"], waiting["id"]]
    assert listed(f"?slot={slot.pk}&status=waitlisted") == [waiting["id"]]

    cancelled = client.post(f"/api/v1/pledges/{first['id']}/cancel/")
    assert cancelled.status_code == 200
    assert cancelled.json()["pledge"]["status"] == "cancelled"
    assert [p["id"] for p in cancelled.json()["promoted"]] == [waiting["id"]]
    checked = client.post(f"/api/v1/pledges/{waiting['id']}/check-in/", {"hours": "2.5"},
                          content_type=JSON)
    assert checked.status_code == 200
    assert (checked.json()["attendance"], checked.json()["hours_given"]) == ("attended",
                                                                             "2.50")
    absent = pledge(cyd)
    marked = client.post(f"/api/v1/pledges/{absent['id']}/no-show/")
    assert marked.json()["attendance"] == "no_show"
    assert listed("?attendance=attended") == [waiting["id"]]
    refused = client.post(f"/api/v1/pledges/{first['id']}/check-in/", {}, content_type=JSON)
    assert refused.status_code == 400 and "pledge" in refused.json()["errors"]
    with tenant_context(org_a):
        assert Pledge.objects.get(pk=waiting["id"]).checked_in_by == manager_a


@pytest.mark.django_db
def test_pledge_list_queries_do_not_grow_with_rows(org_a, owner_a):
    def add(numbers: range) -> None:
        for n in numbers:
            pledge_create(slot=slot, participant=person(f"p{n}@example.test"))

    with tenant_context(org_a):
        slot = make_campaign(capacity=100).slots.get()
        add(range(3))
    client = tenant_client(org_a, owner_a)
    client.get("/api/v1/pledges/")  # the session and access are cached from here on
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/pledges/").json()["results"]) == 3
    with tenant_context(org_a):
        add(range(3, 33))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/pledges/").json()["results"]) == 33
    assert selects(many) == selects(few) <= 8


@pytest.mark.django_db
def test_participant_list_queries_do_not_grow_with_rows(org_a, owner_a):
    with tenant_context(org_a):
        team = Team.objects.create(name="Sales")
        Participant.objects.bulk_create(Participant(email=f"a{n}@example.test", team=team)
                                        for n in range(3))
    client = tenant_client(org_a, owner_a)
    client.get("/api/v1/participants/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/participants/").json()["count"] == 3
    with tenant_context(org_a):
        Participant.objects.bulk_create(
            Participant(email=f"b{n}@example.test", team=Team.objects.create(name=f"T{n}"))
            for n in range(40))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/participants/").json()["results"]) == 43
    assert selects(many) == selects(few) <= 8


# ---- invitations and impact -------------------------------------------------------------


@pytest.mark.django_db
def test_campaign_invitations_show_their_funnel(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
    client = tenant_client(org_a, manager_a)
    created = client.post("/api/v1/campaign-invitations/", {
        "campaign": campaign.pk, "channel": "intranet", "lever_code": "social_proof",
        "audience_label": "Finance department"}, content_type=JSON)
    assert created.status_code == 201, created.content
    invitation = created.json()
    assert invitation["url"] == (f"http://{host_of(org_a)}/c/{campaign.code}/"
                                 f"?i={invitation['code']}")
    assert (invitation["organiser"], invitation["opened"], invitation["pledged"]) == (
        manager_a.email, False, 0)
    unknown = client.post("/api/v1/campaign-invitations/", {
        "campaign": campaign.pk, "channel": "email", "lever_code": "bribery"},
        content_type=JSON)
    assert set(unknown.json()["errors"]) == {"lever_code", "invitee_email"}
    with tenant_context(org_a):
        invitation_create(campaign=campaign, channel="qr_poster", lever_code="local_impact",
                          organiser=manager_a)
        invitation_record_open(campaign=campaign, code=invitation["code"])
        invitation_record_open(campaign=campaign, code=invitation["code"])
        pledges = [campaign_join(campaign=campaign, email=f"{n}@example.test",
                                 slot_ids=[campaign.slots.get().pk],
                                 invitation_code=invitation["code"])[0] for n in ("a", "b")]
    client.post(f"/api/v1/pledges/{pledges[0].pk}/check-in/")
    listed = client.get(f"/api/v1/campaign-invitations/?campaign={campaign.pk}"
                        "&channel=intranet&lever_code=social_proof").json()["results"]
    assert [(i["id"], i["open_count"], i["opened"], i["pledged"], i["attended"])
            for i in listed] == [(invitation["id"], 2, True, 2, 1)]
    assert client.get("/api/v1/campaign-invitations/?channel=qr_poster").json()["count"] == 1


@pytest.mark.django_db
def test_impact_records_are_recorded_and_corrected(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        kilos = ProgrammeIndicator.objects.create(
            programme=campaign.programme, code="waste_collected_kg", position=0, unit="kg",
            label_fr="Déchets", label_en="Waste", sdg=14)
        elsewhere = ProgrammeIndicator.objects.create(
            programme=make_programme("Other"), code="trees_planted", position=0, unit="",
            label_fr="Arbres", label_en="Trees", sdg=15)
    client = tenant_client(org_a, manager_a)
    created = client.post("/api/v1/impact-records/", {
        "campaign": campaign.pk, "indicator": kilos.pk, "value": "120.5"}, content_type=JSON)
    assert created.status_code == 201, created.content
    assert (created.json()["indicator_code"], created.json()["recorded_by"]) == (
        "waste_collected_kg", manager_a.email)
    replaced = client.post("/api/v1/impact-records/", {
        "campaign": campaign.pk, "indicator": kilos.pk, "value": "130"}, content_type=JSON)
    assert replaced.json()["id"] == created.json()["id"]
    corrected = client.patch(f"/api/v1/impact-records/{created.json()['id']}/",
                             {"note": "weighed at the tip"}, content_type=JSON)
    assert (corrected.json()["value"], corrected.json()["note"]) == ("130.00",
                                                                     "weighed at the tip")
    negative = client.patch(f"/api/v1/impact-records/{created.json()['id']}/",
                            {"value": "-1"}, content_type=JSON)
    assert list(negative.json()["errors"]) == ["value"]
    wrong = client.post("/api/v1/impact-records/", {
        "campaign": campaign.pk, "indicator": elsewhere.pk, "value": "3"}, content_type=JSON)
    assert list(wrong.json()["errors"]) == ["indicator"]
    listed = client.get(f"/api/v1/impact-records/?campaign={campaign.pk}").json()
    assert [r["value"] for r in listed["results"]] == ["130.00"]
    with tenant_context(org_a):
        assert ImpactRecord.objects.get().value == Decimal("130")


# ---- programmes (services on update and delete) -----------------------------------------


@pytest.mark.django_db
def test_programmes_change_and_delete_through_their_services(org_a, manager_a):
    with tenant_context(org_a):
        programme = programme_create_from_template(
            version=latest_published(Template.objects.get(slug="values-day")), name="Values",
            starts_on=date(2027, 3, 1), action_date=date(2027, 5, 1),
            ends_on=date(2027, 6, 30))
        step = programme.steps.first()
        busy = make_campaign().programme
        idle = make_programme("Idle")
    client = tenant_client(org_a, manager_a)
    url = f"/api/v1/programmes/{programme.pk}/"
    early = client.patch(url, {"ends_on": "2027-04-01"}, content_type=JSON)
    assert early.status_code == 400 and list(early.json()["errors"]) == ["action_date"]
    assert client.patch(url, {"name": "Values 2027"}, content_type=JSON).json()["name"] == \
        "Values 2027"
    kept = client.delete(f"/api/v1/programmes/{busy.pk}/")
    assert kept.status_code == 400
    assert kept.json()["message"] and "campaigns" in kept.json()["errors"]["programme"][0]
    assert client.delete(f"/api/v1/programmes/{idle.pk}/").status_code == 204
    step_url = f"{url}steps/{step.pk}/"
    empty = client.patch(step_url, {}, content_type=JSON)
    assert empty.status_code == 400 and list(empty.json()["errors"]) == ["status"]
    assert client.patch(step_url, {"status": "done"}, content_type=JSON).json()[
        "status"] == "done"


# ---- who may call what -------------------------------------------------------------------


def _endpoints(org) -> list[tuple[str, str, dict | None]]:
    """Every organisation endpoint of this module, with real ids of ``org``."""
    with tenant_context(org):
        campaign = make_campaign()
        slot = campaign.slots.get()
        participant = person("ana@example.test")
        pledge = pledge_create(slot=slot, participant=participant)
        invitation = invitation_create(campaign=campaign, channel="intranet",
                                       lever_code="social_proof", inviter=participant)
        indicator = ProgrammeIndicator.objects.create(
            programme=campaign.programme, code="waste_collected_kg", position=0, unit="kg",
            label_fr="Déchets", label_en="Waste", sdg=14)
        record = ImpactRecord.objects.create(campaign=campaign, indicator=indicator, value=1)
    new_campaign = {"programme": campaign.programme_id, "title": "X", "starts_at": when(10),
                    "ends_at": when(10, 1), "participant_target": 5,
                    "mobilisation_deadline": when(5)}
    return [
        ("get", "/api/v1/campaigns/", None),
        ("get", f"/api/v1/campaigns/{campaign.pk}/", None),
        ("post", "/api/v1/campaigns/", new_campaign),
        ("patch", f"/api/v1/campaigns/{campaign.pk}/", {"title": "Y"}),
        ("post", f"/api/v1/campaigns/{campaign.pk}/open/", None),
        ("get", "/api/v1/slots/", None),
        ("get", f"/api/v1/slots/{slot.pk}/", None),
        ("post", "/api/v1/slots/", {"campaign": campaign.pk, "starts_at": when(10),
                                    "ends_at": when(10, 1), "capacity": 3}),
        ("patch", f"/api/v1/slots/{slot.pk}/", {"capacity": 30}),
        ("get", "/api/v1/participants/", None),
        ("get", f"/api/v1/participants/{participant.pk}/", None),
        ("post", "/api/v1/participants/", {"email": "bob@example.test"}),
        ("patch", f"/api/v1/participants/{participant.pk}/", {"site": "Lyon"}),
        ("post", "/api/v1/participants/import/", {"text": "email\nbob@example.test\n"}),
        ("get", "/api/v1/pledges/", None),
        ("get", f"/api/v1/pledges/{pledge.pk}/", None),
        ("post", "/api/v1/pledges/", {"slot": slot.pk, "participant": participant.pk}),
        ("post", f"/api/v1/pledges/{pledge.pk}/cancel/", None),
        ("post", f"/api/v1/pledges/{pledge.pk}/check-in/", None),
        ("post", f"/api/v1/pledges/{pledge.pk}/no-show/", None),
        ("get", "/api/v1/campaign-invitations/", None),
        ("get", f"/api/v1/campaign-invitations/{invitation.pk}/", None),
        ("post", "/api/v1/campaign-invitations/", {"campaign": campaign.pk,
                                                   "channel": "intranet",
                                                   "lever_code": "social_proof"}),
        ("get", "/api/v1/impact-records/", None),
        ("get", f"/api/v1/impact-records/{record.pk}/", None),
        ("post", "/api/v1/impact-records/", {"campaign": campaign.pk,
                                             "indicator": indicator.pk, "value": "2"}),
        ("patch", f"/api/v1/impact-records/{record.pk}/", {"value": "3"}),
    ]


def _call(client, method: str, url: str, data: dict | None):
    return getattr(client, method)(url, data or {}, content_type=JSON)


@pytest.mark.django_db
def test_another_organisations_user_gets_404_everywhere(org_a, owner_b):
    client = tenant_client(org_a, owner_b)
    for method, url, data in _endpoints(org_a):
        response = _call(client, method, url, data)
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.json()["message"]
    with tenant_context(org_a):
        assert not Participant.objects.filter(email="bob@example.test").exists()


@pytest.mark.django_db
def test_a_viewer_reads_but_gets_403_on_writes(org_a, viewer_a):
    client = tenant_client(org_a, viewer_a)
    for method, url, data in _endpoints(org_a):
        response = _call(client, method, url, data)
        expected = 200 if method == "get" else 403
        assert response.status_code == expected, (method, url, response.status_code)
    with tenant_context(org_a):
        assert not Participant.objects.filter(email="bob@example.test").exists()
        assert Pledge.objects.get().status == "confirmed"


@pytest.mark.django_db
def test_anonymous_clients_reach_only_the_public_endpoints(org_a):
    client = tenant_client(org_a)
    for method, url, data in _endpoints(org_a):
        response = _call(client, method, url, data)
        assert response.status_code in (401, 403), (method, url, response.status_code)


# ---- the public join ---------------------------------------------------------------------


@pytest.mark.django_db
def test_public_campaign_is_shown_to_anyone_internal_and_drafts_are_not(org_a):
    with tenant_context(org_a):
        public = make_campaign()
        internal = make_campaign(visibility="internal")
        draft = make_campaign(opened=False)
        pledge_create(slot=public.slots.get(), participant=person("ana@example.test"),
                      companions=1)
    client = tenant_client(org_a)
    shown = client.get(f"/api/v1/public/campaigns/{public.code}/")
    assert shown.status_code == 200
    body = shown.json()
    assert (body["title"], body["participant_target"], body["mobilised"], body["is_open"]) == (
        "Beach clean-up", 20, 2, True)
    assert [s["seats_left"] for s in body["slots"]] == [8]
    assert {"starts_at", "ends_at", "mobilisation_deadline", "description"} <= set(body)
    for hidden in (internal.code, draft.code, "nosuchcode"):
        response = client.get(f"/api/v1/public/campaigns/{hidden}/")
        assert response.status_code == 404 and response.json()["message"]


@pytest.mark.django_db
def test_anonymous_join_needs_no_csrf_token_and_records_pledges(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=1)
        slot = campaign.slots.get()
        later = campaign.slots.create(starts_at=slot.ends_at, ends_at=slot.ends_at
                                      + timedelta(hours=1), capacity=5)
    cache.clear()
    client = Client(HTTP_HOST=host_of(org_a), enforce_csrf_checks=True)
    url = f"/api/v1/public/campaigns/{campaign.code}/join/"
    joined = client.post(url, {"email": "Ana@Example.test", "first_name": "Ana",
                               "slots": [slot.pk, later.pk], "companions": 1,
                               "consent_to_contact": True, "team": "Sales"},
                         content_type=JSON)
    assert joined.status_code == 201, joined.content
    # A party of two does not fit the one-seat slot: waiting list there.
    assert [(p["slot"], p["confirmed"]) for p in joined.json()["pledges"]] == [
        (slot.pk, False), (later.pk, True)]
    with tenant_context(org_a):
        ana = Participant.objects.get(email="ana@example.test")
        assert (ana.source, ana.team.name, ana.consent_to_contact) == ("signup", "Sales", True)
    refused = client.post(url, {"email": "bob@example.test", "slots": []}, content_type=JSON)
    assert refused.status_code == 400 and "slots" in refused.json()["errors"]
    with tenant_context(org_a):
        draft = make_campaign(opened=False)
    assert client.post(f"/api/v1/public/campaigns/{draft.code}/join/",
                       {"email": "c@example.test", "slots": []},
                       content_type=JSON).status_code == 404


@pytest.mark.django_db
def test_internal_campaign_join_needs_the_participants_signed_link(org_a):
    org_a.allowed_email_domains = ["testco.test"]
    org_a.save(update_fields=["allowed_email_domains"])
    with tenant_context(org_a):
        campaign = make_campaign(visibility="internal")
        slot = campaign.slots.get()
        token = participant_token(person("ana@testco.test"))
    cache.clear()
    client = tenant_client(org_a)
    url = f"/api/v1/public/campaigns/{campaign.code}/join/"
    outside = client.post(url, {"email": "ana@gmail.example", "slots": [slot.pk]},
                          content_type=JSON)
    assert outside.status_code == 400
    assert list(outside.json()["errors"]) == ["email"]
    # An allowed domain is not enough: the address is proved by the e-mailed link.
    unproved = client.post(url, {"email": "bob@testco.test", "slots": [slot.pk]},
                           content_type=JSON)
    assert list(unproved.json()["errors"]) == ["email"]
    forged = client.post(url, {"email": "ana@testco.test", "slots": [slot.pk],
                               "participant_token": token + "x"}, content_type=JSON)
    assert list(forged.json()["errors"]) == ["participant_token"]
    someone_else = client.post(url, {"email": "bob@testco.test", "slots": [slot.pk],
                                     "participant_token": token}, content_type=JSON)
    assert list(someone_else.json()["errors"]) == ["email"]
    inside = client.post(url, {"email": "ana@testco.test", "slots": [slot.pk],
                               "participant_token": token}, content_type=JSON)
    assert inside.status_code == 201, inside.content


@pytest.mark.django_db
def test_join_is_throttled_per_client_address(org_a, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES,
                               "join": {"address": "3/hour", "subject": None}}
    with tenant_context(org_a):
        campaign = make_campaign()
        slot = campaign.slots.get()
    cache.clear()
    client = tenant_client(org_a)
    url = f"/api/v1/public/campaigns/{campaign.code}/join/"
    for n in range(3):
        assert client.post(url, {"email": f"p{n}@example.test", "slots": [slot.pk]},
                           content_type=JSON).status_code == 201
    throttled = client.post(url, {"email": "p9@example.test", "slots": [slot.pk]},
                            content_type=JSON)
    assert throttled.status_code == 429
    assert throttled.json()["message"] and throttled.json()["errors"] == {}
    assert int(throttled["Retry-After"]) > 0
    other = client.post(url, {"email": "q@example.test", "slots": [slot.pk]},
                        content_type=JSON, REMOTE_ADDR="203.0.113.7")
    assert other.status_code == 201
    # The counts are in the shared cache (not a process's memory): tests/engagement/
    # test_throttles.py.
    assert "LocMemCache" not in django_settings.CACHES["default"]["BACKEND"]
    with tenant_context(org_a):
        assert not Participant.objects.filter(email="p9@example.test").exists()
