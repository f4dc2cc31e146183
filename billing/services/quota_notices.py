"""Owners told, once a month, that their campaigns have filled the plan's participants
quota (engagement.services.quota records it with the join that takes the last place)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.roles import Role
from core.tenancy import enqueue_on_commit
from tenants.email_html import account_email_send
from tenants.models import Membership, Organisation

from ..catalogue import options
from ..codes import Option
from ..models import QuotaNoticeEmail, QuotaReachedNotice


def quota_reached_record(*, organisation: Organisation, month: date,
                         participants: int) -> bool:
    """Inside the transaction of the join that fills the quota: the month's notice, and
    the e-mail to the owners queued for after the commit. False when already recorded."""
    notice, created = QuotaReachedNotice.objects.get_or_create(
        organisation=organisation, month=month.replace(day=1),
        defaults={"participants": participants})
    if created:
        # By its registered name: billing.tasks imports the services.
        enqueue_on_commit("billing.tasks.tell_owners_quota_reached", notice.pk)
    return created


def quota_reached_tell_owners(*, notice_id: int) -> int:
    """Queue the notice's e-mail to each owner once (a row per owner whose unique
    ``dedupe_key`` is ``quota:<notice>:<user>``; a retried task finds them queued), each
    sent after the commit. The number of e-mails queued now."""
    queued = 0
    with transaction.atomic():
        notice = (QuotaReachedNotice.objects.select_for_update(of=("self",))
                  .filter(pk=notice_id, sent_at__isnull=True).first())
        if notice is None:
            return 0
        for membership in Membership.objects.filter(
                organisation_id=notice.organisation_id, role=Role.OWNER).select_related("user"):
            email, created = QuotaNoticeEmail.objects.get_or_create(
                dedupe_key=f"quota:{notice.pk}:{membership.user_id}",
                defaults={"notice": notice, "user": membership.user})
            if created:
                queued += 1
                enqueue_on_commit("billing.tasks.send_quota_notice_email", email.pk)
    return queued


def quota_notice_email_send(*, email_id: int) -> bool:
    """Send one owner's e-mail in their language, with Fullmobs' account frame, once: the
    row is locked while it is sent and marked sent before the lock is released. The
    notice counts as sent when its last owner's e-mail is. False when already sent."""
    with transaction.atomic():
        email = (QuotaNoticeEmail.objects.select_for_update(of=("self",))
                 .select_related("notice__organisation", "user")
                 .filter(pk=email_id, sent_at__isnull=True).first())
        if email is None:
            return False
        notice, user = email.notice, email.user
        organisation = notice.organisation
        # The tenant's billing page (the worker's URLconf is the public site's).
        link = organisation.absolute_url(f"/billing/?option={Option.EXTRA_PARTICIPANTS}")
        option = options()[Option.EXTRA_PARTICIPANTS]
        language = user.preferred_language or organisation.locale
        with translation.override(language):
            account_email_send(
                subject=_("Fullmobs: new people can no longer join %(name)s's campaigns "
                          "this month") % {"name": organisation.name},
                body=_(
                    "Hello,\n\n%(count)s people have joined your campaigns this month: "
                    "that is the number your plan includes, so new people cannot join "
                    "until next month. People already signed up keep their place.\n\n"
                    "With the “%(option)s” option, everyone can join and each extra "
                    "person active in the month is billed:\n%(url)s\n\n— Fullmobs") % {
                    "count": notice.participants,
                    "option": option.name.get(language[:2], option.name["en"]),
                    "url": link},
                to=user.email, language=language)
        now = timezone.now()
        email.sent_at = now
        email.save(update_fields=["sent_at"])
        QuotaReachedNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).exclude(
            Exists(QuotaNoticeEmail.objects.filter(notice=OuterRef("pk"),
                                                   sent_at__isnull=True))
        ).update(sent_at=now)
    return True
