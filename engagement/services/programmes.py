from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import current_organisation, current_schema
from core.zones import organisation_zone
from methodology.models import TemplateVersion
from methodology.selectors import versions_with_content

from ..bilingual import content_language_check, translations_check
from ..models import (
    PEOPLE_MAX,
    Programme,
    ProgrammeIndicator,
    ProgrammeLever,
    ProgrammeMessage,
    ProgrammeStep,
    ProgrammeSurveyQuestion,
)

# Steps fall due at the start of the working day, in the organisation's time zone.
STEP_DUE_TIME = time(9, 0)


def step_due_at(*, action_date: date, offset_days: int, time_zone: str) -> datetime:
    """When a step falls due: the local calendar day ``offset_days`` from the action, at
    09:00 local time. Counting calendar days (not 24-hour periods) keeps 09:00 across
    daylight-saving changes."""
    local_day = action_date + timedelta(days=offset_days)
    return datetime.combine(local_day, STEP_DUE_TIME, tzinfo=ZoneInfo(time_zone))


def programme_suggested_dates(*, version: TemplateVersion, today: date) -> dict[str, date]:
    """Dates that fit a template: start today, the action day as far ahead as its earliest
    step asks (a step due 42 days before the action puts the action 42 days from now), and
    the end after the template's typical duration (never before its last step)."""
    offsets = [step.due_offset_days for phase in version.phases.all()
               for step in phase.steps.all()] or [0]
    action_date = today + timedelta(days=max(0, -min(offsets)))
    ends_on = max(today + timedelta(days=version.typical_duration_days or 0),
                  action_date + timedelta(days=max(0, max(offsets))))
    return {"starts_on": today, "action_date": action_date, "ends_on": ends_on}


def _validate_dates(errors: dict[str, list[str]], *, starts_on: date | None,
                    ends_on: date | None, action_date: date | None = None) -> None:
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The end date must be on or after the start date.")]
    elif action_date and starts_on and ends_on and not starts_on <= action_date <= ends_on:
        errors["action_date"] = [_("The action date must fall between the start and end "
                                   "dates.")]


def _check_target(errors: dict[str, list[str]], value: int | None) -> None:
    if value is None:
        return
    if value < 0:
        errors["participant_target"] = [_("Use a positive number.")]
    elif value > PEOPLE_MAX:
        from .campaigns import people_count_errors

        errors["participant_target"] = people_count_errors(value)


def is_running(ends_on: date | None) -> bool:
    """A programme runs until its end date, included; the plan counts the running ones."""
    return ends_on is None or ends_on >= timezone.localdate()


def _check_programme_allowance(errors: dict[str, list[str]], *, ends_on: date | None,
                               programme: Programme | None = None) -> None:
    """The plan's number of running programmes (those not ended yet), from entitlements.

    Called, inside the writing transaction, by every write that can make a programme run
    (creating one, moving an ended one's end date into the future), after
    ``_lock_running_programmes``: two managers taking the last place at once would
    otherwise both see it free."""
    from billing.codes import Limit
    from billing.entitlements import entitlements_for
    organisation = current_organisation()
    limit = entitlements_for(organisation).limit(Limit.PROGRAMMES)
    if limit is None or not is_running(ends_on):
        return
    others = Programme.objects.filter(ends_on__gte=timezone.localdate())
    if programme is not None:
        others = others.exclude(pk=programme.pk)
    running = others.count()
    if running >= limit:
        errors["programme"] = [_(
            "Your plan allows %(limit)s running programme(s) and %(running)s are running: "
            "choose a larger plan on the billing page, or end a programme first.") % {
            "limit": limit, "running": running}]


def _lock_running_programmes() -> None:
    """Serialise, per organisation, the writes that can change how many programmes run
    (held until the transaction ends). Counting rows cannot be made atomic by a row lock:
    the row that would break the limit does not exist yet."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                       [f"{current_schema()}:running-programmes"])


def programme_create(*, name: str, starts_on: date, ends_on: date, description: str = "",
                     participant_target: int = 0, content_language: str | None = None,
                     translations: Mapping[str, object] | None = None) -> Programme:
    """A programme without a methodology template. ``name`` and ``description`` are in
    ``content_language`` (the organisation's unless given); ``translations`` holds the
    other language's (``engagement.bilingual``)."""
    with transaction.atomic():
        errors: dict[str, list[str]] = {}
        content_language = content_language_check(errors, content_language)
        translated = translations_check(errors, content_language=content_language,
                                        fields=Programme.TRANSLATED_FIELDS,
                                        translations=translations)
        _lock_running_programmes()
        _check_programme_allowance(errors, ends_on=ends_on)
        if not (name or "").strip():
            errors["name"] = [_("This field is required.")]
        _validate_dates(errors, starts_on=starts_on, ends_on=ends_on)
        _check_target(errors, participant_target)
        if errors:
            raise DomainError(errors)
        return Programme.objects.create(
            name=name.strip(), description=description, starts_on=starts_on, ends_on=ends_on,
            participant_target=participant_target or 0, content_language=content_language,
            translations=translated,
        )


def _step_rows(programme: Programme, version: TemplateVersion) -> list[ProgrammeStep]:
    # Due at 09:00 in the organisation's zone, the one every date of the space is read in.
    zone = organisation_zone(current_organisation())
    rows = []
    position = 0
    for phase in version.phases.all():
        for step in phase.steps.all():
            assert programme.action_date is not None  # set on programmes from a template
            rows.append(ProgrammeStep(
                programme=programme, key=step.key, phase_code=phase.code,
                phase_title_fr=phase.title_fr, phase_title_en=phase.title_en,
                position=position, title_fr=step.title_fr, title_en=step.title_en,
                guidance_fr=step.guidance_fr, guidance_en=step.guidance_en,
                owner_role=step.owner_role, due_offset_days=step.due_offset_days,
                due_at=step_due_at(action_date=programme.action_date,
                                   offset_days=step.due_offset_days, time_zone=zone),
            ))
            position += 1
    return rows


def _snapshot_extras(programme: Programme, version: TemplateVersion, *,
                     only_new: bool = False) -> None:
    """Messages (replaced), levers, indicators and survey (added when missing)."""
    ProgrammeMessage.objects.filter(programme=programme).delete()
    ProgrammeMessage.objects.bulk_create(ProgrammeMessage(
        programme=programme, kind=m.kind, subject_fr=m.subject_fr, subject_en=m.subject_en,
        body_fr=m.body_fr, body_en=m.body_en) for m in version.messages.all())
    have_levers = set(programme.levers.values_list("code", flat=True)) if only_new else set()
    offset = len(have_levers)
    ProgrammeLever.objects.bulk_create(ProgrammeLever(
        programme=programme, code=item.lever.code, position=offset + i,
        name_fr=item.lever.name_fr, name_en=item.lever.name_en,
        note_fr=item.note_fr, note_en=item.note_en)
        for i, item in enumerate(x for x in version.levers.all()
                                 if x.lever.code not in have_levers))
    have_indicators = (set(programme.indicators.values_list("code", flat=True))
                       if only_new else set())
    offset = len(have_indicators)
    ProgrammeIndicator.objects.bulk_create(ProgrammeIndicator(
        programme=programme, code=item.indicator.code, position=offset + i,
        unit=item.indicator.unit, label_fr=item.indicator.label_fr,
        label_en=item.indicator.label_en, sdg=item.indicator.sdg,
        target_per_participant=item.target_per_participant)
        for i, item in enumerate(x for x in version.indicators.all()
                                 if x.indicator.code not in have_indicators))
    if not only_new:
        ProgrammeSurveyQuestion.objects.bulk_create(ProgrammeSurveyQuestion(
            programme=programme, moment=q.moment, position=q.position, kind=q.kind,
            measure=q.measure, text_fr=q.text_fr, text_en=q.text_en)
            for q in version.survey_questions.all())


def programme_create_from_template(
    *, version: TemplateVersion, name: str, starts_on: date, ends_on: date, action_date: date,
    participant_target: int | None = None, description: str = "",
    content_language: str | None = None, translations: Mapping[str, object] | None = None,
) -> Programme:
    """A programme following a published methodology version, with its own copy of it.
    Its name in the other language, if given, is in ``translations``."""
    version = versions_with_content().get(pk=version.pk)
    with transaction.atomic():
        errors: dict[str, list[str]] = {}
        content_language = content_language_check(errors, content_language)
        translated = translations_check(errors, content_language=content_language,
                                        fields=Programme.TRANSLATED_FIELDS,
                                        translations=translations)
        _lock_running_programmes()
        _check_programme_allowance(errors, ends_on=ends_on)
        if not version.is_published:
            errors["version"] = [_("Only a published version can be used.")]
        if not (name or "").strip():
            errors["name"] = [_("This field is required.")]
        if not action_date:
            errors["action_date"] = [_("This field is required.")]
        _validate_dates(errors, starts_on=starts_on, ends_on=ends_on, action_date=action_date)
        if participant_target is not None and participant_target < 1:
            errors["participant_target"] = [_("Use a positive number.")]
        else:
            _check_target(errors, participant_target)
        if errors:
            raise DomainError(errors)
        programme = Programme.objects.create(
            name=name.strip(), description=description,
            starts_on=starts_on, ends_on=ends_on, action_date=action_date,
            participant_target=participant_target or version.default_participant_target,
            template_version=version, content_language=content_language,
            translations=translated,
        )
        ProgrammeStep.objects.bulk_create(_step_rows(programme, version))
        _snapshot_extras(programme, version)
    return programme


def programme_newer_version(programme: Programme) -> TemplateVersion | None:
    """The latest published version of the programme's template, if newer than its own."""
    current = programme.template_version
    if current is None:
        return None
    return (TemplateVersion.objects.filter(template_id=current.template_id,
                                           status=TemplateVersion.Status.PUBLISHED,
                                           number__gt=current.number)
            .order_by("-number").first())


def programme_apply_version(*, programme: Programme, version: TemplateVersion
                            ) -> dict[str, int]:
    """Move a programme to a newer version of its template.

    Steps not done yet take the new wording, owner and due date; new steps are added;
    steps the new version dropped are removed unless already done or in progress. Done
    steps never change. Messages are replaced; new levers and indicators are added.
    """
    current = programme.template_version
    if current is None or version.template_id != current.template_id or \
            version.number <= current.number or not version.is_published:
        raise DomainError({"version": [_("Choose a newer published version of the same "
                                         "template.")]})
    version = versions_with_content().get(pk=version.pk)
    counts = {"updated": 0, "added": 0, "removed": 0, "kept": 0}
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        if programme.template_version_id != current.pk:
            # Someone applied a version meanwhile (a double submit, another manager).
            raise DomainError({"version": [_("This programme was updated meanwhile: review "
                                             "the changes again.")]})
        existing = {step.key: step for step in programme.steps.all()}
        new_rows = _step_rows(programme, version)
        new_keys = {row.key for row in new_rows}
        for row in new_rows:
            step = existing.get(row.key)
            if step is None:
                row.save()
                counts["added"] += 1
            elif step.status == ProgrammeStep.Status.TODO:
                for name in ("phase_code", "phase_title_fr", "phase_title_en", "position",
                             "title_fr", "title_en", "guidance_fr", "guidance_en",
                             "owner_role", "due_offset_days", "due_at"):
                    setattr(step, name, getattr(row, name))
                step.save()
                counts["updated"] += 1
            else:
                step.position = row.position
                step.save(update_fields=["position"])
                counts["kept"] += 1
        for key, step in existing.items():
            if key not in new_keys:
                if step.status in (ProgrammeStep.Status.TODO, ProgrammeStep.Status.SKIPPED):
                    step.delete()
                    counts["removed"] += 1
                else:
                    counts["kept"] += 1
        _snapshot_extras(programme, version, only_new=True)
        programme.template_version = version
        programme.save(update_fields=["template_version"])
    return counts


def step_set_status(*, step: ProgrammeStep, status: str) -> ProgrammeStep:
    if status not in ProgrammeStep.Status.values:
        raise DomainError({"status": [_("Choose one of: %(choices)s.") % {
            "choices": ", ".join(ProgrammeStep.Status.values)}]})
    step.status = status
    step.completed_at = timezone.now() if status == ProgrammeStep.Status.DONE else None
    step.save(update_fields=["status", "completed_at"])
    return step


class ProgrammeChanges(TypedDict, total=False):
    """What ``programme_update`` may change; a name outside these is refused."""
    name: str
    description: str
    starts_on: date
    ends_on: date | None
    participant_target: int
    # The other language's name and description, {"en": {"name": ...}}: merged over
    # those already written; a blank text removes one.
    translations: Mapping[str, object]


def programme_update(*, programme: Programme, **fields: Unpack[ProgrammeChanges]
                     ) -> Programme:
    """Change a programme's name, description, dates or target (the checklist keeps its
    due dates: they follow the action date, which is set when it is made).

    Moving an ended programme's end date into the future makes it run again: the plan's
    limit of running programmes is checked then, as on creation. Other changes are never
    refused for the limit (a downgraded plan leaves programmes running)."""
    allowed = {"name", "description", "starts_on", "ends_on", "participant_target"}
    unknown = set(fields) - allowed - {"translations"}
    if unknown:
        raise DomainError({name: [_("This field cannot be changed.")] for name in unknown})
    with transaction.atomic():
        if "translations" in fields:
            # Merged over the stored ones, read under a row lock (see campaign_update).
            programme.translations = Programme.objects.select_for_update().only(
                "translations").get(pk=programme.pk).translations
        if "ends_on" in fields:
            _lock_running_programmes()
            # What the database holds now decides whether it was running, not the copy
            # the caller read before the lock.
            stored = Programme.objects.select_for_update().get(pk=programme.pk)
            programme.ends_on = stored.ends_on
        merged: dict[str, Any] = {name: fields.get(name, getattr(programme, name))
                                  for name in allowed}
        errors: dict[str, list[str]] = {}
        changes: dict[str, Any] = dict(fields)
        if "translations" in changes:
            changes["translations"] = translations_check(
                errors, content_language=programme.content_language,
                fields=Programme.TRANSLATED_FIELDS, translations=changes["translations"],
                current=programme.translations)
        if not (merged["name"] or "").strip():
            errors["name"] = [_("This field is required.")]
        _validate_dates(errors, starts_on=merged["starts_on"], ends_on=merged["ends_on"],
                        action_date=programme.action_date)
        _check_target(errors, merged["participant_target"])
        if not is_running(programme.ends_on) and is_running(merged["ends_on"]):
            _check_programme_allowance(errors, ends_on=merged["ends_on"], programme=programme)
        if errors:
            raise DomainError(errors)
        for name, value in changes.items():
            setattr(programme, name, value)
        programme.save(update_fields=list(changes))
    return programme


def programme_delete(*, programme: Programme) -> None:
    """Delete a programme that has no campaigns (campaigns carry people's pledges)."""
    if programme.campaigns.exists():
        raise DomainError({"programme": [_("This programme has campaigns: it cannot be "
                                           "deleted.")]})
    programme.delete()
