"""Throttles for anonymous writes (join, address check, check-in, sign-up, password reset).

Each form that anyone may post without logging in counts its requests in the shared cache
(``settings.CACHES["default"]``: Redis or the database table, never one process's memory),
per client address and, where the form acts on one thing, per subject (a campaign): the
first stops one machine from sending a hundred confirmation e-mails, the second bounds
what many machines together can do to one campaign.

API (for every anonymous form, whoever writes it)::

    from tenants import throttle

    throttle.client_address(request) -> str
        The client's address: ``REMOTE_ADDR`` when ``settings.NUM_PROXIES`` is 0 (the
        default: a client-set ``X-Forwarded-For`` is never read), else the
        ``NUM_PROXIES``-th address from the right of ``X-Forwarded-For`` (the one the
        outermost of our proxies saw). IPv6 addresses count per /64 network.

    throttle.check(request, scope, *, subject=None) -> None
        Count one request; raises ``throttle.RateLimited`` when the client address has
        used up ``settings.THROTTLE_RATES[scope]["address"]``, or, with ``subject`` (any
        object with a ``pk``, or a string), when all clients together have used up
        ``settings.THROTTLE_RATES[scope]["subject"]`` for it. Every request is counted,
        including refused and invalid ones. Call it before validating the form.

    throttle.RateLimited(Exception)
        ``.wait`` (seconds until the window ends) and ``.message`` (a sentence in the
        active language, saying to try again later; naming the campaign when the
        subject is one). An HTML view answers it with its own
        page, the message shown as a form error and ``status=throttle.STATUS`` (429).

    throttle.check_api(request, scope, *, subject=None) -> None
        The same for a DRF view: raises ``rest_framework.exceptions.Throttled`` (429,
        ``Retry-After``, the message as the answer's ``message``).

Rates are ``"<count>/<period>"`` with period ``second``, ``minute``, ``hour`` or ``day``
(DRF's notation), each settable from the environment (see ``config/settings`` and
docs/security.md). A scope missing from ``THROTTLE_RATES``, or a rate of ``None``, is not
throttled. Counting is by fixed windows (``cache.add`` then ``cache.incr``): cheap, shared
by every web process, and at worst a burst of twice the rate across a window's edge.
Keys carry the organisation's schema (the cache's key function), so one organisation's
crowd never uses up another's allowance.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.translation import gettext as _

STATUS = 429
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RateLimited(Exception):  # noqa: N818 (a refusal, not a programming error)
    def __init__(self, *, wait: int, per_subject: bool, subject=None):
        self.wait = wait
        self.per_subject = per_subject
        self.subject = subject
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.per_subject and type(self.subject).__name__ == "Campaign":
            return _("Too many requests for this campaign at the moment: please try again "
                     "in a few minutes.")
        if self.per_subject:
            return _("Too many requests at the moment: please try again in a few minutes.")
        return _("Too many requests from your connection: please try again later.")


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"30/hour"`` → ``(30, 3600)``; None for no limit."""
    if not rate:
        return None
    count, _slash, period = rate.partition("/")
    return int(count), PERIODS[period.strip()[0].lower()]


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = int(getattr(settings, "NUM_PROXIES", 0) or 0)
    address = remote
    if proxies > 0:
        forwarded = [part.strip() for part in
                     request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            # Each of our proxies appends the address it received from; anything further
            # left was written by the client and proves nothing.
            address = forwarded[-min(proxies, len(forwarded))]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        # One subscriber gets a whole /64: counting single addresses would count nothing.
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _count(key: str, rate: tuple[int, int]) -> int | None:
    """Count one hit in the current window; the seconds left in it when over the limit."""
    limit, period = rate
    now = int(time.time())
    window = now // period
    key = f"throttle:{key}:{window}"
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip instead of three (Django's add, then incr's EXISTS and INCR):
        # every anonymous write pays it. MULTI: the key cannot expire between the two.
        # The value is the integer Django's Redis cache stores unpickled, so cache.get
        # reads it as usual.
        full_key = backend.make_and_validate_key(key)
        pipe = backend._cache.get_client(full_key, write=True).pipeline(transaction=True)
        pipe.set(full_key, 0, ex=period + 1, nx=True)
        pipe.incr(full_key)
        hits = int(pipe.execute()[1])
    else:
        cache.add(key, 0, timeout=period + 1)
        try:
            hits = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            hits = 1
    if hits > limit:
        return max(1, (window + 1) * period - now)
    return None


def _subject_key(subject) -> str:
    # Hashed too: a subject may be an e-mail address.
    value = hashlib.sha256(str(getattr(subject, "pk", subject)).encode()).hexdigest()[:32]
    return f"{type(subject).__name__.lower()}:{value}"


def check(request, scope: str, *, subject=None) -> None:
    rates = getattr(settings, "THROTTLE_RATES", {}).get(scope) or {}
    address_rate = parse_rate(rates.get("address"))
    if address_rate is not None:
        # Hashed: the cache holds no readable addresses.
        ident = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
        wait = _count(f"{scope}:address:{ident}", address_rate)
        if wait is not None:
            raise RateLimited(wait=wait, per_subject=False)
    subject_rate = parse_rate(rates.get("subject"))
    if subject is not None and subject_rate is not None:
        wait = _count(f"{scope}:subject:{_subject_key(subject)}", subject_rate)
        if wait is not None:
            raise RateLimited(wait=wait, per_subject=True, subject=subject)


def check_api(request, scope: str, *, subject=None) -> None:
    from rest_framework.exceptions import Throttled

    try:
        check(request, scope, subject=subject)
    except RateLimited as exc:
        raise Throttled(wait=exc.wait, detail=exc.message) from exc
