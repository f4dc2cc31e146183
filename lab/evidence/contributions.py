"""Evidence across organisations, the organisation's side: its counts per cell, computed
in its own schema and written to the public schema (``methodology.EvidenceContribution``).

Only counts leave the schema, under an opaque key (an HMAC of the schema name keyed with
SECRET_KEY). A cell is (template, lever or channel, segment); "" is "all" in a dimension.

- Campaign outcomes per template (rows with neither lever nor channel, segment "all"):
  campaigns opened (not drafts), decided, reached (succeeded or completed), as
  ``reports.metrics`` counts them.
- The invitation funnel per template × lever and template × channel × segment, by
  engagement's one rule of a sent invitation (``INVITATION_SENT_SQL``, relaunches left out
  as in ``reports.levers``): an invitation converts when a live pledge was made through
  it, and attends when one was checked in; its person is whoever pledged first through it,
  else the participant it was e-mailed to (``reports.levers``'s rule).
- The segment is the person's age band when it is one of ``AGE_BANDS`` (the bands every
  organisation's forms offer), else "unknown"; so segments partition "all".
- Campaigns without a template count under ``NO_TEMPLATE`` (never shown), so that the
  templates partition the "all templates" total.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.tenancy import current_organisation
from engagement.models import Campaign, Invitation, Participant, Pledge, Programme, Slot
from engagement.selectors import INVITATION_SENT_SQL, NOT_RELAUNCH_SQL
from methodology.models import EvidenceContribution, Template, TemplateVersion
from reports.metrics import DECIDED, SUCCESSFUL

AGE_BANDS = ("18-25", "26-35", "36-50", "51-65", "65+")
UNKNOWN = "unknown"
ALL = "all"
NO_TEMPLATE = "_none"
# Size bands from the number of people the organisation knows (participants): upper
# bounds, the last one open. docs/decisions.md, issue 15 part 4.
SIZE_BANDS = (("small", 250), ("medium", 2500), ("large", None))

Key = tuple[str, str, str, str]  # template, lever, channel, segment


@dataclass
class Counts:
    campaigns: int = 0
    decided: int = 0
    reached: int = 0
    sent: int = 0
    pledged: int = 0
    attended: int = 0
    people: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def organisation_key(schema_name: str) -> str:
    """The opaque, stable key of an organisation in the evidence tables."""
    return hmac.new(settings.SECRET_KEY.encode(), f"evidence:{schema_name}".encode(),
                    hashlib.sha256).hexdigest()


def size_band(people: int) -> str:
    for name, upper in SIZE_BANDS:
        if upper is None or people < upper:
            return name
    raise AssertionError("the last band is open")


def _tables() -> dict[str, str]:
    return {"campaign": Campaign._meta.db_table, "programme": Programme._meta.db_table,
            "version": TemplateVersion._meta.db_table, "template": Template._meta.db_table,
            "invitation": Invitation._meta.db_table, "pledge": Pledge._meta.db_table,
            "participant": Participant._meta.db_table, "slot": Slot._meta.db_table}


def _campaign_template_sql(t: dict[str, str]) -> str:
    return f"""SELECT c.id AS campaign_id, COALESCE(tp.slug, '{NO_TEMPLATE}') AS tpl, c.status
        FROM {t['campaign']} c
        JOIN {t['programme']} pr ON pr.id = c.programme_id
        LEFT JOIN {t['version']} v ON v.id = pr.template_version_id
        LEFT JOIN {t['template']} tp ON tp.id = v.template_id
        WHERE c.status <> 'draft'"""  # noqa: S608 - table names and constants only


def contributions_compute() -> dict[Key, Counts]:
    """The current schema's counts per cell (two aggregate queries)."""
    t = _tables()
    bands = ", ".join(f"'{band}'" for band in AGE_BANDS)
    cells: dict[Key, Counts] = defaultdict(Counts)
    decided = ", ".join(f"'{status}'" for status in DECIDED)
    successful = ", ".join(f"'{status}'" for status in SUCCESSFUL)
    outcomes_sql = f"""
    WITH ct AS ({_campaign_template_sql(t)}),
    mobilised AS (
        SELECT DISTINCT ct.tpl, l.participant_id FROM {t['pledge']} l
        JOIN {t['slot']} s ON s.id = l.slot_id JOIN ct ON ct.campaign_id = s.campaign_id
        WHERE l.status = 'confirmed'
    ),
    people AS (
        SELECT tpl, COUNT(*) AS n FROM mobilised GROUP BY tpl
        UNION ALL SELECT '', COUNT(DISTINCT participant_id) FROM mobilised
    ),
    outcomes AS (
        SELECT COALESCE(tpl, '') AS tpl, COUNT(*) AS campaigns,
               COUNT(*) FILTER (WHERE status IN ({decided})) AS decided,
               COUNT(*) FILTER (WHERE status IN ({successful})) AS reached
        FROM ct GROUP BY GROUPING SETS ((tpl), ())
    )
    SELECT o.tpl, o.campaigns, o.decided, o.reached, COALESCE(p.n, 0)
    FROM outcomes o LEFT JOIN people p ON p.tpl = o.tpl
    """  # noqa: S608 - table names and constants only
    funnel_sql = f"""
    WITH ct AS ({_campaign_template_sql(t)}),
    sent AS (
        SELECT i.id, i.lever_code, i.channel, ct.tpl, i.invitee_email
        FROM {t['invitation']} i JOIN ct ON ct.campaign_id = i.campaign_id
        WHERE {INVITATION_SENT_SQL} AND {NOT_RELAUNCH_SQL}
    ),
    outcomes AS (
        SELECT l.invitation_id,
               (ARRAY_AGG(l.participant_id ORDER BY l.created_at, l.id))[1] AS first_person,
               BOOL_OR(l.status <> 'cancelled') AS pledged,
               BOOL_OR(l.attendance = 'attended') AS attended
        FROM {t['pledge']} l WHERE l.invitation_id IN (SELECT id FROM sent)
        GROUP BY l.invitation_id
    ),
    reached AS (
        SELECT s.tpl, s.lever_code, s.channel,
               COALESCE(o.first_person, invitee.id) AS person_id,
               COALESCE(o.pledged, FALSE) AS pledged, COALESCE(o.attended, FALSE) AS attended
        FROM sent s LEFT JOIN outcomes o ON o.invitation_id = s.id
        LEFT JOIN {t['participant']} invitee
               ON s.invitee_email <> '' AND LOWER(invitee.email) = LOWER(s.invitee_email)
    ),
    segmented AS (
        SELECT r.*, CASE WHEN p.age_band IN ({bands}) THEN p.age_band
                         ELSE '{UNKNOWN}' END AS segment
        FROM reached r LEFT JOIN {t['participant']} p ON p.id = r.person_id
    )
    SELECT GROUPING(tpl) = 1, tpl, GROUPING(lever_code) = 1, lever_code,
           GROUPING(channel) = 1, channel, GROUPING(segment) = 1, segment,
           COUNT(DISTINCT person_id), COUNT(*), COUNT(*) FILTER (WHERE pledged),
           COUNT(*) FILTER (WHERE attended)
    FROM segmented
    GROUP BY GROUPING SETS (
        (tpl, lever_code, segment), (tpl, channel, segment), (tpl, segment),
        (lever_code, segment), (channel, segment), (segment),
        (tpl, lever_code), (tpl, channel), (tpl), (lever_code), (channel), ())
    """  # noqa: S608 - table names, constants and engagement's SQL rules only
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(outcomes_sql)
        for tpl, campaigns, decided_n, reached, people in cursor.fetchall():
            cell = cells[(tpl, "", "", ALL)]
            cell.campaigns, cell.decided, cell.reached = campaigns, decided_n, reached
            cell.extra["mobilised"] = people
        cursor.execute(funnel_sql)
        for (all_tpl, tpl, all_lever, lever, all_channel, channel, all_segment, segment,
             people, sent, pledged, attended) in cursor.fetchall():
            key = ("" if all_tpl else tpl, "" if all_lever else lever,
                   "" if all_channel else channel, ALL if all_segment else segment)
            cell = cells[key]
            cell.sent, cell.pledged, cell.attended = sent, pledged, attended
            cell.people = people
    for cell in cells.values():
        # The total row's people: those reached by invitations or mobilised, whichever
        # is larger (a person is counted once in each; the larger is the safer floor).
        cell.people = max(cell.people, cell.extra.pop("mobilised", 0))
    return dict(cells)


def contributions_replace(*, key: str, kind: str, band: str,
                          cells: dict[Key, Counts]) -> int:
    """Replace an organisation's contribution rows in one transaction."""
    now = timezone.now()
    rows = [EvidenceContribution(
        organisation_key=key, template=tpl, lever=lever, channel=channel, segment=segment,
        kind=kind, size_band=band, campaigns=c.campaigns, decided=c.decided,
        reached=c.reached, sent=c.sent, pledged=c.pledged, attended=c.attended,
        people=c.people, computed_at=now)
        for (tpl, lever, channel, segment), c in cells.items()]
    with transaction.atomic():
        EvidenceContribution.objects.filter(organisation_key=key, is_demo=False).delete()
        EvidenceContribution.objects.bulk_create(rows)
    return len(rows)


def organisation_contribute() -> int:
    """The current organisation (its schema is active) writes its contribution rows."""
    organisation = current_organisation()
    band = size_band(Participant.objects.filter(erased_at__isnull=True).count())
    return contributions_replace(key=organisation_key(organisation.schema_name),
                                 kind=organisation.kind, band=band,
                                 cells=contributions_compute())
