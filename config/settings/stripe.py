"""Stripe: billing works when STRIPE_SECRET_KEY is set; without it the billing pages say
that billing is not configured (the catalogue and entitlements still show)."""

import os

STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Tests point stripe-python at a local fake server; production leaves it empty.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "20"))
# Days between a failed payment and suspension (read-only, data kept).
BILLING_GRACE_DAYS = int(os.environ.get("BILLING_GRACE_DAYS", "14"))

# Who sells: printed on every quote (legal identity). The defaults are EXAMPLE values for
# the demo and tests only; a production deployment sets all four (docs/deployment.md).
SELLER_NAME = os.environ.get("SELLER_NAME", "Fullmobs SAS (example)")
SELLER_ADDRESS = os.environ.get("SELLER_ADDRESS", "1 rue de l'Exemple\n75001 Paris\nFrance")
SELLER_SIREN = os.environ.get("SELLER_SIREN", "000 000 000 (example)")
SELLER_VAT_NUMBER = os.environ.get("SELLER_VAT_NUMBER", "FR00000000000 (example)")
