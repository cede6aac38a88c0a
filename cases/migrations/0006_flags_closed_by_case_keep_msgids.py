"""Flags acknowledged by closing their case before the text was kept as msgids
(`details["acknowledged_as"]` with only `kind` and `reason`): add the msgid and its
values, so that they read in each reader's language like the new ones
(`Flag.acknowledgement_text`). The texts are written out here: a migration must not
change when the model's labels do."""

from django.db import migrations

CLOSED_BECAUSE = "Saken ble avsluttet: %(reason)s"
REASONS = {
    "not_confirmed": "Bekymringen ble ikke bekreftet",
    "measures_worked": "Tiltakene virket",
    "moved": "Eleven har flyttet",
    "other": "Annet",
}


def keep_msgids(apps, schema_editor):
    Flag = apps.get_model("fravaer", "Flag")
    flags = Flag.objects.filter(details__acknowledged_as__kind="case_closed")
    for flag in flags.only("pk", "details").iterator():
        kept = flag.details["acknowledged_as"]
        if "text" in kept or kept.get("reason") not in REASONS:
            continue
        kept["text"] = CLOSED_BECAUSE
        kept["values"] = {"reason": REASONS[kept["reason"]]}
        flag.save(update_fields=["details"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_case_per_school_and_role_ended_events"),
        ("fravaer", "0010_outbox_tasks"),
    ]

    operations = [migrations.RunPython(keep_msgids, migrations.RunPython.noop)]
