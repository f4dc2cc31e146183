"""Writing the visitor's session inside the transaction of the write it belongs to."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date


def session_save_now(request: HttpRequest, response: HttpResponse) -> None:
    """Save the session now and set its cookie on ``response``, as SessionMiddleware would
    after the view; call it inside the transaction of the write the session remembers.

    Otherwise the middleware saves it after that transaction has committed, and a database
    lost in between (a restart) turns a recorded sign-up into an error page: the visitor,
    told to try again, would find it already made. Here both commit together, or neither
    does. The middleware then has nothing left to save."""
    session = request.session
    if not session.modified or session.is_empty():
        return
    session.save()
    session.modified = False
    if session.get_expire_at_browser_close():
        max_age: int | None = None
        expires: str | None = None
    else:
        max_age = session.get_expiry_age()
        expires = http_date(time.time() + max_age)
    assert session.session_key is not None  # saved just above
    response.set_cookie(
        settings.SESSION_COOKIE_NAME, session.session_key, max_age=max_age, expires=expires,
        domain=settings.SESSION_COOKIE_DOMAIN, path=settings.SESSION_COOKIE_PATH,
        # As SessionMiddleware writes them: None and False mean the same to set_cookie.
        secure=settings.SESSION_COOKIE_SECURE or None,  # type: ignore[arg-type]
        httponly=settings.SESSION_COOKIE_HTTPONLY or None,  # type: ignore[arg-type]
        samesite=settings.SESSION_COOKIE_SAMESITE)
    patch_vary_headers(response, ("Cookie",))
