"""The nightly evidence pass (beat: ``lab-evidence-nightly``): every ready organisation
writes its counts from its own schema, organisations no longer ready are removed, then
the published cells are rebuilt with suppression. Thin: the work is in
``lab.evidence.contributions`` and ``lab.evidence.publication``."""

from __future__ import annotations

from celery import shared_task
from django_tenants.utils import schema_context, tenant_context

from methodology.models import EvidenceContribution
from tenants.models import Organisation

from .contributions import organisation_contribute, organisation_key
from .publication import evidence_publish


@shared_task(name="lab.evidence.tasks.publish_evidence_nightly")
def publish_evidence_nightly() -> dict[str, int]:
    keys = []
    for organisation in Organisation.objects.ready().order_by("pk"):
        with tenant_context(organisation):
            organisation_contribute()
        keys.append(organisation_key(organisation.schema_name))
    with schema_context("public"):
        # An organisation closed or gone takes its counts with it.
        EvidenceContribution.objects.filter(is_demo=False).exclude(
            organisation_key__in=keys).delete()
        return evidence_publish()
