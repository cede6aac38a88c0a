"""How long a signed-in session lasts, and how the page learns it (WCAG 2.2.1).

A session ends after `SESSION_COOKIE_AGE` without activity: every request of a
signed-in user slides it (`note_activity`), written at most once per
`SESSION_ACTIVITY_INTERVAL` so a busy page costs no session write per request. A
session never outlives `SESSION_MAX_LIFETIME` from the sign-in, however active; that
cap is longer than 20 hours, so it falls under WCAG 2.2.1's 20-hour exception, and the
page still warns before it. The browser closing ends the session as before
(`SESSION_EXPIRE_AT_BROWSER_CLOSE`).

The page is told the seconds left (`seconds_left`: on `<body>`, and in the
`Session-Expires-In` header of htmx answers); static/js/session.js warns
`SESSION_WARNING_SECONDS` before and offers to extend (`fravaer.views.session.session_extend`).
The stamps are epoch seconds in the session itself: the session is read anyway, so
knowing them costs no query.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

# Response header of htmx answers: whole seconds until the session ends.
HEADER = "Session-Expires-In"
_STARTED = "_fravaer_session_started"
_ACTIVE = "_fravaer_session_active"


def _now() -> float:
    return timezone.now().timestamp()


def note_activity(session: SessionBase, *, force: bool = False) -> None:
    """Slide the session's end to `SESSION_COOKIE_AGE` from now.

    Saving the session is what moves its expiry in the store (the backends count the
    age from the save), so the stamp is changed only when the last one is older than
    the interval, or when the user asked to extend (`force`).
    """
    now = _now()
    session.setdefault(_STARTED, now)
    last = session.get(_ACTIVE)
    if force or last is None or now - last >= settings.SESSION_ACTIVITY_INTERVAL:
        session[_ACTIVE] = now


def has_outlived_cap(session: SessionBase) -> bool:
    started = session.get(_STARTED)
    return started is not None and _now() - started >= settings.SESSION_MAX_LIFETIME


def seconds_left(session: SessionBase) -> int:
    """Seconds until the session ends: the idle age from the last stamp, or the cap,
    whichever comes first. Never more than the store's own expiry (the store's clock
    started at the same save or a later one)."""
    now = _now()
    active = session.get(_ACTIVE, now)
    started = session.get(_STARTED, now)
    end = min(active + settings.SESSION_COOKIE_AGE, started + settings.SESSION_MAX_LIFETIME)
    return max(0, int(end - now))
