"""The option, plan and limit codes the code compares are the catalogue's, checked when
the project starts."""

import copy
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from billing import catalogue
from billing.codes import Option, codes_check
from billing.entitlements import entitlements_for
from tenants.models import Organisation


def test_the_shipped_catalogue_and_the_codes_agree():
    codes_check(catalogue.catalogue_data())
    assert set(catalogue.options()) == {option.value for option in Option}


def test_start_up_refuses_a_catalogue_option_the_code_does_not_know(monkeypatch):
    data = copy.deepcopy(catalogue.catalogue_data())
    data["options"].append({**data["options"][0], "code": "priority_support"})
    monkeypatch.setattr(catalogue, "catalogue_data", lambda: data)
    with pytest.raises(ImproperlyConfigured, match="priority_support"):
        apps.get_app_config("billing").ready()


def test_start_up_refuses_a_code_the_catalogue_lost(monkeypatch):
    data = copy.deepcopy(catalogue.catalogue_data())
    data["options"] = [o for o in data["options"] if o["code"] != "branded_space"]
    monkeypatch.setattr(catalogue, "catalogue_data", lambda: data)
    with pytest.raises(ImproperlyConfigured) as refused:
        apps.get_app_config("billing").ready()
    assert str(refused.value) \
        == "option “branded_space” is in billing.codes.Option but not in catalogue.yaml"


def test_a_mistyped_code_is_refused_where_it_is_asked():
    trial = Organisation(status=Organisation.Status.TRIAL,
                         trial_ends_at=timezone.now() + timedelta(days=30))
    with pytest.raises(ValueError, match="branding"):
        entitlements_for(trial).allows("branding")
    with pytest.raises(ValueError, match="seats"):
        entitlements_for(trial).limit("seats")
