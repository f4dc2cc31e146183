"""Demo data for `make run`: a company, a local authority, their people and programmes.

Idempotent: a second run finds everything in place and only prints the logins again.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.codes import Option, Plan
from billing.models import Subscription
from core.roles import Role
from demo import behaviour as behaviour_demo
from demo import engagement as engagement_demo
from demo import evidence as evidence_demo
from demo import experiments as experiments_demo
from demo import features as features_demo
from demo import forecasts as forecasts_demo
from demo import portfolio as portfolio_demo
from engagement.models import Programme, ProgrammeStep
from engagement.services import programme_create_from_template, step_set_status
from methodology.models import Template
from methodology.selectors import latest_published, version_document
from methodology.services import draft_create, draft_update, library_load, version_publish
from tenants.models import ConsultantAssignment, Membership, Organisation, User
from tenants.services import organisation_provision

DEMO_PASSWORD = "mobilise-demo-2026"  # noqa: S105 - printed to the console on purpose

ORGANISATIONS = [
    {
        "slug": "acme",
        "name": "Acme Industries",
        "kind": Organisation.Kind.COMPANY,
        "locale": "en",
        "status": Organisation.Status.ACTIVE,
        "email_domain": "acme.example",
        "teams": (["Finance", "IT", "Sales", "Operations", "HR", "Marketing"], "department",
                  ["Lyon", "Paris", "Nantes"], 260),
        "people": [("owner@acme.example", "Claire Martin", Role.OWNER),
                   ("manager@acme.example", "Hugo Bernard", Role.MANAGER),
                   ("viewer@acme.example", "Inès Petit", Role.VIEWER)],
        # (template, programme name, start in days from today, action day, end, target)
        "programmes": [
            ("values-day", "Values Day 2027", -50, 20, 65, 400),
            ("beach-clean-up", "Beach clean-up with our customers", -10, 32, 125, 150),
        ],
    },
    {
        "slug": "villeneuve",
        "name": "Ville de Villeneuve-sur-Mer",
        "kind": Organisation.Kind.LOCAL_AUTHORITY,
        "locale": "fr",
        "status": Organisation.Status.TRIAL,
        "email_domain": "villeneuve.example",
        "teams": (["Centre-ville", "Les Pins", "Le Port", "La Gare", "Bellevue"],
                  "neighbourhood", ["Villeneuve-sur-Mer"], 200),
        "people": [("owner@villeneuve.example", "Sophie Laurent", Role.OWNER),
                   ("agent@villeneuve.example", "Karim Haddad", Role.MANAGER)],
        "programmes": [
            ("municipal-greening", "Villeneuve en vert", -40, 25, 115, 300),
            ("road-safety-prevention", "Tous prudents à Villeneuve", 5, 60, 150, 150),
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
        report = library_load()
        lines = [f"Methodology library: {len(report.created)} created, {len(report.updated)} "
                 f"updated, {len(report.unchanged)} unchanged.", ""]
        for spec in ORGANISATIONS:
            organisation = Organisation.objects.filter(slug=spec["slug"]).first()
            owner_email, owner_name, _ = spec["people"][0]
            if organisation is None:
                # The demo's owners have their passwords: no welcome e-mail on the console.
                with override_settings(
                    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
                ):
                    organisation = organisation_provision(
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
        evidence_demo.seed()  # evidence across organisations: synthetic ones + the nightly pass
        forecasts_demo.seed()  # finished U-shaped trajectories, forecasts, one at risk
        portfolio_demo.seed()  # the consultant's portfolio: stored forecasts, a report to comment
        experiments_demo.seed()  # lever experiments on acme: one concluded, one running
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        public = f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{port}/"
        lines.append(f"{public + 'console/':<40} {CONSULTANT[0]} / {DEMO_PASSWORD}"
                     f"  (methodology console)")
        lines.append(f"{public + 'admin/':<40} {ADMIN[0]} / {DEMO_PASSWORD}  (staff)")
        self.stdout.write("\n".join(lines))

    @transaction.atomic
    def _populate(self, organisation, spec, consultant):
        if spec["status"] == Organisation.Status.ACTIVE:
            # Without Stripe keys the demo company is shown on a paid plan with options.
            Subscription.objects.get_or_create(organisation=organisation, defaults={
                # Every paid option, so that the demo shows each one somewhere.
                "plan": Plan.PROFESSIONAL, "options": sorted(Option),
                "stripe_status": "active"})
        for email, name, role in spec["people"][1:]:
            user = _user(email, name, preferred_language=spec["locale"])
            Membership.objects.get_or_create(user=user, organisation=organisation,
                                             defaults={"role": role})
        ConsultantAssignment.objects.get_or_create(consultant=consultant,
                                                   organisation=organisation)
        today = timezone.localdate()
        with tenant_context(organisation):
            for slug, name, start, action, end, target in spec["programmes"]:
                if Programme.objects.filter(name=name).exists():
                    continue
                version = latest_published(Template.objects.get(slug=slug))
                programme = programme_create_from_template(
                    version=version, name=name, starts_on=today + timedelta(days=start),
                    action_date=today + timedelta(days=action),
                    ends_on=today + timedelta(days=end), participant_target=target)
                # The first steps are done, one is under way; later ones may be overdue.
                steps = list(programme.steps.order_by("position"))
                past = [step for step in steps if step.due_at.date() < today]
                for step in past[:-2]:
                    step_set_status(step=step, status=ProgrammeStep.Status.DONE)
                if past[-2:-1]:
                    step_set_status(step=past[-2], status=ProgrammeStep.Status.IN_PROGRESS)
            names, kind, sites, people = spec["teams"]
            engagement_demo.seed(domain=spec["email_domain"], teams=names, team_kind=kind,
                                 sites=sites, people=people, seed_value=len(spec["slug"]))
            features_demo.seed(organisation=organisation, consultant=consultant,
                               company=spec["slug"] == "acme")
            behaviour_demo.seed(company=spec["slug"] == "acme")  # D+0/D+90 answers, returns
        if not organisation.allowed_email_domains:
            organisation.allowed_email_domains = [spec["email_domain"]]
            organisation.save(update_fields=["allowed_email_domains"])
        if spec["slug"] == "acme":
            self._publish_newer_values_day(consultant)

    @staticmethod
    def _publish_newer_values_day(consultant):
        """A consultant's v2 of the values-day template, so that Acme's programme shows
        'a newer version is available' and what changed."""
        template = Template.objects.get(slug="values-day")
        if template.versions.count() > 1:
            return
        draft = draft_create(template=template, user=consultant)
        doc = version_document(draft)
        step = doc["phases"][0]["steps"][0]
        step["guidance"]["fr"] += (" Nouveau : associez dès ce moment deux ou trois salariés "
                                   "volontaires de chaque site, ils porteront la mobilisation.")
        step["guidance"]["en"] += (" New: bring two or three volunteer employees from each "
                                   "site on board now; they will carry the mobilisation.")
        draft_update(version=draft, doc=doc)
        version_publish(version=draft, user=consultant)
