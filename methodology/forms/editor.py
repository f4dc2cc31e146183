"""The structured editor of a template version: one input per document path, French and
English side by side, every problem next to its own input and listed on top."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from ..models import (
    Audience,
    ImpactIndicator,
    Lever,
    MessageKind,
    OwnerRole,
    PhaseCode,
    QuestionKind,
    SurveyMoment,
    Theme,
)
from .paths import describe_path, path_parts, path_resolve


def field_id(path: str) -> str:
    return "f-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


@dataclass
class Field:
    name: str
    label: str
    value: Any = ""
    widget: str = "input"  # input | textarea | select | number | checkboxes
    choices: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lang: str = ""
    help: str = ""
    rows: int = 3
    step: str = "1"

    @property
    def id(self) -> str:
        return field_id(self.name)

    @property
    def described(self) -> str:
        """The full name of the input for assistive technologies (and error lists)."""
        return describe_path(self.name)


@dataclass
class Pair:
    """One client-facing text, French and English side by side."""
    label: str
    fr: Field
    en: Field


@dataclass
class Block:
    path: str
    number: int
    heading: str = ""
    fields: list = field(default_factory=list)
    pairs: list = field(default_factory=list)
    children: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    first: bool = False
    last: bool = False

    @property
    def id(self) -> str:
        return field_id(self.path)


@dataclass
class Editor:
    meta: list[Field]
    texts: list[Pair]
    phases: list[Block]
    levers: list[Block]
    messages: list[Block]
    indicators: list[Block]
    survey: list[Block]
    errors: dict[str, list[str]]
    summary: list[dict]
    new: bool = False

    def errors_of(self, path: str) -> list[str]:
        return self.errors.get(path, [])


def _value(doc: Any, path: str) -> Any:
    parts = path_parts(path)
    return path_resolve(doc, parts) if parts else None


def _text_value(value: Any) -> str:
    return "" if value is None else str(value)


def build_editor(doc: dict, errors: dict[str, list[str]] | None = None, *,
                 new: bool = False) -> Editor:
    errors = {path: [str(m) for m in messages] for path, messages in (errors or {}).items()}
    shown: set[str] = set()

    def mk(path: str, label: str, **kwargs) -> Field:
        shown.add(path)
        value = kwargs.pop("value", _value(doc, path))
        messages = _field_errors(doc, path, errors.get(path, []))
        return Field(path, label, _text_value(value), errors=messages, **kwargs)

    def pair(path: str, label: str, *, textarea: bool = False, rows: int = 3) -> Pair:
        widget = "textarea" if textarea else "input"
        shown.add(path)
        return Pair(label,
                    mk(f"{path}.fr", _("French"), widget=widget, lang="fr", rows=rows),
                    mk(f"{path}.en", _("English"), widget=widget, lang="en", rows=rows))

    def block(path: str, number: int, total: int, **kwargs) -> Block:
        shown.add(path)
        return Block(path, number, errors=errors.get(path, []), first=number == 1,
                     last=number == total, **kwargs)

    meta = []
    if new:
        meta.append(mk("slug", _("Address of the template"), help=_(
            "Lower-case letters, digits and hyphens; it never changes. Leave it empty to "
            "make it from the English title.")))
    meta += [
        mk("audience", _("Audience"), widget="select", choices=list(Audience.choices)),
        mk("theme", _("Theme"), widget="select", choices=list(Theme.choices)),
        mk("typical_duration_days", _("Typical duration (days)"), widget="number"),
        mk("default_participant_target", _("Suggested participant target"), widget="number"),
        mk("sdgs", _("UN Sustainable Development Goals"), widget="checkboxes",
           value=[str(n) for n in (doc.get("sdgs") or [])],
           choices=[(str(n), str(n)) for n in range(1, 18)]),
    ]
    meta[-1].value = [str(n) for n in (doc.get("sdgs") or [])]
    texts = [pair("title", _("Title")),
             pair("summary", _("Summary: what, for whom, why it works"), textarea=True,
                  rows=4)]

    phase_choices = list(PhaseCode.choices)
    owner_choices = list(OwnerRole.choices)
    phases_doc = doc.get("phases") or []
    phases = []
    for p, phase in enumerate(phases_doc):
        path = f"phases[{p}]"
        steps_doc = phase.get("steps") or []
        steps = []
        for s, _step in enumerate(steps_doc):
            spath = f"{path}.steps[{s}]"
            steps.append(block(spath, s + 1, len(steps_doc), heading=_("Step %(n)s") % {
                "n": s + 1}, pairs=[
                    pair(f"{spath}.title", _("Title")),
                    pair(f"{spath}.guidance", _("Guidance: the concrete how-to"),
                         textarea=True, rows=4)],
                fields=[mk(f"{spath}.owner_role", _("Owner"), widget="select",
                           choices=owner_choices),
                        mk(f"{spath}.due_offset_days", _("Due (days from the action)"),
                           widget="number", help=_("-21 is three weeks before, 0 the day.")),
                        mk(f"{spath}.key", _("Key"), help=_(
                            "Stable across versions; made from the title when empty."))]))
        shown.add(f"{path}.steps")
        phases.append(block(path, p + 1, len(phases_doc), heading=_("Phase %(n)s") % {
            "n": p + 1}, fields=[mk(f"{path}.code", _("Phase"), widget="select",
                                    choices=phase_choices)],
            pairs=[pair(f"{path}.title", _("Title")),
                   pair(f"{path}.description", _("Description (optional)"), textarea=True,
                        rows=2)],
            children=steps))
        phases[-1].errors = errors.get(path, []) + errors.get(f"{path}.steps", [])

    lever_choices = [(lever.code, lever.tr("name")) for lever in Lever.objects.order_by("code")]
    levers_doc = doc.get("levers") or []
    levers = [block(f"levers[{i}]", i + 1, len(levers_doc), heading=_("Lever %(n)s") % {
        "n": i + 1}, fields=[mk(f"levers[{i}].code", _("Lever"), widget="select",
                                choices=lever_choices)],
        pairs=[pair(f"levers[{i}].note", _("How to use it in this programme"), textarea=True,
                    rows=2)])
        for i in range(len(levers_doc))]

    messages: list[Block] = []
    for kind, label in MessageKind.choices:
        path = f"messages.{kind}"
        messages.append(block(path, len(messages) + 1, len(MessageKind.choices),
                              heading=str(label),
                              pairs=[pair(f"{path}.subject", _("Subject")),
                                     pair(f"{path}.body", _("Body"), textarea=True, rows=6)]))

    indicator_choices = [(item.code, f"{item.tr('label')} ({item.unit})")
                         for item in ImpactIndicator.objects.order_by("code")]
    indicators_doc = doc.get("indicators") or []
    indicators = []
    for i, item in enumerate(indicators_doc):
        target = item.get("target_per_participant")
        if isinstance(target, float) and target.is_integer():
            target = int(target)
        indicators.append(block(f"indicators[{i}]", i + 1, len(indicators_doc),
                                heading=_("Indicator %(n)s") % {"n": i + 1}, fields=[
            mk(f"indicators[{i}].code", _("Indicator"), widget="select",
               choices=indicator_choices),
            mk(f"indicators[{i}].target_per_participant", _("Target per participant"),
               widget="number", step="any", value=target,
               help=_("Optional."))]))

    survey: list[Block] = []
    survey_doc = doc.get("survey") or {}
    for moment, label in SurveyMoment.choices:
        questions_doc = survey_doc.get(moment) or []
        path = f"survey.{moment}"
        questions = [block(f"{path}[{q}]", q + 1, len(questions_doc),
                           heading=_("Question %(n)s") % {"n": q + 1},
                           fields=[mk(f"{path}[{q}].kind", _("Kind of answer"),
                                      widget="select", choices=list(QuestionKind.choices))],
                           pairs=[pair(f"{path}[{q}].text", _("Question"))])
                     for q in range(len(questions_doc))]
        survey.append(block(path, len(survey) + 1, 2, heading=str(label),
                            children=questions))

    for name in ("phases", "levers", "messages", "indicators", "survey"):
        shown.add(name)
    summary = []
    for path, messages_ in errors.items():
        for message in _field_errors(doc, path, messages_):
            summary.append({"label": describe_path(path), "message": message,
                            "anchor": field_id(_nearest_shown(path, shown))})
    return Editor(meta, texts, phases, levers, messages, indicators, survey, errors, summary,
                  new=new)


def _field_errors(doc: dict, path: str, messages: list[str]) -> list[str]:
    """A missing translation in an input of its own reads "required"."""
    if messages and path.endswith((".fr", ".en")) and not (_value(doc, path) or "").strip():
        return [_("required")]
    return messages


def _nearest_shown(path: str, shown: set[str]) -> str:
    while path and path not in shown:
        path = re.sub(r"(\.[a-z_][a-z0-9_]*|\[\d+\])$", "", path)
        if "." not in path and "[" not in path and path not in shown:
            return path
    return path
