"""Fullmobs settings, read from the environment (12-factor).

Development has safe defaults; with ``DJANGO_ENV=production`` the process refuses to start
without its secrets. The common settings are in ``base``; integrations live in their own small
modules, each reading ``base`` (never this package), imported after it.
"""

from .base import *  # noqa: F403, I001  (first: every module below reads it)
from .auth import *  # noqa: E402, F403
from .celery import *  # noqa: E402, F403
from .database import *  # noqa: E402, F403
from .directory import *  # noqa: E402, F403
from .email import *  # noqa: E402, F403
from .privacy import *  # noqa: E402, F403
from .signup import *  # noqa: E402, F403
from .stripe import *  # noqa: E402, F403

# Sign-up's throttles join the others (tenants.throttle reads THROTTLE_RATES).
THROTTLE_RATES = {**globals().get("THROTTLE_RATES", {}), **SIGNUP_THROTTLE_RATES}  # noqa: F405

# Last: production's refusals and headers read what every module above decided.
from .security import *  # noqa: E402, F403, I001
# After security, whose middleware list it wraps: probes, metrics, logs, Sentry.
from .ops import *  # noqa: E402, F403, I001
