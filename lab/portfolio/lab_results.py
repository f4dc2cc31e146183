"""The portfolio's figures that come from the lab's stored results: campaigns at risk (the
stored forecasts, ``lab.forecasts``), experiments running and concluded
(``lab.experiments``), and the benchmark success rate
(``methodology.evidence.benchmark``). Stored rows only: nothing is recomputed."""

from __future__ import annotations

from typing import Any

from engagement.models import Campaign, Programme
from methodology.evidence import benchmarks
from methodology.models import Template, TemplateVersion
from reports.metrics import DECIDED

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
        # Open campaigns with no stored forecast yet: not "not at risk", "not computed".
        (f"(SELECT count(*) FROM {Campaign._meta.db_table} c "  # noqa: S608
         f"WHERE c.status = %s AND NOT EXISTS (SELECT 1 FROM {forecast} f "
         "WHERE f.campaign_id = c.id))", [Campaign.Status.OPEN]),
        # The template of the client's finished campaigns when they all share one ("" =
        # several or none): the benchmark is then that template's.
        (f"(SELECT coalesce(CASE WHEN count(DISTINCT coalesce(t.slug, '')) = 1 "  # noqa: S608
         f"THEN max(t.slug) END, '') FROM {Campaign._meta.db_table} c "
         f"JOIN {Programme._meta.db_table} p ON p.id = c.programme_id "
         f"LEFT JOIN {TemplateVersion._meta.db_table} v ON v.id = p.template_version_id "
         f"LEFT JOIN {Template._meta.db_table} t ON t.id = v.template_id "
         "WHERE c.status = ANY(%s))", [list(DECIDED)]),
    ]


def read_row(state: Any, values: tuple) -> None:
    (state.at_risk, state.experiments_running, state.experiments_concluded,
     state.unforecast, state.benchmark_template) = values


def add_benchmarks(states: list[Any]) -> None:
    """The benchmark beside each client's own success rate (``methodology.evidence.
    benchmark``: the same function as the dashboard, the library and the template page):
    the template of the client's finished campaigns when they share one, else every
    template, for the client's kind of organisation. One query for all clients."""
    figures = benchmarks((state.benchmark_template, state.organisation.kind)
                         for state in states)
    for state in states:
        figure = figures[(state.benchmark_template, state.organisation.kind)]
        if figure["published"]:
            state.benchmark_rate = figure["success"]["rate"]
            state.benchmark_organisations = figure["organisations"]
            state.benchmark_label = figure["label"]
