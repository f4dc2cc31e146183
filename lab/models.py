"""The lab's tenant tables, one module per part of the lab beside its code; each part
adds its import here so that Django (and its migrations) find its models."""

from .experiments.models import Assignment, Experiment, ExperimentLook, Variant
from .forecasts.models import CampaignForecast

__all__ = ["Assignment", "CampaignForecast", "Experiment", "ExperimentLook", "Variant"]
