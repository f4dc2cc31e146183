"""The structured editor of a template version, and plain-words YAML errors.

The editor's inputs are named after the document paths the validator reports
(``phases[1].steps[0].title.fr``), so the form builds the document itself (no YAML, so a
sentence with a colon is just text) and every problem lands next to its own input.
Adding, removing and moving phases, steps, levers, indicators and questions are buttons
that send the form back with an ``op`` (``add:phases[0].steps``, ``up:levers[2]``…): the
page is re-drawn with the change, nothing is saved until "Save draft".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import document
from .models import (
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

ROOT_FIELDS = ("slug", "audience", "theme", "typical_duration_days",
               "default_participant_target", "sdgs", "title", "summary", "phases", "levers",
               "messages", "indicators", "survey")
SEGMENT_RE = re.compile(r"^([a-z_][a-z0-9_]*)(?:\[(\d+)\])?$")


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


# ---- from the posted form to a document ------------------------------------------------------

def _split(path: str) -> list[str | int] | None:
    parts: list[str | int] = []
    for segment in path.split("."):
        match = SEGMENT_RE.match(segment)
        if not match:
            return None
        parts.append(match.group(1))
        if match.group(2) is not None:
            parts.append(int(match.group(2)))
    return parts


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
        parts = _split(name)
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


# ---- add, remove, move -------------------------------------------------------------------

def apply_operation(doc: dict, op: str) -> dict:
    """``verb:path``: add to the list at path, or remove / move up / move down the item at
    path. Unknown operations change nothing."""
    verb, _sep, path = op.partition(":")
    parts = _split(path)
    if not parts:
        return doc
    if verb == "add":
        container = _resolve(doc, parts)
        if isinstance(container, list):
            container.append(_new_item(doc, parts, container))
        return doc
    if not isinstance(parts[-1], int):
        return doc
    container, index = _resolve(doc, parts[:-1]), parts[-1]
    if not isinstance(container, list) or not 0 <= index < len(container):
        return doc
    if verb == "remove":
        container.pop(index)
    elif verb == "up" and index > 0:
        container[index - 1], container[index] = container[index], container[index - 1]
    elif verb == "down" and index < len(container) - 1:
        container[index + 1], container[index] = container[index], container[index + 1]
    return doc


def _resolve(doc: Any, parts: list) -> Any:
    node = doc
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


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


# ---- what each path is called --------------------------------------------------------------

def _text_names() -> dict[str, str]:
    return {"title": _("title"), "summary": _("summary"), "description": _("description"),
            "guidance": _("guidance"), "note": _("note"), "subject": _("subject"),
            "body": _("body"), "text": _("question")}


def _field_names(parent: str | None) -> dict[str, str]:
    code = {"phases": _("phase"), "levers": _("lever"),
            "indicators": _("indicator")}.get(parent or "", _("code"))
    return {
        "slug": _("address"), "audience": _("audience"), "theme": _("theme"),
        "typical_duration_days": _("typical duration (days)"),
        "default_participant_target": _("participant target"),
        "sdgs": _("Sustainable Development Goals"), "phases": _("phases"),
        "levers": _("recommended levers"), "messages": _("messages"),
        "indicators": _("impact indicators"), "survey": _("survey"), "steps": _("steps"),
        "code": code, "key": _("key"), "owner_role": _("owner"),
        "due_offset_days": _("due (days from the action)"),
        "target_per_participant": _("target per participant"),
        "kind": _("kind of question"), "document": _("document"),
    }


def describe_path(path: str) -> str:
    """``phases[1].steps[0].title.fr`` → "Phase 2, step 1, French title"."""
    parts = _split(path) if path else None
    if not parts:
        return path
    labels: list[str] = []
    parent: str | None = None
    i = 0
    while i < len(parts):
        part = parts[i]
        following = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(following, int) and part in ("phases", "steps", "levers", "indicators"):
            pattern = {"phases": _("Phase %(n)s"), "steps": _("step %(n)s"),
                       "levers": _("Lever %(n)s"), "indicators": _("Indicator %(n)s")}[part]
            labels.append(pattern % {"n": following + 1})
            parent, i = str(part), i + 2
            continue
        if part == "messages" and isinstance(following, str) and following in \
                document.MESSAGE_KINDS:
            labels.append(_("Message “%(kind)s”") % {
                "kind": dict(MessageKind.choices)[following]})
            parent, i = "messages", i + 2
            continue
        if part == "survey" and isinstance(following, str) and following in \
                document.SURVEY_MOMENTS:
            moment = str(dict(SurveyMoment.choices)[following])
            index = parts[i + 2] if i + 2 < len(parts) else None
            if isinstance(index, int):
                labels.append(_("Survey question %(n)s (%(moment)s)") % {
                    "n": index + 1, "moment": moment.lower()})
                i += 3
            else:
                labels.append(_("Survey (%(moment)s)") % {"moment": moment.lower()})
                i += 2
            parent = "survey"
            continue
        if part in _text_names() and following in document.LANGUAGES:
            name = _text_names()[part]
            labels.append(_("French %(field)s") % {"field": name} if following == "fr"
                          else _("English %(field)s") % {"field": name})
            i += 2
            continue
        if part in _text_names():
            labels.append(_text_names()[part])
        else:
            labels.append(_field_names(parent).get(str(part), str(part)))
        i += 1
    text = ", ".join(labels)
    return text[:1].upper() + text[1:]


# ---- the editor's fields -------------------------------------------------------------------

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
    parts = _split(path)
    return _resolve(doc, parts) if parts else None


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

    messages = []
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

    survey = []
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


# ---- YAML errors in plain words ------------------------------------------------------------

KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:(?:\s|$)")


def yaml_path_at(text: str, line: int) -> str:
    """The document path of the field on ``line`` (0-based), read from the indentation."""
    stack: list[tuple[int, str, Any]] = []  # (indent, "key"/"item", name or index)
    for raw in text.splitlines()[:line + 1]:
        stripped = raw.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(raw) - len(stripped)
        while stripped.startswith("- ") or stripped == "-":
            index = 0
            while stack and (stack[-1][0] > indent or (stack[-1][0] == indent and
                                                       stack[-1][1] == "item")):
                entry = stack.pop()
                if entry[0] == indent and entry[1] == "item":
                    index = entry[2] + 1
            stack.append((indent, "item", index))
            stripped = stripped[2:].lstrip(" ")
            indent = len(raw) - len(stripped)
        match = KEY_RE.match(stripped)
        if match:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, "key", match.group(1)))
    path = ""
    for _indent, kind, name in stack:
        path += f"[{name}]" if kind == "item" else (f".{name}" if path else name)
    return path


def explain_yaml_error(text: str) -> str | None:
    """None when the text reads as YAML; otherwise what is wrong, on which line and in
    which field, in plain words."""
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = str(getattr(exc, "problem", "") or exc)
        context = str(getattr(exc, "context", "") or "")
        if mark is None:
            return _("The text is not valid YAML (%(problem)s).") % {"problem": problem}
        line = mark.line
        lines = text.splitlines()
        source = lines[line] if line < len(lines) else ""
        path = yaml_path_at(text, line)
        # Inside a {fr: …, en: …} on one line, name the language too.
        inline = re.findall(r"\b(fr|en)\s*:", source[:mark.column])
        if "{" in source[:mark.column] and inline and not path.endswith((".fr", ".en")):
            path = f"{path}.{inline[-1]}"
        if "mapping values are not allowed" in problem:
            reason = _("this text contains a colon followed by a space, which YAML reads as "
                       "the start of another field. Put the whole text between double "
                       "quotes (\"…\"), or use the form, which does it for you.")
        elif "found character '\\t'" in problem or "\t" in source:
            reason = _("a tab is used for indentation; indent with spaces only.")
        elif "while scanning a quoted scalar" in context or "end of stream" in problem:
            reason = _("a quote is opened but never closed.")
        elif "flow sequence" in context or "flow mapping" in context:
            reason = _("a list in [ ] or a group in { } is not closed, or its items are not "
                       "separated by commas.")
        elif "expected <block end>" in problem or "did not find expected key" in problem:
            reason = _("this line is not indented like the lines around it.")
        elif "found undefined alias" in problem or "found character" in problem:
            reason = _("a text starts with a special character (such as *, &, @ or `); put "
                       "the whole text between double quotes.")
        else:
            reason = _("YAML could not read it (%(problem)s).") % {"problem": problem}
        where = describe_path(path) if path else ""
        if where:
            return _("Line %(line)s, %(field)s: %(reason)s") % {
                "line": line + 1, "field": where, "reason": reason}
        return _("Line %(line)s: %(reason)s") % {"line": line + 1, "reason": reason}
    return None
