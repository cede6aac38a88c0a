"""Template context every page needs: the unread count behind the header's inbox link,
and how long the session has left.

The count is cached per user for a short time, so a page costs no query for it on a
warm cache (the class register is held to a fixed number of queries). Marking
notifications read deletes the key; the engine raising new notifications does not,
which is why the time to live is short.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.cache import cache as django_cache
from django.http import HttpRequest

from fravaer import access
from fravaer import session_expiry as expiry

UNREAD_TTL_SECONDS = 60


def _unread_key(user) -> str:
    # The primary key alone is reused when a database is rebuilt (demo reseeding,
    # tests); the moment the user joined tells two such users apart.
    return f"fravaer:inbox-unread:{user.pk}:{user.date_joined.timestamp():.6f}"


def unread_count(user) -> int:
    key = _unread_key(user)
    count = django_cache.get(key)
    if count is None:
        count = access.own_notifications(user).filter(read_at__isnull=True).count()
        django_cache.set(key, count, UNREAD_TTL_SECONDS)
    return count


def forget_unread_count(user) -> None:
    django_cache.delete(_unread_key(user))


def inbox(request: HttpRequest) -> dict:
    @cache
    def count() -> int:
        # Called only when a template shows it (htmx fragments never do), then once.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return unread_count(user)

    return {"inbox_unread": count}


def session_expiry(request: HttpRequest) -> dict:
    """What static/js/session.js reads from `<body>` to warn before the session ends."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "session_seconds_left": expiry.seconds_left(request.session),
        "session_warning_seconds": settings.SESSION_WARNING_SECONDS,
    }
