"""Demo data for `make run`: a company, a local authority, their people and programmes.

Idempotent: a second run finds everything in place and only prints the logins again.
"""

from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Programme
from tenants.models import ConsultantAssignment, Membership, Organisation, Role, User
from tenants.services import provision_organisation

DEMO_PASSWORD = "mobilise-demo-2026"  # noqa: S105 - printed to the console on purpose

ORGANISATIONS = [
    {
        "slug": "acme",
        "name": "Acme Industries",
        "kind": Organisation.Kind.COMPANY,
        "locale": "en",
        "status": Organisation.Status.ACTIVE,
        "people": [("owner@acme.example", "Claire Martin", Role.OWNER),
                   ("manager@acme.example", "Hugo Bernard", Role.MANAGER),
                   ("viewer@acme.example", "Inès Petit", Role.VIEWER)],
        "programmes": [
            ("Values Day 2027", "One day a year where every site gives time to a local cause.",
             30, 60, 400),
            ("Beach clean-up season", "Employees and their families clean the coast.",
             -20, 90, 250),
        ],
    },
    {
        "slug": "villeneuve",
        "name": "Ville de Villeneuve-sur-Mer",
        "kind": Organisation.Kind.LOCAL_AUTHORITY,
        "locale": "fr",
        "status": Organisation.Status.TRIAL,
        "people": [("owner@villeneuve.example", "Sophie Laurent", Role.OWNER),
                   ("agent@villeneuve.example", "Karim Haddad", Role.MANAGER)],
        "programmes": [
            ("Villeneuve en vert", "Programme municipal de végétalisation des quartiers.",
             10, 180, 1200),
        ],
    },
]
CONSULTANT = ("consultant@fullmobs.example", "Julie Moreau")
ADMIN = ("admin@fullmobs.example", "Fullmobs admin")


def _user(email: str, name: str, **extra) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": name, **extra}
    )
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


class Command(BaseCommand):
    help = "Create (or find) the demo organisations and logins, and print them."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo data is for development machines only.")
        consultant = _user(*CONSULTANT, is_consultant=True)
        _user(*ADMIN, is_staff=True, is_superuser=True)
        lines = []
        for spec in ORGANISATIONS:
            organisation = Organisation.objects.filter(slug=spec["slug"]).first()
            owner_email, owner_name, _ = spec["people"][0]
            if organisation is None:
                # The demo's owners have their passwords: no welcome e-mail on the console.
                with override_settings(
                    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
                ):
                    organisation = provision_organisation(
                        name=spec["name"], slug=spec["slug"], kind=spec["kind"],
                        locale=spec["locale"], owner_email=owner_email,
                        owner_password=DEMO_PASSWORD, owner_name=owner_name,
                        status=spec["status"],
                    )
                self._populate(organisation, spec, consultant)
            for email, _name, role in spec["people"]:
                lines.append(f"{organisation.absolute_url('/'):<40} {email} / {DEMO_PASSWORD}"
                             f"  ({role})")
            lines.append(f"{organisation.absolute_url('/'):<40} {CONSULTANT[0]} / "
                         f"{DEMO_PASSWORD}  (consultant)")
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        public = f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}/"
        lines.append(f"{public + 'admin/':<40} {ADMIN[0]} / {DEMO_PASSWORD}  (staff)")
        self.stdout.write("\n".join(lines))

    @transaction.atomic
    def _populate(self, organisation, spec, consultant):
        for email, name, role in spec["people"][1:]:
            user = _user(email, name, preferred_language=spec["locale"])
            Membership.objects.get_or_create(user=user, organisation=organisation,
                                             defaults={"role": role})
        ConsultantAssignment.objects.get_or_create(consultant=consultant,
                                                   organisation=organisation)
        today = timezone.localdate()
        with tenant_context(organisation):
            for name, description, start, length, target in spec["programmes"]:
                starts_on: date = today + timedelta(days=start)
                Programme.objects.get_or_create(
                    name=name,
                    defaults={"description": description, "starts_on": starts_on,
                              "ends_on": starts_on + timedelta(days=length),
                              "participant_target": target},
                )
