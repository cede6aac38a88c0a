"""Migration cases 0006: a flag acknowledged by closing its case before the text was
kept as msgids reads in each reader's language afterwards."""

import importlib

from django.apps import apps
from django.utils import translation

from fravaer.models import Flag
from tests.factories import acknowledged_flag

migration = importlib.import_module("cases.migrations.0006_flags_closed_by_case_keep_msgids")


def test_old_flags_closed_by_their_case_get_the_msgids(pupil, contact_teacher):
    old = acknowledged_flag(
        pupil, by=contact_teacher, reason="Saken ble avsluttet: Eleven har flyttet"
    )
    Flag.objects.filter(pk=old.pk).update(
        details={"days": 4, "acknowledged_as": {"kind": "case_closed", "reason": "moved"}}
    )
    typed = acknowledged_flag(pupil, "year_percent", by=contact_teacher, reason="influensa")
    migration.keep_msgids(apps, None)
    old.refresh_from_db()
    typed.refresh_from_db()
    assert old.details["days"] == 4
    with translation.override("en"):
        assert old.acknowledgement_text == "The case was closed: The pupil has moved"
        assert typed.acknowledgement_text == "influensa"
