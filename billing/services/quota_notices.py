"""Owners told, once a month, that their campaigns have filled the plan's participants
quota (engagement.services.quota records it with the join that takes the last place)."""

from __future__ import annotations

from datetime import date

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.roles import Role
from core.tenancy import enqueue_on_commit
from tenants.models import Membership, Organisation

from ..catalogue import options
from ..codes import Option
from ..models import QuotaReachedNotice


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


def quota_reached_tell_owners(*, notice_id: int) -> bool:
    """E-mail each owner once, in their language (a retried task finds it already sent)."""
    with transaction.atomic():
        notice = (QuotaReachedNotice.objects.select_for_update(of=("self",))
                  .select_related("organisation")
                  .filter(pk=notice_id, sent_at__isnull=True).first())
        if notice is None:
            return False
        organisation = notice.organisation
        # The tenant's billing page (the worker's URLconf is the public site's).
        link = organisation.absolute_url(f"/billing/?option={Option.EXTRA_PARTICIPANTS}")
        option = options()[Option.EXTRA_PARTICIPANTS]
        for membership in Membership.objects.filter(
                organisation=organisation, role=Role.OWNER).select_related("user"):
            language = membership.user.preferred_language or organisation.locale
            with translation.override(language):
                send_mail(
                    subject=_("Fullmobs: new people can no longer join %(name)s's campaigns "
                              "this month") % {"name": organisation.name},
                    message=_(
                        "Hello,\n\n%(count)s people have joined your campaigns this month: "
                        "that is the number your plan includes, so new people cannot join "
                        "until next month. People already signed up keep their place.\n\n"
                        "With the “%(option)s” option, everyone can join and each extra "
                        "person active in the month is billed:\n%(url)s\n\n— Fullmobs") % {
                        "count": notice.participants,
                        "option": option.name.get(language[:2], option.name["en"]),
                        "url": link},
                    from_email=None, recipient_list=[membership.user.email])
        notice.sent_at = timezone.now()
        notice.save(update_fields=["sent_at"])
    return True
