"""YAML errors in plain words: which line, which field, what to do."""

from __future__ import annotations

import re
from typing import Any

import yaml
from django.utils.translation import gettext as _

from .paths import describe_path

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
