"""A scratch database for one benchmark run.

A second `DatabaseWrapper` for the same server is created, its database created and
migrated, and it is swapped in as `connections["default"]` for the duration of the
run. The product's code (`scan_absence`, `transaction.atomic()`, the ORM) then runs
unchanged against it, while the original connection, and with it the real data or a
test's open transaction, is left alone. On PostgreSQL the scratch database is
`<name>_bench` on the same server, created and dropped here; on SQLite it is a
temporary file.
"""

from __future__ import annotations

import copy
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections


@dataclass(frozen=True)
class Scratch:
    vendor: str
    name: str  # the database name (PostgreSQL) or file path (SQLite)
    server_version: str


def scratch_name(real_name: str) -> str:
    # PostgreSQL truncates identifiers at 63 bytes; keep the suffix visible.
    return f"{str(real_name)[:50]}_bench"


@contextmanager
def scratch_database(*, keep: bool = False) -> Iterator[Scratch]:
    original = connections[DEFAULT_DB_ALIAS]
    settings_dict = copy.deepcopy(original.settings_dict)
    vendor = original.vendor
    if vendor == "postgresql":
        name = scratch_name(settings_dict["NAME"] or "fravaer")
        settings_dict["NAME"] = name
        bench = original.__class__(settings_dict, alias=DEFAULT_DB_ALIAS)
        _drop_postgresql(bench, name)
        with bench._nodb_cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {bench.ops.quote_name(name)}")
    elif vendor == "sqlite":
        fd, name = tempfile.mkstemp(prefix="fravaer_bench_", suffix=".sqlite3")
        os.close(fd)
        settings_dict["NAME"] = name
        bench = original.__class__(settings_dict, alias=DEFAULT_DB_ALIAS)
    else:
        raise CommandError(f"bench_scan supports PostgreSQL and SQLite, not {vendor}.")

    connections[DEFAULT_DB_ALIAS] = bench
    try:
        call_command("migrate", interactive=False, verbosity=0, run_syncdb=True)
        version = ".".join(str(part) for part in _server_version(bench))
        yield Scratch(vendor, name, version)
    finally:
        bench.close()
        connections[DEFAULT_DB_ALIAS] = original
        if not keep:
            if vendor == "postgresql":
                _drop_postgresql(bench, name)
            else:
                os.unlink(name)


def _drop_postgresql(bench, name: str) -> None:
    with bench._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {bench.ops.quote_name(name)} WITH (FORCE)")


def _server_version(connection) -> tuple[int, ...]:
    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)
        return (major, minor)
    import sqlite3

    return sqlite3.sqlite_version_info
