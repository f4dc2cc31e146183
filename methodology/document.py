"""The methodology template document: the YAML shape consultants edit and the library ships.

One document is one template version: metadata, phases with steps, recommended levers,
messages, impact indicators and survey questions, every client-facing text in French and
English. ``validate`` returns errors keyed by the path of the offending field
(``phases[1].steps[0].title.en``) so an editor can point at it.

    .venv/bin/python -m methodology.document methodology/library/templates/*.yaml
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("fr", "en")
AUDIENCES = ("employees", "customers", "citizens")
THEMES = ("environment", "biodiversity", "solidarity", "road_safety", "company_values",
          "health_sport")
PHASE_CODES = ("frame", "mobilise", "act", "celebrate", "sustain")
OWNER_ROLES = ("programme_lead", "communications", "managers", "logistics", "partners",
               "consultant")
MESSAGE_KINDS = ("invitation", "reminder_d7", "reminder_d1", "thank_you", "impact_recap",
                 "follow_up_survey")
SURVEY_MOMENTS = ("after_action", "follow_up")
QUESTION_KINDS = ("scale", "yes_no", "text")
# Names a message may use, written {name}; filled when the message is sent.
# hours_given is the recipient's own hours; total_hours is everyone's.
PLACEHOLDERS = frozenset({
    "organisation_name", "programme_name", "campaign_title", "participant_first_name",
    "action_date", "action_time", "place", "target", "participants_count", "spots_left",
    "deadline", "link", "hours_given", "total_hours", "impact_summary", "survey_link",
    "unsubscribe_link", "inviter_first_name",
})
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MIN_LEVERS = 3

LIBRARY_DIR = Path(__file__).resolve().parent / "library"


@dataclass
class Catalogue:
    levers: set[str] = field(default_factory=set)
    indicators: set[str] = field(default_factory=set)


class Errors(dict[str, list[str]]):
    """``{path: [message, ...]}``. Incomplete content (a missing translation, an unknown
    placeholder, steps out of order, too few levers) is *soft*: a draft may be saved with
    it but not published. Anything else (wrong types, unknown codes) is *hard*: the
    document cannot even be stored."""

    def __init__(self) -> None:
        super().__init__()
        self.hard_paths: set[str] = set()

    def add(self, path: str, message, *, soft: bool = False) -> None:
        self.setdefault(path, []).append(str(message))
        if not soft:
            self.hard_paths.add(path)

    def blocking(self) -> dict[str, list[str]]:
        return {path: messages for path, messages in self.items() if path in self.hard_paths}


def _text(errors: Errors, value: Any, path: str, *, required: bool = True) -> None:
    """A bilingual text: {fr: ..., en: ...}, both present, or (if optional) both absent."""
    if value is None or value == {}:
        if required:
            errors.add(path, _("This text is required in French and English."), soft=True)
        return
    if not isinstance(value, dict):
        errors.add(path, _("Give this text as {fr: …, en: …}."))
        return
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        errors.add(path, _("Unknown language(s): %(codes)s.") % {
            "codes": ", ".join(sorted(map(str, unknown)))})
    for lang, label in (("fr", _("French")), ("en", _("English"))):
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            errors.add(f"{path}.{lang}", _("Missing %(language)s translation.") % {
                "language": label}, soft=True)


def _choice(errors: Errors, value: Any, path: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        errors.add(path, _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)})


def _int(errors: Errors, value: Any, path: str, *, minimum: int | None = None) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        errors.add(path, _("Enter a whole number."))
    elif minimum is not None and value < minimum:
        errors.add(path, _("Enter a number of at least %(min)s.") % {"min": minimum})


def placeholders_in(text: str) -> set[str]:
    return {name.strip() for name in PLACEHOLDER_RE.findall(text or "")}


def validate(doc: Any, catalogue: Catalogue) -> Errors:
    """Every problem of a template document, by field path. Empty means publishable."""
    errors = Errors()
    if not isinstance(doc, dict):
        errors.add("document", _("The document must be a mapping of fields."))
        return errors
    slug = doc.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        errors.add("slug", _("Use lower-case letters, digits and single hyphens."))
    _text(errors, doc.get("title"), "title")
    _text(errors, doc.get("summary"), "summary")
    _choice(errors, doc.get("audience"), "audience", AUDIENCES)
    _choice(errors, doc.get("theme"), "theme", THEMES)
    _int(errors, doc.get("typical_duration_days"), "typical_duration_days", minimum=1)
    _int(errors, doc.get("default_participant_target"), "default_participant_target",
         minimum=1)
    sdgs = doc.get("sdgs")
    if not isinstance(sdgs, list) or not sdgs or not all(
            isinstance(n, int) and 1 <= n <= 17 for n in sdgs):
        errors.add("sdgs", _("List the UN Sustainable Development Goals, numbers 1 to 17."))

    _validate_phases(errors, doc.get("phases"))
    _validate_levers(errors, doc.get("levers"), catalogue)
    _validate_messages(errors, doc.get("messages"))
    _validate_indicators(errors, doc.get("indicators"), catalogue)
    _validate_survey(errors, doc.get("survey"))
    return errors


def _validate_phases(errors: Errors, phases: Any) -> None:
    if not isinstance(phases, list) or not phases:
        errors.add("phases", _("Add at least one phase."), soft=isinstance(phases, list))
        return
    seen_codes: list[Any] = []  # as written, valid or not
    seen_keys: set[str] = set()
    previous_offset: int | None = None
    previous_path = ""
    for i, phase in enumerate(phases):
        path = f"phases[{i}]"
        if not isinstance(phase, dict):
            errors.add(path, _("Each phase is a mapping of fields."))
            continue
        code = phase.get("code")
        _choice(errors, code, f"{path}.code", PHASE_CODES)
        if code in seen_codes:
            errors.add(f"{path}.code", _("This phase appears twice."))
        elif code in PHASE_CODES and seen_codes and seen_codes[-1] in PHASE_CODES and \
                PHASE_CODES.index(code) < PHASE_CODES.index(seen_codes[-1]):
            errors.add(f"{path}.code", _("Phases are out of order: %(order)s.") % {
                "order": " → ".join(PHASE_CODES)}, soft=True)
        seen_codes.append(code)
        _text(errors, phase.get("title"), f"{path}.title")
        _text(errors, phase.get("description"), f"{path}.description", required=False)
        steps = phase.get("steps")
        if not isinstance(steps, list) or not steps:
            errors.add(f"{path}.steps", _("Add at least one step."),
                       soft=isinstance(steps, list))
            continue
        for j, step in enumerate(steps):
            step_path = f"{path}.steps[{j}]"
            if not isinstance(step, dict):
                errors.add(step_path, _("Each step is a mapping of fields."))
                continue
            key = step.get("key")
            if not isinstance(key, str) or not SLUG_RE.match(key):
                errors.add(f"{step_path}.key",
                           _("Use lower-case letters, digits and single hyphens."))
            elif key in seen_keys:
                errors.add(f"{step_path}.key", _("Another step already uses this key."))
            else:
                seen_keys.add(key)
            _text(errors, step.get("title"), f"{step_path}.title")
            _text(errors, step.get("guidance"), f"{step_path}.guidance")
            _choice(errors, step.get("owner_role"), f"{step_path}.owner_role", OWNER_ROLES)
            offset = step.get("due_offset_days")
            _int(errors, offset, f"{step_path}.due_offset_days")
            if isinstance(offset, int) and not isinstance(offset, bool):
                if previous_offset is not None and offset < previous_offset:
                    errors.add(f"{step_path}.due_offset_days", _(
                        "Steps are out of order: this step is due %(this)s days from the "
                        "action, before the previous step (%(previous)s, %(prev)s days)."
                    ) % {"this": offset, "previous": previous_path, "prev": previous_offset},
                        soft=True)
                previous_offset, previous_path = offset, step_path


def _validate_levers(errors: Errors, levers: Any, catalogue: Catalogue) -> None:
    if not isinstance(levers, list) or len(levers) < MIN_LEVERS:
        errors.add("levers", _("Recommend at least %(n)s levers.") % {"n": MIN_LEVERS},
                   soft=isinstance(levers, list))
        if not isinstance(levers, list):
            return
    seen: set[str] = set()
    for i, lever in enumerate(levers):
        path = f"levers[{i}]"
        code = lever.get("code") if isinstance(lever, dict) else None
        if not isinstance(code, str) or code not in catalogue.levers:
            errors.add(f"{path}.code", _("“%(code)s” is not in the lever catalogue.") % {
                "code": code})
        elif code in seen:
            errors.add(f"{path}.code", _("This lever appears twice."))
        else:
            seen.add(code)
        _text(errors, lever.get("note") if isinstance(lever, dict) else None, f"{path}.note")


def _validate_messages(errors: Errors, messages: Any) -> None:
    if not isinstance(messages, dict):
        errors.add("messages", _("Give the messages as a mapping by kind."))
        return
    for kind in sorted(map(str, set(messages) - set(MESSAGE_KINDS))):
        errors.add(f"messages.{kind}", _("Unknown message kind. Use: %(kinds)s.") % {
            "kinds": ", ".join(MESSAGE_KINDS)})
    for kind in MESSAGE_KINDS:
        message = messages.get(kind)
        path = f"messages.{kind}"
        if not isinstance(message, dict):
            errors.add(path, _("This message is required."), soft=message is None)
            continue
        for part in ("subject", "body"):
            value = message.get(part)
            _text(errors, value, f"{path}.{part}")
            if not isinstance(value, dict):
                continue
            for lang in LANGUAGES:
                unknown = placeholders_in(value.get(lang) or "") - PLACEHOLDERS
                if unknown:
                    errors.add(f"{path}.{part}.{lang}", _(
                        "Unknown placeholder(s): %(names)s. Available: %(available)s."
                    ) % {"names": ", ".join(f"{{{n}}}" for n in sorted(unknown)),
                         "available": ", ".join(sorted(PLACEHOLDERS))}, soft=True)


def _validate_indicators(errors: Errors, indicators: Any, catalogue: Catalogue) -> None:
    if not isinstance(indicators, list) or not indicators:
        errors.add("indicators", _("Declare at least one impact indicator."),
                   soft=isinstance(indicators, list))
        return
    seen: set[str] = set()
    for i, indicator in enumerate(indicators):
        path = f"indicators[{i}]"
        code = indicator.get("code") if isinstance(indicator, dict) else None
        if not isinstance(code, str) or code not in catalogue.indicators:
            errors.add(f"{path}.code",
                       _("“%(code)s” is not in the impact indicator catalogue.") % {
                           "code": code})
        elif code in seen:
            errors.add(f"{path}.code", _("This indicator appears twice."))
        else:
            seen.add(code)
        target = indicator.get("target_per_participant") if isinstance(indicator, dict) \
            else None
        if target is not None and (not isinstance(target, int | float) or
                                   isinstance(target, bool) or target < 0):
            errors.add(f"{path}.target_per_participant", _("Enter a positive number."))


def _validate_survey(errors: Errors, survey: Any) -> None:
    if not isinstance(survey, dict):
        errors.add("survey", _("Give the survey as after_action and follow_up questions."))
        return
    for moment in sorted(map(str, set(survey) - set(SURVEY_MOMENTS))):
        errors.add(f"survey.{moment}", _("Unknown survey moment. Use: %(moments)s.") % {
            "moments": ", ".join(SURVEY_MOMENTS)})
    for moment in SURVEY_MOMENTS:
        questions = survey.get(moment)
        path = f"survey.{moment}"
        if not isinstance(questions, list) or not questions:
            errors.add(path, _("Add at least one question."), soft=isinstance(questions, list))
            continue
        for i, question in enumerate(questions):
            qpath = f"{path}[{i}]"
            if not isinstance(question, dict):
                errors.add(qpath, _("Each question is a mapping of fields."))
                continue
            _choice(errors, question.get("kind"), f"{qpath}.kind", QUESTION_KINDS)
            _text(errors, question.get("text"), f"{qpath}.text")
    _validate_measures(errors, survey)


def _validate_measures(errors: Errors, survey: dict) -> None:
    """A ``measure`` names what a question measures; the same measure after the action
    and at the follow-up is a before/after pair, compared per person: once per moment,
    the same kind at both moments, never a free-text question."""
    kinds: dict[str, dict[str, Any]] = {}
    for moment in SURVEY_MOMENTS:
        questions = survey.get(moment)
        for i, question in enumerate(questions if isinstance(questions, list) else []):
            measure = question.get("measure") if isinstance(question, dict) else None
            if measure is None:
                continue
            mpath = f"survey.{moment}[{i}].measure"
            if not isinstance(measure, str) or not SLUG_RE.match(measure) or len(measure) > 50:
                errors.add(mpath, _("Use lower-case letters, digits and single hyphens."))
                continue
            if question.get("kind") == "text":
                errors.add(mpath, _("A free-text answer cannot be compared: remove the measure."),
                           soft=True)
            if measure in kinds.setdefault(moment, {}):
                errors.add(mpath, _("This measure is already asked at this moment."), soft=True)
            kinds[moment][measure] = question.get("kind")
    before, after = kinds.get("after_action", {}), kinds.get("follow_up", {})
    for moment, own, other in (("after_action", before, after), ("follow_up", after, before)):
        for measure, kind in own.items():
            if measure not in other:
                errors.add(f"survey.{moment}", _(
                    "The measure %(measure)s is asked at one moment only: ask it after the "
                    "action and at the follow-up.") % {"measure": measure}, soft=True)
            elif moment == "follow_up" and kind != other[measure]:
                errors.add(f"survey.{moment}", _(
                    "The measure %(measure)s must be the same kind of question at both "
                    "moments.") % {"measure": measure}, soft=True)


def _canonical_text(value: Any) -> dict[str, str]:
    value = value if isinstance(value, dict) else {}
    return {lang: (value.get(lang) or "").strip() for lang in LANGUAGES}


def canonical(doc: dict) -> dict:
    """The document with known keys only, in a fixed order, texts stripped: two documents
    with the same content compare equal (used to tell whether a library file changed)."""
    def text_or_none(value):
        text = _canonical_text(value)
        return text if any(text.values()) else None

    phases = []
    for phase in doc.get("phases") or []:
        item = {"code": phase.get("code"), "title": _canonical_text(phase.get("title"))}
        description = text_or_none(phase.get("description"))
        if description:
            item["description"] = description
        item["steps"] = [{
            "key": step.get("key"),
            "title": _canonical_text(step.get("title")),
            "guidance": _canonical_text(step.get("guidance")),
            "owner_role": step.get("owner_role"),
            "due_offset_days": step.get("due_offset_days"),
        } for step in phase.get("steps") or []]
        phases.append(item)
    indicators = []
    for indicator in doc.get("indicators") or []:
        item = {"code": indicator.get("code")}
        if indicator.get("target_per_participant") is not None:
            item["target_per_participant"] = float(indicator["target_per_participant"])
        indicators.append(item)
    messages = doc.get("messages") or {}
    survey = doc.get("survey") or {}
    return {
        "slug": doc.get("slug"),
        "audience": doc.get("audience"),
        "theme": doc.get("theme"),
        "typical_duration_days": doc.get("typical_duration_days"),
        "default_participant_target": doc.get("default_participant_target"),
        "sdgs": list(doc.get("sdgs") or []),
        "title": _canonical_text(doc.get("title")),
        "summary": _canonical_text(doc.get("summary")),
        "phases": phases,
        "levers": [{"code": lever.get("code"), "note": _canonical_text(lever.get("note"))}
                   for lever in doc.get("levers") or []],
        "messages": {kind: {"subject": _canonical_text(messages[kind].get("subject")),
                            "body": _canonical_text(messages[kind].get("body"))}
                     for kind in MESSAGE_KINDS if isinstance(messages.get(kind), dict)},
        "indicators": indicators,
        "survey": {moment: [{"kind": q.get("kind"), "text": _canonical_text(q.get("text")),
                             **({"measure": q["measure"]} if q.get("measure") else {})}
                            for q in survey.get(moment) or []]
                   for moment in SURVEY_MOMENTS},
    }


def load_yaml(text: str) -> Any:
    """Parse YAML safely; a syntax error comes back as a ValueError naming the line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ValueError(f"{getattr(exc, 'problem', None) or exc}{where}") from exc


def dump_yaml(doc: dict) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def library_catalogue() -> Catalogue:
    data = yaml.safe_load((LIBRARY_DIR / "catalogue.yaml").read_text(encoding="utf-8"))
    return Catalogue(levers={item["code"] for item in data["levers"]},
                     indicators={item["code"] for item in data["indicators"]})


def _main(paths: list[str]) -> int:
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "postgres://localhost/unused")  # no connection made
    django.setup()
    catalogue = library_catalogue()
    failed = 0
    for path in paths:
        errors = validate(load_yaml(Path(path).read_text(encoding="utf-8")), catalogue)
        if errors:
            failed += 1
            print(f"{path}: {sum(len(v) for v in errors.values())} problem(s)")
            for where, messages in errors.items():
                for message in messages:
                    print(f"  {where}: {message}")
        else:
            print(f"{path}: ok")
    sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))
