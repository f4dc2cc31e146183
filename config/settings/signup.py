"""Self-service sign-up (docs/security.md, "Sign-up")."""

import os

# Days an owner has to confirm their address; a space never confirmed is then dropped.
SIGNUP_UNVERIFIED_MAX_DAYS = int(os.environ.get("SIGNUP_UNVERIFIED_MAX_DAYS", "7"))

# Counted by tenants.throttle per client address and per subject: sign-ups per owner
# e-mail address (nobody can have a stranger's mailbox flooded with confirmations), and
# "send the link again" per space.
SIGNUP_THROTTLE_RATES = {
    "signup": {"address": os.environ.get("SIGNUP_RATE_LIMIT", "5/hour"),
               "subject": os.environ.get("SIGNUP_EMAIL_RATE_LIMIT", "3/day")},
    "signup_resend": {"address": os.environ.get("SIGNUP_RESEND_RATE_LIMIT", "10/hour"),
                      "subject": os.environ.get("SIGNUP_RESEND_SPACE_RATE_LIMIT", "3/hour")},
}
