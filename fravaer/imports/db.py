"""Database reads both imports share: `IN (…)` lookups in fixed-size chunks, so a
large file costs a handful of queries per table, and the user CLI imports
register as."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from django.contrib.auth.hashers import make_password
from django.db.models import QuerySet

from fravaer.models import Municipality, Pupil, User

# Values per `IN (…)`: well inside SQLite's and PostgreSQL's parameter limits, so a
# 50 000-row file costs a handful of queries per table.
IN_CHUNK = 5_000
SYSTEM_USERNAME = "import@system"


T = TypeVar("T")


def chunked(values: Iterable[T]) -> Iterator[list[T]]:
    values = list(values)
    for i in range(0, len(values), IN_CHUNK):
        yield values[i : i + IN_CHUNK]


def load_in(make: Callable[[list], QuerySet], values: Iterable) -> list:
    """`make(chunk)` for each chunk of values: one query per IN_CHUNK values."""
    return [obj for chunk in chunked(values) for obj in make(chunk)]


def load_pupils(municipality: Municipality, pupil_ids: Iterable[str]) -> dict[str, Pupil]:
    """The municipality's pupils with these IDs, by ID."""
    pupils = load_in(
        lambda ids: Pupil.objects.filter(municipality=municipality, pupil_id__in=ids), pupil_ids
    )
    return {p.pupil_id: p for p in pupils}


def system_user() -> User:
    """The user that CLI imports register as; it cannot log in."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Filimport", "is_active": False, "password": make_password(None)},
    )
    return user
