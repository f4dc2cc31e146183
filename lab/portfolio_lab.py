"""The portfolio's figures that come from the lab's stored results: campaigns at risk (the
stored forecasts), experiments running and concluded, and the benchmark success rate
(the evidence across organisations in the public schema). A part whose model is not
there yields no figure (shown as "not available"), never a made-up one."""

from __future__ import annotations

from typing import Any

from django.apps import apps


def _model(app: str, name: str) -> Any:
    try:
        return apps.get_model(app, name)
    except LookupError:
        return None


def schema_parts() -> list[tuple[str, list]]:
    """Sub-selects for the client's schema statement (``portfolio._read_schema``)."""
    parts: list[tuple[str, list]] = []
    forecast = _model("lab", "CampaignForecast")
    if forecast is not None:
        from engagement.models import Campaign

        parts.append((f"(SELECT count(DISTINCT f.campaign_id) FROM {forecast._meta.db_table} f "  # noqa: S608
                      f"JOIN {Campaign._meta.db_table} c ON c.id = f.campaign_id "
                      "WHERE f.at_risk AND c.status = %s)",
                      [Campaign.Status.OPEN]))
    experiment = _model("lab", "Experiment")
    if experiment is not None:
        parts.append((f"(SELECT count(*) FROM {experiment._meta.db_table} WHERE status = %s)",  # noqa: S608
                      [experiment.Status.RUNNING]))
        parts.append((f"(SELECT count(*) FROM {experiment._meta.db_table} WHERE status = %s)",  # noqa: S608
                      [experiment.Status.CONCLUDED]))
    return parts


def read_row(state: Any, values: tuple) -> None:
    values = list(values)
    if _model("lab", "CampaignForecast") is not None:
        state.at_risk = values.pop(0)
    if _model("lab", "Experiment") is not None:
        state.experiments_running = values.pop(0)
        state.experiments_concluded = values.pop(0)


def add_benchmarks(states: list[Any]) -> None:
    """The benchmark success rate beside each client's own (the evidence cells)."""
    if _model("methodology", "EvidenceCell") is None:
        return
