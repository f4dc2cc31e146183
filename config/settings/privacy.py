"""Personal data: who processes it for the organisations (their register), and closing an
organisation (docs/privacy.md, "Register" and "Closing an organisation")."""

import os

# Days between an owner's request to close the organisation and the deletion of its data;
# until then the space is read-only, the full export can be downloaded and the closure
# cancelled.
ORGANISATION_CLOSURE_GRACE_DAYS = int(os.environ.get("ORGANISATION_CLOSURE_GRACE_DAYS", "30"))

# Who sends the e-mails and hosts the service: shown in each organisation's register.
MAIL_PROVIDER = {
    "name": os.environ.get("MAIL_PROVIDER_NAME", "Brevo (Sendinblue SAS)"),
    "country": {"fr": os.environ.get("MAIL_PROVIDER_COUNTRY_FR", "France"),
                "en": os.environ.get("MAIL_PROVIDER_COUNTRY_EN", "France")},
}
HOSTING_PROVIDER = {
    "name": os.environ.get("HOSTING_PROVIDER_NAME", "Scaleway SAS"),
    "country": {"fr": os.environ.get("HOSTING_PROVIDER_COUNTRY_FR", "France"),
                "en": os.environ.get("HOSTING_PROVIDER_COUNTRY_EN", "France")},
}

# The sub-processors of every organisation's personal data: name, purpose, country (FR/EN).
SUBPROCESSORS = [
    {"name": HOSTING_PROVIDER["name"],
     "purpose": {"fr": "Hébergement de l’application, de la base de données et des fichiers",
                 "en": "Hosting of the application, the database and the files"},
     "country": HOSTING_PROVIDER["country"]},
    {"name": MAIL_PROVIDER["name"],
     "purpose": {"fr": "Envoi des e-mails (invitations, confirmations, rappels)",
                 "en": "Sending e-mails (invitations, confirmations, reminders)"},
     "country": MAIL_PROVIDER["country"]},
    {"name": "Stripe Payments Europe Ltd",
     "purpose": {"fr": "Facturation de l’abonnement (aucune donnée des participants)",
                 "en": "Subscription billing (no participant data)"},
     "country": {"fr": "Irlande", "en": "Ireland"}},
]
