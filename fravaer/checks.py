"""Deploy checks of our own, run by `manage.py check --deploy`."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    # Sessions are read from the cache: with a per-process cache, a logout in one
    # worker would not end the session in the others.
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            Warning(
                "CACHE_URL is not a shared cache; sessions would survive logout in "
                "other worker processes.",
                hint="Set CACHE_URL=redis://…",
                id="fravaer.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_broker(app_configs, **kwargs):
    if not settings.CELERY_BROKER_URL:
        return [
            Warning(
                "CELERY_BROKER_URL is not set: background tasks run inside web requests "
                "and no nightly jobs run.",
                hint="Set CELERY_BROKER_URL=redis://… and run a worker and beat.",
                id="fravaer.W002",
            )
        ]
    return []
