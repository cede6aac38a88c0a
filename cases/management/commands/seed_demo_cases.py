"""`manage.py seed_demo_cases`: a case on each step of the staircase in the demo
municipality (see cases/demo.py). `make run` calls it after `seed_demo`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from cases.demo import seed_demo_cases
from cases.models import Case
from fravaer.demo import MUNICIPALITY_NAME, demo_exists


class Command(BaseCommand):
    help = "Lag demosaker i Fjordvik kommune. / Create the demo cases in the demo municipality."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the demo already has cases."
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if not demo_exists():
            self.stdout.write("Ingen demokommune; lager ingen saker. / No demo municipality.")
            return
        if Case.objects.filter(pupil__municipality__name=MUNICIPALITY_NAME).exists():
            if if_empty:
                return
            raise CommandError("Demosakene finnes allerede. / The demo cases already exist.")
        if not settings.DEBUG:
            raise CommandError("DEBUG er av: ingen demodata. / DEBUG is off: no demo data.")
        # The demo's people have no real inboxes: the messages stay in the product.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            summary = seed_demo_cases()
        levels = ", ".join(f"nivå {level}: {n}" for level, n in summary.by_level.items())
        self.stdout.write(self.style.SUCCESS(f"{summary.cases} demosaker ({levels})."))
