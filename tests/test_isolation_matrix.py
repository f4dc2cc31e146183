"""Cross-organisation isolation, generated from the URLconfs: no row to add for a new route.

Every route of ``config.urls_tenant`` and ``config.urls_public``, with every method its view
accepts, is requested by every identity that is a stranger to the data behind it: the
owner, a manager and a viewer of the other organisation (with a session, and with an API
token on API routes), and an anonymous visitor; in both directions (A's people on B's host,
B's people on A's host). Path parameters are filled with the host organisation's real
objects (a programme id is one of its programmes, a campaign code one of its campaigns), so
a refusal comes from isolation, not from a missing object.

The rules (those of tests/tenants/test_isolation.py, applied to every route):
- nobody ever gets a server error;
- on a tenant host, a logged-in outsider gets 404 on every route outside the open prefixes
  (``tenants.middleware.OPEN_PREFIXES``); an anonymous visitor is sent to the login page;
- on the API, views guarded by ``IsOrganisationMember`` answer 404 to outsiders (session or
  token) and 401/403 to anonymous clients;
- open routes (log-in pages, campaign pages reached by their code, signed links, the public
  API, the schema) give an outsider what they give an anonymous visitor: the same status (or
  a redirect, as the log-in page gives anyone logged in), and no text of the organisation's
  private records that the visitor does not see;
- no response to an outsider, anywhere, carries the other organisation's private records
  (names and e-mails of participants, programme names, notes, report titles), nor, on the
  public site, another organisation's name.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tenants.utils import tenant_context
from rest_framework.authtoken.models import Token

from core.roles import Role
from engagement.models import (
    Campaign,
    ImpactRecord,
    Invitation,
    ProgrammeIndicator,
    ProgrammeStep,
)
from methodology.models import Template
from reports.models import Report
from tenants.middleware import OPEN_PREFIXES
from tenants.permissions import IsOrganisationMember

from .conftest import host_of, make_member
from .factories import (
    CampaignFactory,
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
)

WRITE_METHODS = ("post", "put", "patch", "delete")
API_METHODS = ("get", *WRITE_METHODS)


@dataclass(frozen=True)
class Route:
    pattern: str  # as written in the URLconf, for messages
    path: str  # with its parameters filled
    methods: tuple[str, ...]
    is_api: bool
    member_guarded: bool  # the API's IsOrganisationMember decides


# ---- routes, from the URLconf -----------------------------------------------------------

def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + _pattern_text(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + _pattern_text(entry.pattern), entry.callback


def _pattern_text(pattern) -> str:
    text = str(pattern)
    if hasattr(pattern, "regex") and not hasattr(pattern, "converters"):
        text = text.removeprefix("^").removesuffix("$")
    return text


def _view_class(callback):
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: exactly the methods it maps
        return tuple(m for m in API_METHODS if m in actions)
    view_class = _view_class(callback)
    if view_class is not None:
        return tuple(m for m in API_METHODS if hasattr(view_class, m))
    # A function view does not say which methods it takes: try reading and writing.
    return ("get", "post")


def _member_guarded(callback) -> bool:
    view_class = getattr(callback, "cls", None)
    if view_class is None:
        return False
    return any(issubclass(p, IsOrganisationMember) for p in view_class.permission_classes)


PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def routes(urlconf: str, values) -> list[Route]:
    found = []
    for pattern, callback in _walk(get_resolver(urlconf).url_patterns):
        if "(?P<format>" in pattern:
            continue  # the router's ".json" twin of a route already listed
        segments = []

        def fill(match, pattern=pattern, segments=segments):
            name = match.group("name") or match.group("rname")
            before = pattern[:match.start()].rstrip("/").split("/")
            noun = before[-1] if before and before[-1] else ""
            segments.append(name)
            return str(values(pattern, name, noun))

        path = "/" + PARAM.sub(fill, pattern).replace("\\.", ".").replace("/?", "/")
        path = path.replace("^", "").replace("$", "")
        view_class = getattr(callback, "cls", None)
        found.append(Route(pattern=pattern, path=path, methods=_methods(callback),
                           is_api=view_class is not None,
                           member_guarded=_member_guarded(callback)))
    return found


# ---- each organisation's private records ----------------------------------------------

def secret(organisation) -> str:
    return f"secret-{organisation.slug}-record"


def make_records(organisation, manager) -> dict:
    """One of everything an organisation keeps, each private text carrying its marker."""
    mark = secret(organisation)
    with tenant_context(organisation):
        programme = ProgrammeFactory(name=f"Programme {mark}")
        step = ProgrammeStep.objects.create(
            programme=programme, key="brief", phase_code="frame", phase_title_fr="P",
            phase_title_en="P", position=1, title_fr=mark, title_en=mark,
            owner_role="programme_lead", due_offset_days=-10, due_at=timezone.now())
        indicator = ProgrammeIndicator.objects.create(
            programme=programme, code="waste_kg", position=1, unit="kg", label_fr="Déchets",
            label_en="Waste", sdg=12)
        start = timezone.now() + timedelta(days=10)
        campaign = CampaignFactory(
            programme=programme, title="Open beach day", place="Plage", starts_at=start,
            mobilisation_deadline=start - timedelta(days=2),
            visibility=Campaign.Visibility.PUBLIC)
        slot = SlotFactory(campaign=campaign, capacity=10)
        participant = ParticipantFactory(
            email=f"{mark}@people.test", first_name=mark, last_name=mark)
        invitation = Invitation.objects.create(
            campaign=campaign, organiser=manager, channel="email", lever_code="social_proof",
            invitee_email=f"{mark}-invitee@people.test", audience_label=mark)
        pledge = PledgeFactory(slot=slot, participant=participant, companion_names=mark)
        impact = ImpactRecord.objects.create(campaign=campaign, indicator=indicator, value=12,
                                             note=mark, recorded_by=manager)
        report = Report.objects.create(scope=Report.Scope.CAMPAIGN, campaign=campaign,
                                       title=f"Report {mark}")
    return {"programme": programme.pk, "step": step.pk, "campaign": campaign.pk,
            "code": campaign.code, "secret": campaign.checkin_secret, "slot": slot.pk,
            "participant": participant.pk, "invitation": invitation.pk, "pledge": pledge.pk,
            "impact": impact.pk, "report": report.pk, "indicator": indicator.pk}


# Which record a path parameter names, from its name or from the word before it.
NOUNS = {
    "programmes": "programme", "programme": "programme", "steps": "step", "step": "step",
    "campaigns": "campaign", "campaign": "campaign", "slots": "slot", "slot": "slot",
    "participants": "participant", "participant": "participant", "pledges": "pledge",
    "pledge": "pledge", "campaign-invitations": "invitation", "impact-records": "impact",
    "reports": "report", "report": "report", "indicators": "indicator",
}


def tenant_values(records: dict, organisation):
    template_slug = Template.objects.order_by("slug").values_list("slug", flat=True).first()

    def value(pattern: str, name: str, noun: str):
        if name in ("pk", "id"):
            return records.get(NOUNS.get(noun, ""), 1)
        if name.endswith(("_pk", "_id")):
            return records.get(NOUNS.get(name[:-3], ""), 1)
        if name == "code":
            return records["code"]
        if name == "secret":
            return records["secret"]
        if name == "slug":
            return template_slug
        if name == "schema_name":
            return organisation.schema_name
        if name == "path":
            return "logos/logo.png"
        if name == "scope":
            return "campaign"
        if name == "key":
            return records["campaign"]
        if name == "moment":
            return "after"
        return "not-a-token" if name in ("token", "uidb64") else 1
    return value


# ---- identities -------------------------------------------------------------------------

@dataclass
class Identity:
    label: str
    user: object | None
    token: str | None = None
    clients: dict = field(default_factory=dict)

    def client(self, host: str, *, use_token: bool) -> Client:
        """One client per host and way of authenticating, logged in again when a route (the
        log-out) ended its session."""
        key = (host, use_token)
        client = self.clients.get(key)
        if client is None:
            if use_token:
                client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {self.token}",
                                raise_request_exception=False)
            else:
                client = Client(HTTP_HOST=host, raise_request_exception=False)
            self.clients[key] = client
        if self.user is not None and not use_token:
            cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
            if cookie is None or not cookie.value:
                client.force_login(self.user)
        elif self.user is None:
            client.cookies.clear()  # an anonymous visitor stays one
        return client


def people_of(organisation) -> list[Identity]:
    from tenants.models import User

    people = [Identity(f"owner of {organisation.slug}",
                       User.objects.get(email=f"owner@{organisation.slug}.test")),
              Identity(f"manager of {organisation.slug}", make_member(organisation, Role.MANAGER)),
              Identity(f"viewer of {organisation.slug}", make_member(organisation, Role.VIEWER))]
    for identity in people:
        identity.token = Token.objects.get_or_create(user=identity.user)[0].key
    return people


def request(client: Client, method: str, path: str):
    kwargs = {"content_type": "application/json", "data": "{}"} if method != "get" else {}
    return getattr(client, method)(path, **kwargs)


# ---- the matrix -------------------------------------------------------------------------

@pytest.fixture
def both(org_a, org_b):
    people = {org_a.slug: people_of(org_a), org_b.slug: people_of(org_b)}
    records = {org.slug: make_records(org, people[org.slug][1].user) for org in (org_a, org_b)}
    return people, records


def _is_open(path: str) -> bool:
    return path.startswith(OPEN_PREFIXES)


@pytest.mark.django_db
def test_no_tenant_route_serves_one_organisation_to_another(org_a, org_b, both):
    people, records = both
    violations: list[str] = []
    requests = 0
    identities = set()
    route_count = 0
    for host_org, outsider_org in ((org_b, org_a), (org_a, org_b)):
        host = host_of(host_org)
        mark = secret(host_org)
        table = routes("config.urls_tenant", tenant_values(records[host_org.slug], host_org))
        route_count = len(table)
        anonymous = Identity("anonymous", None)
        for route in table:
            for method in route.methods:
                anon = request(anonymous.client(host, use_token=False), method, route.path)
                requests += 1
                identities.add("anonymous")
                anon_body = anon.content.decode(errors="replace")
                where = f"{method.upper()} {route.path} ({route.pattern}) on {host_org.slug}"
                if anon.status_code >= 500:
                    violations.append(f"{where}: anonymous got {anon.status_code}")
                if route.member_guarded and anon.status_code not in (401, 403, 404, 429):
                    violations.append(f"{where}: anonymous API client got {anon.status_code}")
                if not route.is_api and not _is_open(route.path) and anon.status_code != 302:
                    violations.append(f"{where}: anonymous visitor got {anon.status_code}, "
                                      "not the login page")
                for person in people[outsider_org.slug]:
                    for use_token in ((False, True) if route.is_api else (False,)):
                        label = f"{person.label} ({'token' if use_token else 'session'})"
                        identities.add(label.replace(outsider_org.slug, "the other"))
                        response = request(person.client(host, use_token=use_token), method,
                                           route.path)
                        requests += 1
                        status = response.status_code
                        body = response.content.decode(errors="replace")
                        if status >= 500:
                            violations.append(f"{where}: {label} got {status}")
                        elif route.member_guarded or not _is_open(route.path):
                            if status not in (404, 429):
                                violations.append(f"{where}: {label} got {status}, not 404")
                        elif status not in (anon.status_code, 301, 302, 303, 429):
                            # A logged-in person may be sent elsewhere (the log-in page sends
                            # them on); a redirect carries nothing of the organisation.
                            violations.append(f"{where}: {label} got {status}, an anonymous "
                                              f"visitor {anon.status_code}")
                        if mark in body and mark not in anon_body:
                            violations.append(f"{where}: {label} read {mark}")
    sys.stdout.write(f"\ntenant matrix: {route_count} routes x {len(identities)} identities "
                     f"x 2 directions, {requests} requests\n")
    assert not violations, "\n".join(violations)


@pytest.mark.django_db
def test_no_public_route_shows_one_organisation_to_another(org_a, org_b, both):
    people, _records = both
    violations: list[str] = []
    requests = 0
    host = settings.BASE_DOMAIN

    for member_org, other_org in ((org_a, org_b), (org_b, org_a)):
        template_slug = Template.objects.order_by("slug").values_list("slug", flat=True).first()

        def value(pattern, name, noun, other_org=other_org, template_slug=template_slug):
            if name == "slug":
                return other_org.slug if pattern.startswith("accounts/spaces/") else template_slug
            if name in ("token", "uidb64"):
                return "not-a-token"
            return other_org.pk if name in ("object_id",) else 1

        table = routes("config.urls_public", value)
        for route in table:
            if route.pattern.startswith("admin/") and "<path:object_id>" in route.pattern:
                continue  # the admin is for staff only; its list pages are enough to prove it
            # The admin answers non-staff the same way whatever the method: reading suffices.
            methods = ("get",) if route.pattern.startswith("admin/") else route.methods
            for method in methods:
                for person in [*people[member_org.slug], Identity("anonymous", None)]:
                    for use_token in ((False, True) if route.is_api and person.user else (False,)):
                        response = request(person.client(host, use_token=use_token), method,
                                           route.path)
                        requests += 1
                        where = f"{method.upper()} {route.path} for {person.label}"
                        if response.status_code >= 500:
                            violations.append(f"{where}: {response.status_code}")
                        body = response.content.decode(errors="replace")
                        if other_org.name in body or secret(other_org) in body:
                            violations.append(f"{where}: shows {other_org.name}")
                        if route.pattern.startswith("accounts/spaces/") and person.user and \
                                method == "get" and response.status_code != 404:
                            violations.append(f"{where}: {response.status_code}, not 404")
    sys.stdout.write(f"\npublic matrix: {len(table)} routes, {requests} requests\n")
    assert not violations, "\n".join(violations)
