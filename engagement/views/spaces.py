"""\"My spaces\" on the public site: every organisation one can enter, with its state (open
campaigns, pledges this month; for consultants their last visit and the time they logged)."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from billing.models import ConsultantTime
from core.roles import Role
from tenants.models import ConsultantAccess, Membership, Organisation

from ..models import Campaign, Pledge


@login_required
def my_spaces(request):
    """Every organisation the user can enter: memberships, and assignments for consultants,
    each with its state (status, open campaigns, pledges this month; for consultants their
    last visit and the accompaniment time they logged)."""
    organisations = Organisation.objects.clients().filter(memberships__user=request.user)
    if request.user.is_consultant:
        organisations = organisations | Organisation.objects.clients().filter(
            consultant_assignments__consultant=request.user
        )
    organisations = list(organisations.distinct().order_by("name"))
    return render(request, "engagement/my_spaces.html", {
        "organisations": organisations,
        "spaces": _space_states(request.user, organisations),
        "consultant_view": request.user.is_consultant,
    })


def _space_states(user, organisations: list[Organisation]) -> list[dict]:
    """The public figures in a few grouped queries, then one query per space in its own
    schema (tenant_context): the page costs a constant plus one query per space."""
    ids = [organisation.pk for organisation in organisations]
    roles = dict(Membership.objects.filter(user=user, organisation_id__in=ids)
                 .values_list("organisation_id", "role"))
    last_visits, minutes = {}, {}
    if user.is_consultant:
        last_visits = dict(ConsultantAccess.objects.filter(
            consultant=user, organisation_id__in=ids).values("organisation_id")
            .annotate(last=Max("entered_at")).values_list("organisation_id", "last"))
        minutes = dict(ConsultantTime.objects.filter(
            consultant=user, organisation_id__in=ids).values("organisation_id")
            .annotate(total=Sum("minutes")).values_list("organisation_id", "total"))
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0,
                                               microsecond=0)
    # Both counts in one statement per schema; table names come from the models.
    sql = (f"SELECT (SELECT count(*) FROM {Campaign._meta.db_table} WHERE status = %s), "  # noqa: S608
           f"(SELECT count(*) FROM {Pledge._meta.db_table} "
           f"WHERE status = %s AND created_at >= %s)")
    spaces = []
    for organisation in organisations:
        open_campaigns = pledges = None
        if organisation.status != Organisation.Status.CLOSED:
            with tenant_context(organisation), connection.cursor() as cursor:
                cursor.execute(sql, [Campaign.Status.OPEN, Pledge.Status.CONFIRMED,
                                     month_start])
                open_campaigns, pledges = cursor.fetchone()
        role = roles.get(organisation.pk)
        spaces.append({
            "organisation": organisation,
            "role": Role(role).label if role else _("Consultant"),
            "open_campaigns": open_campaigns, "pledges_this_month": pledges,
            "last_visit": last_visits.get(organisation.pk),
            "minutes_logged": minutes.get(organisation.pk) or 0,
        })
    return spaces
