"""Closing an organisation (docs/privacy.md, "Closing an organisation").

An owner asks (password entered again, the space's address typed): the space turns
read-only at once, a worker prepares the full export, and the closure can be cancelled
until ``closure_due_at``. The daily ``organisations_close_due`` then removes the files and,
in one transaction, drops the schema and the rows that let anyone in; the organisation's
row stays, marked closed, for billing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.roles import Role
from core.tenancy import call_on_commit, enqueue_on_commit
from methodology.reference_keys import references_of_organisation_delete

from ..email_html import account_email_send
from ..models import Membership, Organisation, User

ARCHIVE_FOLDER = "closure"
ARCHIVE_TASK = "tenants.tasks.build_closure_archive"
DONE_EMAIL_TASK = "tenants.tasks.send_closure_done_email"

# Public rows that higher apps keep about an organisation (the directory's listed
# campaigns), deleted in the closing transaction: each such app appends its function
# (called with the organisation's id) in its AppConfig.ready(), as tenants cannot import it.
PUBLIC_ROWS_DELETERS: list[Callable[[int], object]] = []
# Public rows deleted only when the organisation is closed for good (not at the request,
# which can still be cancelled): the Fullmobs profile's links to its participants, whose
# records go with its schema.
CLOSED_ROWS_DELETERS: list[Callable[[int], object]] = []


def organisation_media_root(organisation: Organisation) -> Path:
    """The organisation's uploaded and generated files (django-tenants' storage)."""
    return Path(settings.MEDIA_ROOT) / str(organisation.schema_name)


def closure_archive_path(organisation: Organisation) -> Path | None:
    """Where the export of the current closure request is (or will be) written."""
    if organisation.closure_requested_at is None:
        return None
    stamp = organisation.closure_requested_at.strftime("%Y%m%dT%H%M%S")
    return (organisation_media_root(organisation) / ARCHIVE_FOLDER
            / f"{organisation.slug}-export-{stamp}.zip")


def closure_archive_ready(organisation: Organisation) -> bool:
    path = closure_archive_path(organisation)
    return path is not None and path.is_file()


def is_closing(organisation: Organisation) -> bool:
    return organisation.closure_requested_at is not None and organisation.closed_at is None


def _require_owner(organisation: Organisation, user: User) -> None:
    if not Membership.objects.filter(organisation=organisation, user=user,
                                     role=Role.OWNER).exists():
        raise DomainError({"confirmation": [_("Only an owner can close the organisation.")]})


def organisation_closure_request(*, organisation: Organisation, user: User,
                                 confirmation: str, now: datetime | None = None
                                 ) -> Organisation:
    """Ask for the organisation to be closed after ORGANISATION_CLOSURE_GRACE_DAYS. The
    confirmation is the space's address (``slug`` or its full host name)."""
    now = now or timezone.now()
    _require_owner(organisation, user)
    typed = confirmation.strip().lower().removeprefix("https://").removeprefix("http://")
    if typed.rstrip("/") not in (organisation.slug, organisation.primary_host):
        raise DomainError({"confirmation": [
            _("Type the address of the space exactly: %(slug)s") % {"slug": organisation.slug}]})
    due = now + timedelta(days=settings.ORGANISATION_CLOSURE_GRACE_DAYS)
    with transaction.atomic():
        changed = Organisation.objects.filter(
            pk=organisation.pk, closure_requested_at__isnull=True, closed_at__isnull=True,
        ).update(closure_requested_at=now, closure_requested_by=user, closure_due_at=due)
        if not changed:
            raise DomainError({"confirmation": [
                _("The closure of this organisation is already requested.")]})
        # Out of public view from the request on (a cancelled closure is listed again by
        # the next resync of its listed campaigns).
        for delete_rows in PUBLIC_ROWS_DELETERS:
            delete_rows(organisation.pk)
        enqueue_on_commit(ARCHIVE_TASK, organisation.pk)
    organisation.refresh_from_db()
    return organisation


def organisation_closure_cancel(*, organisation: Organisation, user: User,
                                now: datetime | None = None) -> Organisation:
    """Cancel a requested closure before it is due: everything is back as before (the
    export prepared for it is deleted)."""
    now = now or timezone.now()
    _require_owner(organisation, user)
    archive = closure_archive_path(organisation)
    with transaction.atomic():
        changed = Organisation.objects.filter(
            pk=organisation.pk, closure_requested_at__isnull=False, closed_at__isnull=True,
            closure_due_at__gt=now,
        ).update(closure_requested_at=None, closure_requested_by=None, closure_due_at=None)
        if not changed:
            raise DomainError({"confirmation": [
                _("There is no closure to cancel any more.")]})
        if archive is not None:
            call_on_commit(_remove_file, archive)
    organisation.refresh_from_db()
    return organisation


def _remove_file(path: Path) -> None:
    path.unlink(missing_ok=True)


def organisations_close_due(*, now: datetime | None = None) -> list[str]:
    """The daily task (public schema): close every organisation whose closure is due.
    Returns the slugs closed.

    Order, so that a failure anywhere leaves what the next run finishes: the files first
    (removing a folder already gone is a no-op), then one transaction that drops the schema
    (PostgreSQL's DDL is transactional), removes domains, memberships, invitations and
    consultants' assignments and marks the row closed; the owners' e-mail is queued on
    its commit. A run that fails before the commit leaves the organisation due, so the
    next run does it all again."""
    now = now or timezone.now()
    closed: list[str] = []
    due = Organisation.objects.clients().filter(
        closure_requested_at__isnull=False, closure_due_at__lte=now, closed_at__isnull=True)
    for organisation in due.only("pk", "schema_name"):
        shutil.rmtree(organisation_media_root(organisation), ignore_errors=True)
        slug = _close_one(organisation.pk, now)
        if slug:
            closed.append(slug)
    return closed


def closure_archives_requeue(*, now: datetime | None = None,
                             after: timedelta = timedelta(hours=1)) -> list[str]:
    """The daily task's safety net (public schema): a closing organisation whose export is
    still missing an hour after the request (its worker gave up) gets it queued again.
    Returns the slugs queued."""
    from django_tenants.utils import tenant_context

    now = now or timezone.now()
    queued: list[str] = []
    closing = Organisation.objects.clients().filter(
        closure_requested_at__lte=now - after, closure_due_at__gt=now, closed_at__isnull=True)
    for organisation in closing:
        if closure_archive_ready(organisation):
            continue
        with tenant_context(organisation):
            enqueue_on_commit(ARCHIVE_TASK, organisation.pk)
        queued.append(str(organisation.slug))
    return queued


def _close_one(pk: int, now: datetime) -> str | None:
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().filter(
            pk=pk, closure_requested_at__isnull=False, closure_due_at__lte=now,
            closed_at__isnull=True).first()
        if locked is None:  # cancelled or closed meanwhile
            return None
        owners = list(Membership.objects.filter(organisation=locked, role=Role.OWNER)
                      .values_list("user__email", "user__preferred_language"))
        schema_drop(locked.schema_name)
        # Its finished campaigns' anonymous trajectories leave the forecasts' references.
        references_of_organisation_delete(schema=locked.schema_name)
        for delete_rows in (*PUBLIC_ROWS_DELETERS, *CLOSED_ROWS_DELETERS):
            delete_rows(locked.pk)
        locked.domains.all().delete()
        locked.memberships.all().delete()
        locked.invitations.all().delete()
        locked.consultant_assignments.all().delete()
        Organisation.objects.filter(pk=locked.pk).update(
            status=Organisation.Status.CLOSED, closed_at=now)
        for email, language in owners:
            enqueue_on_commit(DONE_EMAIL_TASK, locked.pk, email, language)
        return str(locked.slug)


def schema_drop(schema_name: str) -> None:
    """DROP SCHEMA ... CASCADE; never the public or template schema."""
    if not schema_name or schema_name in (settings.PUBLIC_SCHEMA_NAME,
                                          settings.TENANT_TEMPLATE_SCHEMA):
        raise ValueError(f"refusing to drop schema {schema_name!r}")
    quoted = connection.ops.quote_name(schema_name)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quoted} CASCADE")


def closure_done_email_send(*, organisation: Organisation, email: str, language: str) -> None:
    language = language or organisation.locale
    with translation.override(language):
        account_email_send(
            subject=_("%(name)s is closed") % {"name": organisation.name},
            body=
            _("The organisation %(name)s is now closed, as requested on %(date)s: its space, "
              "its participants' data and its files are deleted. Invoices stay available from "
              "Fullmobs on request.\n\nThank you for the actions you ran with Fullmobs.")
            % {"name": organisation.name,
               "date": (organisation.closure_requested_at or timezone.now()).date()
               .isoformat()},
            to=email, language=language)
