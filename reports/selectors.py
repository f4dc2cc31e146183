"""Reads of reports and their commentary, shared by the pages, the PDF and the services."""

from __future__ import annotations

from datetime import date

from django.db import connection

from core.roles import Role
from engagement.models import Campaign, Programme
from tenants.access import resolve_access
from tenants.models import User

from .models import Commentary, Report

# Reports are final once ready or failed: nothing changes them any more.
FINAL = (Report.Status.READY, Report.Status.FAILED)


def subject_key_for(*, scope: str, campaign: Campaign | None = None,
                    programme: Programme | None = None, period_start: date | None = None,
                    period_end: date | None = None) -> str:
    """The key commentary is filed under, so that every report on one subject (and every
    re-render of it) shows the same commentary."""
    # The report's CHECK constraint holds: the scope's subject is given.
    if scope == Report.Scope.CAMPAIGN:
        assert campaign is not None
        return f"campaign:{campaign.pk}"
    if scope == Report.Scope.PROGRAMME:
        assert programme is not None
        return f"programme:{programme.pk}"
    assert period_start is not None and period_end is not None
    return f"period:{period_start.isoformat()}:{period_end.isoformat()}"


def report_subject_key(report: Report) -> str:
    return subject_key_for(scope=report.scope, campaign=report.campaign,
                           programme=report.programme, period_start=report.period_start,
                           period_end=report.period_end)


def reports_latest(limit: int = 50) -> list[Report]:
    """The latest reports requested, newest first, each with its ``subject_key``."""
    reports = list(Report.objects.select_related("campaign", "programme")[:limit])
    for report in reports:
        report.subject_key = report_subject_key(report)
    return reports


def commentary_texts(subject_key: str) -> dict[str, str]:
    """The commentary on one subject: its text by section."""
    return {c.section: c.text for c in Commentary.objects.filter(subject_key=subject_key)}


def commentary_by_section(subject_key: str) -> dict[str, Commentary]:
    """The commentary on one subject, by section (each with its text in both languages)."""
    return {c.section: c for c in Commentary.objects.filter(subject_key=subject_key)}


def commentary_sections(report: Report) -> list[Commentary]:
    """The commentary a report prints, in the order of its sections."""
    order = list(Commentary.Section.values)
    return sorted(Commentary.objects.filter(subject_key=report_subject_key(report)),
                  key=lambda c: order.index(c.section))


def may_write_commentary(user: User) -> bool:
    """Commentary is the accompanying consultant's work; the owner may write it too (an
    organisation without a consultant, or correcting one)."""
    access = resolve_access(user, connection.tenant)  # type: ignore[attr-defined]
    return access is not None and (access.via_consultant or access.role == Role.OWNER)
