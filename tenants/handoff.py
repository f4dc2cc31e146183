"""One-time links that carry a login from one host to another.

Sessions are per host (a login on acme.<domain> is no login on city.<domain>), so after a
sign-up on the public site, or from the "my spaces" list, the user is sent to the
organisation's host with a signed token valid for two minutes. It names the user, the
schema, and the user's last login time: logging in changes that time, so the token works
once.
"""

from __future__ import annotations

from django.core import signing

from .models import Organisation, User

SALT = "tenants.handoff"
MAX_AGE_SECONDS = 120


def _stamp(user: User) -> str:
    return user.last_login.isoformat() if user.last_login else ""


def make_handoff_url(user: User, organisation: Organisation, *,
                     verified: bool = False) -> str:
    """``verified``: the user proved their second factor in the session making the link."""
    token = signing.dumps({"u": user.pk, "s": organisation.schema_name, "l": _stamp(user),
                           "v": bool(verified)}, salt=SALT)
    return organisation.absolute_url(f"/accounts/handoff/{token}/")


def read_handoff(token: str, organisation: Organisation) -> User | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if data.get("s") != organisation.schema_name:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or _stamp(user) != data.get("l"):
        return None
    return user


def was_verified(token: str) -> bool:
    """Whether a hand-off (already accepted by ``read_handoff``) carries a second factor."""
    try:
        return bool(signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS).get("v"))
    except signing.BadSignature:
        return False
