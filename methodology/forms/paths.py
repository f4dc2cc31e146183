"""Document paths (``phases[1].steps[0].title.fr``): the names of the editor's inputs and
of the validator's findings, parsed, followed into a document and named in plain words."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from .. import document
from ..models import MessageKind, SurveyMoment

SEGMENT_RE = re.compile(r"^([a-z_][a-z0-9_]*)(?:\[(\d+)\])?$")


def path_parts(path: str) -> list[str | int] | None:
    parts: list[str | int] = []
    for segment in path.split("."):
        match = SEGMENT_RE.match(segment)
        if not match:
            return None
        parts.append(match.group(1))
        if match.group(2) is not None:
            parts.append(int(match.group(2)))
    return parts


def path_resolve(doc: Any, parts: list) -> Any:
    node = doc
    for part in parts:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


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
    parts = path_parts(path) if path else None
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
