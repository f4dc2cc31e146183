"""The directory's query string, read strictly: an empty field is no criterion, any other
value outside what the field takes is refused (400, naming the parameter)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from methodology.models import Theme

from .selectors import DirectorySearch

RADII = (5, 10, 25, 50, 100, 250)
MAX_PLACE = 100


class WholeNumberField(forms.IntegerField):
    """Digits only, as a query string writes a page number."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not (str(value).isascii()
                                                   and str(value).isdigit()):
            raise forms.ValidationError(_("Enter a whole number."), code="invalid")
        return super().to_python(value)


class PointField(forms.Field):
    """A point as "latitude,longitude" in decimal degrees ("45.764,4.8357")."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> tuple[Decimal, Decimal] | None:
        text = str(value or "").strip()[:60]
        if not text:
            return None
        parts = [part.strip() for part in text.split(",")]
        try:
            lat, lon = (Decimal(part) for part in parts) if len(parts) == 2 else (None, None)
        except InvalidOperation:
            lat = lon = None
        if (lat is None or lon is None or not lat.is_finite() or not lon.is_finite()
                or not -90 <= lat <= 90 or not -180 <= lon <= 180):
            raise forms.ValidationError(
                _("Give a point as latitude,longitude in degrees, for example 45.76,4.84."),
                code="invalid")
        return (lat.quantize(Decimal("0.000001")), lon.quantize(Decimal("0.000001")))


class DirectorySearchForm(forms.Form):
    """Field names are the query string's parameters (``from`` and ``to`` added below, as
    Python keeps those words)."""

    place = forms.CharField(label=_("Place"), max_length=MAX_PLACE, required=False,
                            help_text=_("A town, a district, a street…"))
    near = PointField(label=_("Near the point"), required=False,
                      help_text=_("Latitude,longitude: click the map or use your position."))
    km = forms.TypedChoiceField(label=_("Within"), coerce=int, required=False,
                                choices=[(str(r), _("%(km)s km") % {"km": r}) for r in RADII],
                                empty_value=None)
    theme = forms.ChoiceField(label=_("Theme"), required=False,
                              choices=[("", _("All themes")), *Theme.choices])
    when = forms.ChoiceField(label=_("Actions"), required=False,
                             choices=[("", _("Coming up")),
                                      ("finished", _("Finished, with their results"))])
    page = WholeNumberField(label=_("Page"), required=False, min_value=1,
                            widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(label=_("From"), required=False,
                                              input_formats=["%Y-%m-%d"], widget=date_input)
        self.fields["to"] = forms.DateField(label=_("To"), required=False,
                                            input_formats=["%Y-%m-%d"], widget=date_input)
        self.order_fields(["place", "near", "km", "from", "to", "theme", "when", "page"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from") and data.get("to") and data["to"] < data["from"]:
            self.add_error("to", _("The end of the period must be after its start."))
        return data

    def search(self) -> DirectorySearch:
        data = self.cleaned_data
        return DirectorySearch(place=(data.get("place") or "").strip(), near=data.get("near"),
                               km=data.get("km") or 25, starts_from=data.get("from"),
                               starts_until=data.get("to"), theme=data.get("theme") or "",
                               finished=data.get("when") == "finished")

    def named_errors(self) -> list[dict[str, str]]:
        """Each error with its field's label and the query parameter it is about."""
        named = []
        for name, messages in self.errors.items():
            field = self.fields.get(name)
            label = str(field.label or name) if field is not None and name != "__all__" else ""
            named += [{"parameter": name, "label": label, "message": str(message)}
                      for message in messages]
        return named

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"{name}-error"})

    def parameter_errors(self) -> dict[str, list[str]]:
        """{parameter: [messages]}, as the API and the feeds answer a 400."""
        return {name: [str(message) for message in messages]
                for name, messages in self.errors.items()}
