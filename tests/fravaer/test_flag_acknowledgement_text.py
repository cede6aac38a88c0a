"""`Flag.acknowledgement_text`: an acknowledgement an upper app's action wrote is kept as
a msgid and its values, and fravaer translates it for each reader by itself."""

from django.utils import translation

from fravaer.models import Flag


def kept(acknowledged_as) -> Flag:
    return Flag(
        status=Flag.Status.ACKNOWLEDGED,
        acknowledgement="Lagret tekst",
        details={"acknowledged_as": acknowledged_as},
    )


def test_a_kept_msgid_reads_in_the_readers_language():
    flag = kept(
        {"kind": "x", "text": "Saken ble avsluttet: %(reason)s", "values": {"reason": "Annet"}},
    )
    assert flag.acknowledgement_text == "Saken ble avsluttet: Annet"
    with translation.override("en"):
        assert flag.acknowledgement_text == "The case was closed: Other"


def test_a_kept_text_that_cannot_be_worded_falls_back_to_the_stored_text():
    for acknowledged_as in (
        {"kind": "case_closed", "reason": "moved"},  # no text
        {"text": "Saken ble avsluttet: %(reason)s", "values": {}},  # a value missing
        {"text": "", "values": {}},
        "case_closed",
    ):
        flag = kept(acknowledged_as)
        with translation.override("en"):
            assert flag.acknowledgement_text == "Lagret tekst"
