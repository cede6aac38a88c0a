"""Checks of our own: the deploy checks, run by `manage.py check --deploy`, and the
extension points' settings, run by every `manage.py` command that checks (runserver,
migrate, check)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string


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


@register()
def check_extension_points(app_configs, **kwargs):
    """`EVENT_HANDLERS` names known events (`fravaer.events.EVENTS`), and every handler
    and panel function there and in `PAGE_PANELS` imports: a typo fails at start, not
    in the middle of an action or a page."""
    from fravaer.events import EVENTS

    errors = []
    for name in settings.EVENT_HANDLERS:
        if name not in EVENTS:
            errors.append(
                Error(f"EVENT_HANDLERS names an unknown event {name!r}.", id="fravaer.E001")
            )
    named = [*settings.EVENT_HANDLERS.items(), *settings.PAGE_PANELS.items()]
    for key, paths in named:
        for path in paths:
            try:
                import_string(path)
            except ImportError as exc:
                errors.append(Error(f"{key}: cannot import {path!r} ({exc}).", id="fravaer.E002"))
    errors += _check_rollup_contributors()
    return errors


def _check_rollup_contributors() -> list[Error]:
    """`ROLLUP_CONTRIBUTORS` names `fravaer.rollups.Contributor` objects whose metric
    names are unique (two apps writing one metric would overwrite each other)."""
    from fravaer.rollups import Contributor

    errors, seen = [], set()
    for path in getattr(settings, "ROLLUP_CONTRIBUTORS", ()):
        try:
            found = import_string(path)
        except ImportError as exc:
            errors.append(
                Error(f"ROLLUP_CONTRIBUTORS: cannot import {path!r} ({exc}).", id="fravaer.E002")
            )
            continue
        if not isinstance(found, Contributor):
            errors.append(
                Error(f"ROLLUP_CONTRIBUTORS: {path!r} is not a Contributor.", id="fravaer.E003")
            )
            continue
        for metric in found.metrics:
            if metric.name in seen:
                errors.append(
                    Error(
                        f"ROLLUP_CONTRIBUTORS: metric {metric.name!r} is contributed twice.",
                        id="fravaer.E004",
                    )
                )
            seen.add(metric.name)
    return errors
