"""What changed between two versions of a template, item by item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.i18n import language

SECTION_LABELS = {
    "template": _("Template"), "phase": _("Phase"), "step": _("Step"), "lever": _("Lever"),
    "message": _("Message"), "indicator": _("Indicator"), "survey": _("Survey"),
}


@dataclass(frozen=True)
class Change:
    section: str  # template | phase | step | lever | message | indicator | survey
    action: str  # added | removed | changed
    item: str  # the step key, lever code, message kind…
    label: Any  # {fr, en} title of the item, or a plain string
    field: str | None = None
    before: Any = None
    after: Any = None

    def text(self, value: Any) -> Any:
        """A bilingual value in the active language (other values unchanged)."""
        if isinstance(value, dict) and set(value) == {"fr", "en"}:
            lang = language()
            return value[lang]
        return value

    @property
    def section_label(self) -> str:
        return str(SECTION_LABELS.get(self.section, self.section))

    @property
    def label_text(self) -> str:
        return self.text(self.label) or self.item

    @property
    def before_text(self) -> Any:
        return self.text(self.before)

    @property
    def after_text(self) -> Any:
        return self.text(self.after)


TEMPLATE_FIELDS = ("title", "summary", "audience", "theme", "typical_duration_days",
                   "default_participant_target", "sdgs")
STEP_FIELDS = ("title", "guidance", "owner_role", "due_offset_days", "phase")


def _steps(doc: dict) -> dict[str, dict]:
    return {step["key"]: {**step, "phase": phase["code"]}
            for phase in doc["phases"] for step in phase["steps"]}


def _compare_keyed(section: str, before: dict[str, dict], after: dict[str, dict],
                   fields: tuple[str, ...], label_of) -> list[Change]:
    changes = []
    for key, item in after.items():
        if key not in before:
            changes.append(Change(section, "added", key, label_of(item), after=item))
    for key, item in before.items():
        if key not in after:
            changes.append(Change(section, "removed", key, label_of(item), before=item))
    for key in before.keys() & after.keys():
        for name in fields:
            if before[key].get(name) != after[key].get(name):
                changes.append(Change(section, "changed", key, label_of(after[key]), name,
                                      before[key].get(name), after[key].get(name)))
    return changes


def diff_documents(old: dict, new: dict) -> list[Change]:
    """Changes from ``old`` to ``new`` (canonical documents), in reading order."""
    changes = [Change("template", "changed", "template", old["title"], name, old.get(name),
                      new.get(name))
               for name in TEMPLATE_FIELDS if old.get(name) != new.get(name)]
    changes += _compare_keyed(
        "phase", {p["code"]: p for p in old["phases"]}, {p["code"]: p for p in new["phases"]},
        ("title", "description"), lambda p: p["title"])
    step_order = {key: i for i, key in enumerate(_steps(new))}
    changes += sorted(_compare_keyed("step", _steps(old), _steps(new), STEP_FIELDS,
                                     lambda s: s["title"]),
                      key=lambda c: step_order.get(c.item, -1))
    changes += _compare_keyed(
        "lever", {lv["code"]: lv for lv in old["levers"]},
        {lv["code"]: lv for lv in new["levers"]}, ("note",), lambda lv: lv["code"])
    changes += _compare_keyed("message", old["messages"], new["messages"],
                              ("subject", "body"), lambda m: m["subject"])
    changes += _compare_keyed(
        "indicator", {i["code"]: i for i in old["indicators"]},
        {i["code"]: i for i in new["indicators"]}, ("target_per_participant",),
        lambda i: i["code"])
    for moment in old["survey"].keys() | new["survey"].keys():
        if old["survey"].get(moment) != new["survey"].get(moment):
            changes.append(Change("survey", "changed", moment, moment, "questions",
                                  old["survey"].get(moment), new["survey"].get(moment)))
    return changes
