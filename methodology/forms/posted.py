"""From the posted editor form to a template document, and the editor's buttons: add,
remove, move up, move down (an ``op`` such as ``add:phases[0].steps`` or ``up:levers[2]``)."""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify

from .. import document
from ..models import ImpactIndicator, Lever
from .paths import path_parts, path_resolve

ROOT_FIELDS = ("slug", "audience", "theme", "typical_duration_days",
               "default_participant_target", "sdgs", "title", "summary", "phases", "levers",
               "messages", "indicators", "survey")


def start_document() -> dict:
    """What a new template starts from in the form."""
    return {
        "slug": "", "audience": "employees", "theme": "solidarity",
        "typical_duration_days": 60, "default_participant_target": 80, "sdgs": [11],
        "title": {"fr": "", "en": ""}, "summary": {"fr": "", "en": ""},
        "phases": [{"code": "frame", "title": {"fr": "Cadrer", "en": "Frame"},
                    "steps": [_new_step(-30)]}],
        "levers": [], "messages": {}, "indicators": [],
        "survey": {"after_action": [], "follow_up": []},
    }


def _new_step(offset: int) -> dict:
    return {"key": "", "title": {"fr": "", "en": ""}, "guidance": {"fr": "", "en": ""},
            "owner_role": "programme_lead", "due_offset_days": offset}


def _listify(node: Any) -> Any:
    """Dicts keyed by int (what the form's indexes build) become lists, in index order."""
    if isinstance(node, dict):
        if node and all(isinstance(k, int) for k in node):
            return [_listify(node[k]) for k in sorted(node)]
        return {k: _listify(v) for k, v in node.items()}
    return node


def _number(value: Any, *, decimal: bool = False) -> Any:
    """A whole number (or decimal) when the text is one; the text itself otherwise, for
    the validator to name the field."""
    if not isinstance(value, str):
        return value
    text = value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not text:
        return None
    try:
        if decimal:
            return float(text.replace(",", "."))
        return int(text)
    except ValueError:
        return value


def _blank(text: Any) -> bool:
    return not isinstance(text, dict) or not any(
        (text.get(lang) or "").strip() for lang in document.LANGUAGES)


def document_from_post(data) -> dict:
    """The template document the form describes."""
    tree: dict = {}
    for name in data:
        parts = path_parts(name)
        if not parts or parts[0] not in ROOT_FIELDS or name == "sdgs":
            continue
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = data.get(name)
    doc = _listify(tree)
    doc["sdgs"] = [_number(n) for n in data.getlist("sdgs")] if hasattr(data, "getlist") \
        else list(data.get("sdgs") or [])
    for name in ("typical_duration_days", "default_participant_target"):
        doc[name] = _number(doc.get(name))
    for key in ("title", "summary"):
        doc.setdefault(key, {"fr": "", "en": ""})
    phases = doc.get("phases") if isinstance(doc.get("phases"), list) else []
    for phase in phases:
        if _blank(phase.get("description")):
            phase.pop("description", None)
        steps = phase.get("steps") if isinstance(phase.get("steps"), list) else []
        phase["steps"] = steps
        for step in steps:
            step["due_offset_days"] = _number(step.get("due_offset_days"))
    doc["phases"] = phases
    doc["levers"] = doc.get("levers") if isinstance(doc.get("levers"), list) else []
    messages = doc.get("messages") if isinstance(doc.get("messages"), dict) else {}
    doc["messages"] = {kind: message for kind, message in messages.items()
                       if isinstance(message, dict) and not (
                           _blank(message.get("subject")) and _blank(message.get("body")))}
    indicators = doc.get("indicators") if isinstance(doc.get("indicators"), list) else []
    for indicator in indicators:
        indicator["target_per_participant"] = _number(
            indicator.get("target_per_participant"), decimal=True)
        if indicator["target_per_participant"] is None:
            indicator.pop("target_per_participant")
    doc["indicators"] = indicators
    survey = doc.get("survey") if isinstance(doc.get("survey"), dict) else {}
    doc["survey"] = {moment: survey.get(moment) if isinstance(survey.get(moment), list)
                     else [] for moment in document.SURVEY_MOMENTS}
    fill_keys(doc)
    return doc


def fill_keys(doc: dict) -> None:
    """A new step's key (stable across versions) comes from its title; a new template's
    address from its English title."""
    if not (doc.get("slug") or "").strip():
        title = doc.get("title") or {}
        doc["slug"] = slugify(title.get("en") or title.get("fr") or "")[:60].strip("-")
    else:
        doc["slug"] = doc["slug"].strip()
    steps = [step for phase in doc["phases"] for step in phase["steps"]]
    used = {(step.get("key") or "").strip() for step in steps} - {""}
    for number, step in enumerate(steps, start=1):
        key = (step.get("key") or "").strip()
        if not key:
            title = step.get("title") or {}
            base = slugify(title.get("en") or title.get("fr") or "")[:50].strip("-") \
                or f"step-{number}"
            key, n = base, 2
            while key in used:
                key, n = f"{base}-{n}", n + 1
            used.add(key)
        step["key"] = key


def apply_operation(doc: dict, op: str) -> dict:
    """``verb:path``: add to the list at path, or remove / move up / move down the item at
    path. Unknown operations change nothing."""
    verb, _sep, path = op.partition(":")
    parts = path_parts(path)
    if not parts:
        return doc
    if verb == "add":
        container = path_resolve(doc, parts)
        if isinstance(container, list):
            container.append(_new_item(doc, parts, container))
        return doc
    if not isinstance(parts[-1], int):
        return doc
    container, index = path_resolve(doc, parts[:-1]), parts[-1]
    if not isinstance(container, list) or not 0 <= index < len(container):
        return doc
    if verb == "remove":
        container.pop(index)
    elif verb == "up" and index > 0:
        container[index - 1], container[index] = container[index], container[index - 1]
    elif verb == "down" and index < len(container) - 1:
        container[index + 1], container[index] = container[index], container[index + 1]
    return doc


def _new_item(doc: dict, parts: list, container: list) -> dict:
    kind = parts[-1]
    if kind == "phases":
        used = {phase.get("code") for phase in container}
        code = next((c for c in document.PHASE_CODES if c not in used), "sustain")
        return {"code": code, "title": {"fr": "", "en": ""},
                "steps": [_new_step(_last_offset(doc))]}
    if kind == "steps":
        return _new_step(_last_offset(doc, upto=container))
    if kind == "levers":
        used = {lever.get("code") for lever in container}
        code = next((c for c in Lever.objects.order_by("code").values_list("code", flat=True)
                     if c not in used), "")
        return {"code": code, "note": {"fr": "", "en": ""}}
    if kind == "indicators":
        used = {item.get("code") for item in container}
        code = next((c for c in ImpactIndicator.objects.order_by("code")
                     .values_list("code", flat=True) if c not in used), "")
        return {"code": code}
    return {"kind": "scale", "text": {"fr": "", "en": ""}}  # a survey question


def _last_offset(doc: dict, upto: list | None = None) -> int:
    offsets = [step.get("due_offset_days") for phase in doc.get("phases") or []
               for step in phase.get("steps") or []]
    if upto:
        offsets = [step.get("due_offset_days") for step in upto]
    offsets = [o for o in offsets if isinstance(o, int)]
    return offsets[-1] if offsets else 0
