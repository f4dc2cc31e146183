"""Figures read from the tallies the triggers keep (``CampaignTally``, ``PersonTally``,
migration ``reports/0009``) instead of from every pledge: one query over a few rows per
campaign and per person, whatever the number of pledges.

They cover the additive figures (pledges by status, seats, hours pledged and given,
attended and no-show pledges) and the distinct people of a scope, which equal
``reports.metrics``' ``participants.mobilised`` and ``hours`` (a test compares them).
The figures that depend on the time of reading (attendance counts an action once it is
over), on order (returning people, the referral forest) or on a maximum (a party's size)
are still computed by ``reports.metrics``; see docs/decisions.md, "Issue 16: maintained
figures"."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from engagement.models import Campaign, Programme

from .analytic import subquery_sql
from .models import CampaignTally, PersonTally, ProgrammeTally

TALLY_KEYS = ("campaigns", "mobilised", "pledges_confirmed", "pledges_waitlisted",
              "pledges_awaiting", "pledges_offered", "pledges_cancelled", "seats_confirmed",
              "attended", "no_show", "pledged_hours", "attended_hours", "data_version")


def scope_tallies(campaigns: QuerySet[Campaign], programme: Programme | None = None) -> dict:
    """The tallied figures of ``campaigns`` together; a person in several of them counts
    once in ``mobilised``: for a ``programme`` (all its campaigns) its ``ProgrammeTally``,
    else a count of the distinct people of their ``PersonTally`` rows."""
    scope_sql, scope_params = subquery_sql(campaigns.values("pk"))
    campaign_tally, person_tally = CampaignTally._meta.db_table, PersonTally._meta.db_table
    if programme is not None:
        people_sql = ("(SELECT COALESCE(MAX(people), 0) "  # noqa: S608 - a table name
                      f"FROM {ProgrammeTally._meta.db_table} WHERE programme_id = %s)")
        people_params: tuple = (programme.pk,)
    else:
        people_sql = ("(SELECT COUNT(DISTINCT participant_id) "  # noqa: S608 - a table name
                      f"FROM {person_tally} WHERE campaign_id IN (SELECT * FROM scope) "
                      "AND pledges_confirmed > 0)")
        people_params = ()
    sql = f"""
    WITH scope AS MATERIALIZED ({scope_sql})
    SELECT COUNT(*), {people_sql},
           COALESCE(SUM(pledges_confirmed), 0), COALESCE(SUM(pledges_waitlisted), 0),
           COALESCE(SUM(pledges_awaiting), 0), COALESCE(SUM(pledges_offered), 0),
           COALESCE(SUM(pledges_cancelled), 0), COALESCE(SUM(seats_confirmed), 0),
           COALESCE(SUM(attended), 0), COALESCE(SUM(no_show), 0),
           ROUND(COALESCE(SUM(pledged_seconds), 0) / 3600.0, 2),
           COALESCE(SUM(attended_hours), 0), COALESCE(SUM(data_version), 0)
    FROM {campaign_tally} WHERE campaign_id IN (SELECT * FROM scope)
    """  # noqa: S608 - table names and the ORM's own SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, (*scope_params, *people_params))
        row = cursor.fetchone()
    figures = dict(zip(TALLY_KEYS, row, strict=True))
    figures["pledged_hours"] = float(figures["pledged_hours"])
    figures["attended_hours"] = float(figures["attended_hours"])
    return figures


def programme_tallies(programme: Programme) -> dict:
    """``scope_tallies`` of a programme's campaigns, its distinct people read from its
    ``ProgrammeTally`` (one row) instead of counted over its people's rows."""
    return scope_tallies(Campaign.objects.filter(programme=programme), programme=programme)
