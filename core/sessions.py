"""Writing the visitor's session inside the transaction of the write it belongs to."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import router
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.crypto import get_random_string
from django.utils.http import http_date

KEY_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789"  # as Django's session keys


def session_save_now(request: HttpRequest) -> None:
    """Save the session now; call it inside the transaction of the write the session
    remembers, then ``session_cookie_set`` on the response.

    Otherwise SessionMiddleware saves it after that transaction has committed, and a
    database lost in between (a restart) turns a recorded sign-up into an error page: the
    visitor, told to try again, would find it already made. Here both commit together, or
    neither does. The middleware then has nothing left to save.

    A new session of the database store is one INSERT: its key is 32 random characters
    (165 bits), so it is not first looked up the way Django's ``create()`` does (a query
    and a savepoint more); the primary key still refuses a collision, as a database error."""
    session = request.session
    if not session.modified or session.is_empty():
        return
    if isinstance(session, DatabaseSessionStore) and session.session_key is None:
        session._session_key = get_random_string(32, KEY_CHARACTERS)
        row: AbstractBaseSession = session.create_model_instance(
            session._get_session(no_load=True))  # type: ignore[attr-defined]
        row.save(force_insert=True, using=router.db_for_write(type(row), instance=row))
    else:
        session.save()
    session.modified = False


def session_cookie_set(request: HttpRequest, response: HttpResponse) -> None:
    """The cookie of a session ``session_save_now`` saved, as SessionMiddleware writes it."""
    session = request.session
    if session.session_key is None:
        return
    if session.get_expire_at_browser_close():
        max_age: int | None = None
        expires: str | None = None
    else:
        max_age = session.get_expiry_age()
        expires = http_date(time.time() + max_age)
    response.set_cookie(
        settings.SESSION_COOKIE_NAME, session.session_key, max_age=max_age, expires=expires,
        domain=settings.SESSION_COOKIE_DOMAIN, path=settings.SESSION_COOKIE_PATH,
        # As SessionMiddleware writes them: None and False mean the same to set_cookie.
        secure=settings.SESSION_COOKIE_SECURE or None,  # type: ignore[arg-type]
        httponly=settings.SESSION_COOKIE_HTTPONLY or None,  # type: ignore[arg-type]
        samesite=settings.SESSION_COOKIE_SAMESITE)
    patch_vary_headers(response, ("Cookie",))



def session_forget_unsaved(request: HttpRequest) -> None:
    """After ``session_save_now`` in a transaction that then rolled back: the session as
    the database has it again. A new one is forgotten (its row is gone, no cookie is sent);
    an existing one is read again from its row when next used."""
    session = request.session
    if session.session_key is not None and \
            session.session_key == request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        if hasattr(session, "_session_cache"):
            del session._session_cache
    else:
        session.clear()
        session._session_key = None
    session.modified = False
