"""Report rendering in workers, and the periodic safety net for reports left behind."""

from celery import shared_task
from django.utils import timezone

from core.tenancy import for_each_ready_organisation

from . import figures, services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_report(report_id: int) -> str | None:
    """Render one report in the schema it was requested from. The message is acknowledged
    only once the PDF is stored: a worker that dies meanwhile leaves it to the broker,
    which hands it to another worker (and ``reports_requeue_stuck`` covers a lost one)."""
    report = services.report_render(report_id=report_id)
    return report.status if report is not None else None


@shared_task
def requeue_stuck_reports_for_all_organisations() -> int:
    """Beat entry point (public schema): one safety-net run per ready organisation, queued
    inside its context so tenant-schemas-celery stamps its schema on the message."""
    return for_each_ready_organisation(requeue_stuck_reports)


@shared_task
def requeue_stuck_reports() -> dict[str, int]:
    return services.reports_requeue_stuck(now=timezone.now())


@shared_task
def refresh_figures(key: str) -> bool:
    """Compute a subject's figures for the dashboards that showed outdated ones."""
    return figures.figures_refresh(key=key)


@shared_task
def refresh_outdated_figures_for_all_organisations() -> int:
    """Beat entry point (public schema): one pass per ready organisation, queued inside
    its context so that it runs in its schema."""
    return for_each_ready_organisation(refresh_outdated_figures)


@shared_task
def refresh_outdated_figures() -> int:
    return figures.figures_refresh_outdated(now=timezone.now())
