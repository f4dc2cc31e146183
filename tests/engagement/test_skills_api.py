"""The skills API: members read, managers add and change skills and mark a slot or one
pledge as skills-based; outsiders get 404; refusals name the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Skill

from ..conftest import tenant_client
from ..factories import ParticipantFactory, make_campaign, make_pledge


@pytest.mark.django_db
def test_managers_mark_slots_and_pledges_viewers_read_outsiders_never_see(
        org_a, manager_a, viewer_a, owner_b):
    with tenant_context(org_a):
        campaign = make_campaign()
        slot = campaign.slots.get()
        pledge = make_pledge(slot, ParticipantFactory())
    manager = tenant_client(org_a, manager_a)
    created = manager.post("/api/v1/skills/", {"name": "Legal", "hourly_rate": "60.10"},
                           content_type="application/json")
    assert created.status_code == 201
    skill_id = created.json()["id"]
    duplicate = manager.post("/api/v1/skills/", {"name": "legal", "hourly_rate": "1"},
                             content_type="application/json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()["errors"]
    changed = manager.patch(f"/api/v1/skills/{skill_id}/", {"hourly_rate": "62"},
                            content_type="application/json")
    assert changed.json() == {"id": skill_id, "name": "Legal", "hourly_rate": "62.00"}

    assert manager.post(f"/api/v1/slots/{slot.pk}/skill/", {"skill": skill_id},
                        content_type="application/json").json() == {"skill": skill_id}
    assert manager.post(f"/api/v1/pledges/{pledge.pk}/skill/", {"skill": skill_id},
                        content_type="application/json").json() == {"skill": skill_id}
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.get(f"/api/v1/slots/{slot.pk}/").json()["skill"] == skill_id
    assert viewer.get(f"/api/v1/pledges/{pledge.pk}/").json()["skill"] == skill_id
    assert viewer.get("/api/v1/skills/").json()["results"][0]["name"] == "Legal"
    assert viewer.post(f"/api/v1/slots/{slot.pk}/skill/", {"skill": None},
                       content_type="application/json").status_code in (403, 404)
    unknown = manager.post(f"/api/v1/slots/{slot.pk}/skill/", {"skill": 999999},
                           content_type="application/json")
    assert unknown.status_code == 400 and "skill" in unknown.json()["errors"]
    assert manager.post(f"/api/v1/slots/{slot.pk}/skill/", {"skill": None},
                        content_type="application/json").json() == {"skill": None}
    outsider = tenant_client(org_a, owner_b)
    assert outsider.get("/api/v1/skills/").status_code == 404
    assert outsider.post(f"/api/v1/pledges/{pledge.pk}/skill/", {"skill": None},
                         content_type="application/json").status_code == 404
    with tenant_context(org_a):
        assert Skill.objects.get().hourly_rate == Decimal("62")
