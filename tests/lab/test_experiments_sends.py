"""An experiment's sends are invitations like any other: the campaign's funnel by lever and
channel (the campaign page, the reports, the PDF) counts each variant's wave under its
variant's lever and channel, the holdout nowhere; the demo's experiments too (the
concluded one is written as a past wave, not through a launch)."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Count
from django.utils import timezone
from django_tenants.utils import tenant_context

from demo import experiments as demo
from engagement.models import Campaign, Channel, Pledge, Team
from engagement.selectors import funnel_counts
from lab.experiments.models import Experiment
from lab.experiments.services import ExperimentSpec, VariantSpec, experiment_launch, experiment_save

from ..factories import ParticipantFactory, make_campaign


def _sent_by_lever_and_channel(campaign: Campaign) -> dict[tuple[str, str], int]:
    return {(row["lever_code"], row["channel"]): row["sent"]
            for row in funnel_counts(campaign.invitations.all())}


def _assigned_by_lever_and_channel(experiment: Experiment) -> Counter:
    return Counter({(row["variant__lever_code"], row["variant__channel"]): row["n"]
                    for row in experiment.assignments.filter(variant__is_holdout=False)
                    .values("variant__lever_code", "variant__channel").annotate(n=Count("pk"))})


@pytest.fixture
def people(org_a):
    with tenant_context(org_a):
        teams = [Team.objects.create(name=f"Team {i}") for i in range(4)]
        yield [ParticipantFactory(team=teams[i % 4], consent_to_contact=True)
               for i in range(300)]


def test_a_launched_experiment_is_counted_by_its_variants_lever_and_channel(
        org_a, manager_a, eager, people):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=500, target=50)
        experiment = experiment_save(campaign=campaign, user=manager_a, spec=ExperimentSpec(
            title="Manager", hypothesis="H", holdout_share=Decimal("0.1"), variants=[
                VariantSpec(name="Usual", lever_code="social_proof", channel=Channel.EMAIL),
                VariantSpec(name="Manager", lever_code="leader_example",
                            channel=Channel.MANAGER)]))
        experiment_launch(experiment=experiment, user=manager_a)
        sent = _sent_by_lever_and_channel(campaign)
        assert sent == dict(_assigned_by_lever_and_channel(experiment))
        assert ("leader_example", Channel.MANAGER) in sent
        holdout = experiment.assignments.filter(variant__is_holdout=True).count()
        assert holdout > 0
        assert sum(sent.values()) == experiment.assignments.count() - holdout


def test_the_demos_concluded_experiment_sent_its_wave_and_found_a_clear_result(
        org_a, manager_a, eager, people):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=500, target=50, status=Campaign.Status.SUCCEEDED,
                                 starts_in=timedelta(days=-3), deadline_in=timedelta(days=-4))
        demo._concluded(manager_a)
        experiment = Experiment.objects.get(title=demo.CONCLUDED)
        assert experiment.campaign == campaign
        assert experiment.assignments.filter(variant__is_holdout=False,
                                             invitation__isnull=True).count() == 0
        assert _sent_by_lever_and_channel(campaign) == dict(
            _assigned_by_lever_and_channel(experiment))
        after = Pledge.objects.filter(slot__campaign=campaign,
                                      created_at__gte=experiment.launched_at)
        assert after.exists()
        assert not after.filter(created_at__gt=timezone.now()).exists()
        # The manager's word: about 42 % against 20 % (a sampling draw: over 5 points).
        [comparison] = experiment.looks.get().analysis["comparisons"]
        assert comparison["sequential"]["absolute"] > 0.05
