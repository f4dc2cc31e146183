"""Query-parameter filters of the API lists (django-filter FilterSets), strict about values.

django-filter reads an empty value as "no filter". Here an empty number or choice is
refused like any value outside the schema: the list answers 400 naming the parameter
(``DjangoFilterBackend`` raises the FilterSet form's errors). An empty free-text filter
(``CharFilter``) still filters nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import django_filters
from django import forms
from django.utils.translation import gettext as _
from django_filters.fields import ChoiceField
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


class WholeNumberField(forms.IntegerField):
    """Digits only: no sign, no spaces, no decimal point, not empty."""

    def clean(self, value: Any) -> Any:
        if value is not None and not (value.isascii() and value.isdigit()):
            raise forms.ValidationError(_("Enter a whole number."), code="invalid")
        return super().clean(value)


class StrictChoiceField(ChoiceField):
    """One of the choices when the parameter is given, the empty value included."""

    def clean(self, value: Any) -> Any:
        if value is None:
            return ""  # not given: no filter
        choices = cast("Iterable[tuple[Any, Any]]", self.choices)  # the filter's flat list
        values = [str(key) for key, _label in choices if key != ""]
        if value not in values:
            raise forms.ValidationError(_("Choose one of: %(choices)s.") % {
                "choices": ", ".join(values)}, code="invalid_choice")
        return value


class WholeNumberFilter(django_filters.NumberFilter):
    """An id or a count: ``?campaign=12``, an integer in the schema (drf-spectacular would
    read a foreign key as a number)."""

    field_class = WholeNumberField  # type: ignore[assignment]  # an IntegerField, not decimal

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        integer = cast("dict[str, Any]", build_basic_type(OpenApiTypes.INT))
        # A filter is no function, but the decorator only tags the object it is given.
        extend_schema_field({**integer, "description": self.extra.get("help_text", "")}
                            )(self)  # type: ignore[type-var]


class StrictChoiceFilter(django_filters.ChoiceFilter):
    """A value of a list: ``?status=open`` (its enum in the schema)."""

    field_class = StrictChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", None)  # no blank choice: an empty value is refused
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false``, as a boolean is written in a query string (any case); not given,
    no filter."""

    widget = forms.TextInput  # the value as written: the select's reading maps the rest to None

    def clean(self, value: Any) -> Any:
        if value is None:
            return None  # not given: no filter
        spelled = str(value).lower()
        if spelled not in ("true", "false"):
            raise forms.ValidationError(_("Enter true or false."), code="invalid")
        return spelled == "true"


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A yes-or-no filter: ``?email_undeliverable=true``; any other value is refused (400)
    rather than read as "no filter" as django-filter's NullBooleanField does."""

    field_class = StrictBooleanField
