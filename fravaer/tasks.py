"""Celery tasks: thin, JSON arguments only, idempotent."""

from celery import shared_task
from django.contrib.sessions.backends.cached_db import SessionStore


@shared_task
def clear_expired_sessions() -> None:
    """Nightly: expired sessions (who was logged in, from where) are not kept."""
    SessionStore.clear_expired()
