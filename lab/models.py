"""The lab's tenant tables, one module per part of the lab beside its code; each part
adds its import here so that Django (and its migrations) find its models."""

from .experiments.models import Assignment, Experiment, ExperimentLook, Variant

__all__ = ["Assignment", "Experiment", "ExperimentLook", "Variant"]
