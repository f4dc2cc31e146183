"""The set-up form: its field names are the service's (``variant_0_name``,
``baseline_rate``...), so that a refusal names the field the organiser sees. Rates are
typed in percent and points, stored as fractions."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from engagement.models import Campaign, ProgrammeMessage
from engagement.services.outreach import BULK_CHANNELS
from methodology.models import MessageKind

from .models import Experiment
from .services import ExperimentSpec, VariantSpec

VARIANTS = 3
HUNDRED = Decimal(100)


class ExperimentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=150)
    hypothesis = forms.CharField(
        label=_("Hypothesis"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("In your own words: what do you expect, and why?"))
    wave = forms.ChoiceField(label=_("Wave"), choices=Experiment.Wave.choices)
    metric = forms.ChoiceField(label=_("Primary metric"), choices=Experiment.Metric.choices,
                               help_text=_("Unsubscribes and complaints are always measured "
                                           "too, as guardrails."))
    unit = forms.ChoiceField(label=_("Randomise"), choices=Experiment.Unit.choices,
                             help_text=_("Colleagues talk to each other: randomising whole "
                                         "teams keeps a team in one variant."))
    baseline_rate = forms.DecimalField(label=_("Usual rate (%)"), min_value=0, max_value=100,
                                       decimal_places=1, initial=20)
    minimum_effect = forms.DecimalField(
        label=_("Smallest effect worth detecting (points)"), min_value=0, max_value=100,
        decimal_places=1, initial=5)
    holdout_share = forms.DecimalField(
        label=_("Holdout: people sent nothing (%)"), min_value=0, max_value=49,
        decimal_places=1, initial=5)
    icc = forms.DecimalField(
        label=_("Intraclass correlation (whole teams)"), min_value=0, max_value=Decimal("0.99"),
        decimal_places=3, initial=Decimal("0.05"),
        help_text=_("How alike colleagues of one team behave (0: not at all). 0.05 is a "
                    "usual value; it only counts when whole teams are randomised."))
    alpha = forms.DecimalField(label=_("Risk of a false positive (alpha)"), min_value=0,
                               max_value=Decimal("0.5"), decimal_places=3,
                               initial=Decimal("0.05"))
    power = forms.DecimalField(label=_("Power"), min_value=Decimal("0.5"),
                               max_value=Decimal("0.99"), decimal_places=2,
                               initial=Decimal("0.8"))
    days = forms.IntegerField(label=_("Duration (days)"), min_value=1, max_value=120,
                              initial=14)

    def __init__(self, *args, campaign: Campaign, levers: list[tuple[str, str]],
                 channels: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        message = ProgrammeMessage.objects.filter(programme=campaign.programme,
                                                  kind=MessageKind.INVITATION).first()
        for index in range(VARIANTS):
            prefix = f"variant_{index}_"
            number = index + 1
            required = index < 2
            self.fields[prefix + "name"] = forms.CharField(
                label=_("Variant %(n)s: name") % {"n": number}, max_length=80,
                required=required,
                help_text=_("The first variant is the control: your usual message.")
                if index == 0 else "")
            self.fields[prefix + "lever_code"] = forms.ChoiceField(
                label=_("Variant %(n)s: lever") % {"n": number}, choices=levers,
                required=False)
            self.fields[prefix + "channel"] = forms.ChoiceField(
                label=_("Variant %(n)s: channel") % {"n": number},
                choices=[(code, channels[code]) for code in BULK_CHANNELS], required=False)
            for field, label, widget in (
                    ("subject_fr", _("Variant %(n)s: subject in French"), None),
                    ("subject_en", _("Variant %(n)s: subject in English"), None),
                    ("body_fr", _("Variant %(n)s: message in French"), forms.Textarea(
                        attrs={"rows": 4})),
                    ("body_en", _("Variant %(n)s: message in English"), forms.Textarea(
                        attrs={"rows": 4}))):
                self.fields[prefix + field] = forms.CharField(
                    label=label % {"n": number}, required=False, widget=widget,
                    initial=getattr(message, field, "") if message else "")
            self.fields[prefix + "send_hour"] = forms.IntegerField(
                label=_("Variant %(n)s: send at (hour, 0–23)") % {"n": number},
                min_value=0, max_value=23, required=False)

    @classmethod
    def initial_from(cls, experiment: Experiment) -> dict[str, object]:
        data: dict[str, object] = {
            name: getattr(experiment, name) for name in (
                "title", "hypothesis", "wave", "metric", "unit", "icc", "alpha", "power")}
        data |= {"baseline_rate": experiment.baseline_rate * HUNDRED,
                 "minimum_effect": experiment.minimum_effect * HUNDRED,
                 "holdout_share": experiment.holdout_share * HUNDRED}
        data["days"] = experiment.days
        arms = [v for v in experiment.variants.all() if not v.is_holdout]
        for index, variant in enumerate(arms[:VARIANTS]):
            for name in ("name", "lever_code", "channel", "subject_fr", "subject_en",
                         "body_fr", "body_en", "send_hour"):
                data[f"variant_{index}_{name}"] = getattr(variant, name)
        return data

    def spec(self) -> ExperimentSpec:
        data = self.cleaned_data
        variants = []
        for index in range(VARIANTS):
            prefix = f"variant_{index}_"
            if index >= 2 and not data.get(prefix + "name"):
                continue
            variants.append(VariantSpec(
                name=data.get(prefix + "name") or "", lever_code=data.get(prefix + "lever_code")
                or "", channel=data.get(prefix + "channel") or "",
                send_hour=data.get(prefix + "send_hour"),
                **{f: data.get(prefix + f) or "" for f in ("subject_fr", "subject_en",
                                                         "body_fr", "body_en")}))
        return ExperimentSpec(
            title=data["title"], hypothesis=data["hypothesis"], wave=data["wave"],
            metric=data["metric"], unit=data["unit"],
            holdout_share=data["holdout_share"] / HUNDRED,
            baseline_rate=data["baseline_rate"] / HUNDRED,
            minimum_effect=data["minimum_effect"] / HUNDRED, alpha=data["alpha"],
            power=data["power"], icc=data["icc"], days=data["days"], variants=variants)
