"""The portfolio's figures that come from the lab's stored results: campaigns at risk (the
stored forecasts, ``lab.forecasts``), experiments running and concluded
(``lab.experiments``), and the benchmark success rate (the evidence cells published across
organisations, ``methodology.EvidenceCell``). Stored rows only: nothing is recomputed."""

from __future__ import annotations

from typing import Any

from engagement.models import Campaign
from methodology.models import EvidenceCell

from ..models import CampaignForecast, Experiment


def schema_parts() -> list[tuple[str, list]]:
    """Sub-selects for the client's schema statement (``portfolio._read_schema``)."""
    forecast, experiment = CampaignForecast._meta.db_table, Experiment._meta.db_table
    return [
        # A forecast row is kept per campaign; only open campaigns can be at risk.
        (f"(SELECT count(*) FROM {forecast} f "  # noqa: S608
         f"JOIN {Campaign._meta.db_table} c ON c.id = f.campaign_id "
         "WHERE f.at_risk AND c.status = %s)", [Campaign.Status.OPEN]),
        (f"(SELECT count(*) FROM {experiment} WHERE status = %s)",  # noqa: S608
         [Experiment.Status.RUNNING]),
        (f"(SELECT count(*) FROM {experiment} WHERE status = %s)",  # noqa: S608
         [Experiment.Status.CONCLUDED]),
    ]


def read_row(state: Any, values: tuple) -> None:
    state.at_risk, state.experiments_running, state.experiments_concluded = values


def add_benchmarks(states: list[Any]) -> None:
    """The benchmark beside each client's own success rate: the published evidence cell of
    every template, lever and channel for the client's kind of organisation (all sizes),
    or for all organisations when that cell is not published. One query for all clients."""
    kinds = {state.organisation.kind for state in states}
    cells = {cell.kind: cell for cell in EvidenceCell.objects.filter(
        template="", lever="", channel="", size_band="", segment="all", published=True,
        success_rate__isnull=False, kind__in=[*kinds, ""])}
    for state in states:
        cell = cells.get(state.organisation.kind) or cells.get("")
        if cell is not None:
            state.benchmark_rate = cell.success_rate
            state.benchmark_organisations = cell.organisations
