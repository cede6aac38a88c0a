"""`manage.py seed_demo_plans`: the demo's measure plan on a nivå 1 case (see
plans/demo.py). `make run` calls it after `seed_demo_cases`."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from fravaer.demo import MUNICIPALITY_NAME, demo_exists
from plans.demo import seed_demo_plan
from plans.models import Agreement


class Command(BaseCommand):
    help = "Lag demosaken med tiltaksplan. / Create the demo case with a measure plan."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the demo already has a plan."
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if not demo_exists():
            self.stdout.write("Ingen demokommune; lager ingen plan. / No demo municipality.")
            return
        if Agreement.objects.filter(case__pupil__municipality__name=MUNICIPALITY_NAME).exists():
            if if_empty:
                return
            raise CommandError("Demoplanen finnes allerede. / The demo plan already exists.")
        if not settings.DEBUG:
            raise CommandError("DEBUG er av: ingen demodata. / DEBUG is off: no demo data.")
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            case = seed_demo_plan()
        self.stdout.write(
            self.style.SUCCESS(f"Demosak med tiltaksplan (nivå {case.level}), versjon 2 i kraft.")
        )
