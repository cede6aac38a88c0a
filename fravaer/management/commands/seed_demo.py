"""`manage.py seed_demo`: Fjordvik kommune, the demo municipality (see fravaer/demo/)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.formats import number_format

from fravaer import demo
from fravaer.actions import scan_absence
from fravaer.models import AbsenceRecord, Municipality
from fravaer.scan import Scope


class Command(BaseCommand):
    help = (
        "Lag demokommunen Fjordvik med skoler, klasser, elever, innlogginger og fravær "
        "så langt i skoleåret. / Create the demo municipality with this school year's "
        "absence so far."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if any municipality exists (used by `make run`).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off or beside existing data (never twice).",
        )

    def handle(self, *args, if_empty: bool = False, force: bool = False, **options):
        if if_empty and Municipality.objects.exists():
            self.stdout.write(
                "Databasen har data; lager ikke demodata. / The database has data; no demo data."
            )
            return
        # Every demo login shares a published password: keep it out of production.
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG er av: demodata har kjente passord. Bruk --force om du virkelig vil. "
                "/ DEBUG is off: demo logins have a published password; use --force."
            )
        if demo.demo_exists():
            message = f"{demo.MUNICIPALITY_NAME} finnes allerede. / The demo data already exists."
            if force:
                self.stdout.write(message)
                return
            raise CommandError(message)
        if Municipality.objects.exists() and not force:
            raise CommandError(
                "Databasen har allerede data. Bruk --force for å legge demokommunen ved siden "
                "av. / The database has data; use --force to add the demo municipality."
            )
        started = time.monotonic()
        summary = demo.seed_demo()
        # The nightly scan, once, so the demo opens with its flags and inboxes.
        scan = scan_absence(Scope(), as_of=timezone.localdate(), email=False)
        elapsed = time.monotonic() - started
        # In words, as the rest of the line: "Hele dagen 752", not the code name "day 752".
        median = number_format(summary.median_days, 1)
        records = ", ".join(
            f"{AbsenceRecord.Kind(kind).label} {summary.records[kind]}"
            for kind in AbsenceRecord.Kind.values
            if summary.records[kind]
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{demo.MUNICIPALITY_NAME} {summary.school_year}: {summary.schools} skoler, "
                f"{summary.groups} klasser, {summary.pupils} elever, {summary.guardians} "
                f"foresatte, {summary.users} innlogginger, {summary.non_school_days} fridager; "
                f"fravær: {records} ({summary.undocumented} udokumentert), "
                f"{summary.contact_logs} kontaktlogger; median {median} dager, "
                f"{summary.pupils_with_at_least(15)} elever med 15+ dager; "
                f"{len(scan.new_flags)} varsler ({elapsed:.1f} s)."
            )
        )
