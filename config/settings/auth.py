"""Logins and sessions: lockout of password guessing, two-factor, session lifetimes.

Imported after ``config.settings.base``; it adds its apps and middleware to the lists
defined there (docs/security.md, "Logins and sessions", says what each setting does).
"""

import os
from datetime import timedelta

from .base import INSTALLED_APPS, MIDDLEWARE, SHARED_APPS

_AUTH_APPS = ["axes", "django_otp", "django_otp.plugins.otp_totp"]
for _app in _AUTH_APPS:  # public schema: users, their devices and the attempts are global
    if _app not in SHARED_APPS:
        SHARED_APPS.append(_app)
    if _app not in INSTALLED_APPS:
        INSTALLED_APPS.append(_app)

_after_auth = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
for _middleware in reversed([
    "django_otp.middleware.OTPMiddleware",
    # Idle and absolute time-outs, the list of one's sessions, the two-factor gate.
    "tenants.sessions.SessionPolicyMiddleware",
]):
    if _middleware not in MIDDLEWARE:
        MIDDLEWARE.insert(_after_auth, _middleware)
if "axes.middleware.AxesMiddleware" not in MIDDLEWARE:
    MIDDLEWARE.append("axes.middleware.AxesMiddleware")

# Axes first: it refuses a locked-out username+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# ---- lockout (django-axes) ----------------------------------------------------------------
# After LOGIN_FAILURE_LIMIT wrong passwords for one e-mail from one address, that pair is
# locked for LOGIN_LOCKOUT_MINUTES; each new lockout of the pair within a day doubles it,
# up to LOGIN_LOCKOUT_MAX_HOURS. Another address, or the right person elsewhere, is not
# locked out by someone guessing.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
LOGIN_LOCKOUT_MAX_HOURS = int(os.environ.get("LOGIN_LOCKOUT_MAX_HOURS", "24"))
AXES_COOLOFF_TIME = "tenants.auth.lockout_cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "tenants.auth.lockout_username"
AXES_CLIENT_IP_CALLABLE = "tenants.auth.lockout_client_address"
AXES_LOCKOUT_CALLABLE = "tenants.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# Password reset e-mails, per client address and per address asked for (tenants.throttle).
from .base import THROTTLE_RATES  # noqa: E402

THROTTLE_RATES.setdefault("password_reset", {
    "address": os.environ.get("PASSWORD_RESET_RATE_LIMIT", "10/hour"),
    "subject": os.environ.get("PASSWORD_RESET_EMAIL_RATE_LIMIT", "3/hour")})

# ---- two-factor (django-otp, TOTP) --------------------------------------------------------
OTP_TOTP_ISSUER = "Fullmobs"
OTP_TOTP_THROTTLE_FACTOR = 1  # 1 s, 2 s, 4 s… between attempts after each wrong code
# A password re-entered this recently counts for changing e-mail, password or two-factor.
REAUTHENTICATION_MINUTES = int(os.environ.get("REAUTHENTICATION_MINUTES", "10"))

# ---- sessions ------------------------------------------------------------------------------
# A session ends after SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS
# after its login, whatever happens in between.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "120"))
SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
SESSION_COOKIE_AGE = int(timedelta(hours=SESSION_ABSOLUTE_HOURS).total_seconds())

from .base import LOGGING  # noqa: E402

LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # one line per attempt otherwise
