"""The stored forecast of each open campaign (tenant table)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class CampaignForecast(models.Model):
    """The latest forecast of an open campaign: ``lab.forecasts.services`` replaces it on
    each computation, and pages and the API read this row, never the model."""

    campaign = models.OneToOneField("engagement.Campaign", on_delete=models.CASCADE,
                                    related_name="forecast")
    # Chance (0 to 1) of reaching the target by the mobilisation deadline.
    probability = models.FloatField()
    # People expected at the deadline, with an 80 % interval.
    expected = models.FloatField()
    low = models.FloatField()
    high = models.FloatField()
    # The baselines shown in small print: the share of the target reached so far, and the
    # straight-line extrapolation of the count to the deadline.
    baseline_share = models.FloatField()
    linear = models.FloatField()
    references = models.PositiveIntegerField()
    at_risk = models.BooleanField(default=False)
    method = models.CharField(max_length=40)
    # When computed: the time fraction of the mobilisation window gone, the people
    # confirmed, the target, and the people confirmed at each time fraction of the grid
    # up to then (the chart's line).
    elapsed = models.FloatField()
    count = models.PositiveIntegerField()
    target = models.PositiveIntegerField()
    curve = ArrayField(models.FloatField(), default=list)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "lab"

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.probability:.2f}"
