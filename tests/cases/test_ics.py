"""The meeting's calendar invitation (RFC 5545), written by hand."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from cases.actions.consent import refer_to_ppt
from cases.actions.meetings import cancel_meeting, schedule_meeting
from cases.models import CaseAccessLog, Meeting
from cases.views.meetings import ics_escape, ics_fold, meeting_ics
from tests.factories import give

OSLO = timezone.get_default_timezone()


def _meeting(case, by, **extra) -> Meeting:
    values = {
        "kind": Meeting.Kind.LEVEL1,
        "starts_at": dt.datetime(2026, 11, 24, 8, 30, tzinfo=OSLO),
        "duration_minutes": 45,
        "place": "Rom 3, 2. etg; bak kantina",
        "by": by,
    }
    return schedule_meeting(case, **{**values, **extra})


def _url(case, meeting):
    return f"/saker/{case.uuid}/moter/{meeting.uuid}/kalender.ics"


def _unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def _props(body: str) -> dict[str, str]:
    props = {}
    for line in _unfold(body):
        if ":" in line:
            name, _, value = line.partition(":")
            props.setdefault(name, value)
    return props


def test_ics_download_is_a_calendar_attachment(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    response = client_for(contact_teacher).get(_url(case, meeting))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mote-2026-11-24.ics"'


def test_ics_has_one_event_with_uid_and_utc_times(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    body = client_for(contact_teacher).get(_url(case, meeting)).content.decode()
    lines = _unfold(body)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2:] == ["END:VCALENDAR", ""]
    assert lines.count("BEGIN:VEVENT") == 1
    props = _props(body)
    assert props["VERSION"] == "2.0"
    assert props["UID"] == f"{meeting.uuid}@fravaer"
    # 08:30 in Oslo in November (CET, UTC+1) is 07:30 UTC; 45 minutes.
    assert props["DTSTART"] == "20261124T073000Z"
    assert props["DTEND"] == "20261124T081500Z"
    assert props["DTSTAMP"].startswith("20261118T09")
    assert props["DTSTAMP"].endswith("Z")
    assert props["STATUS"] == "CONFIRMED"


def test_ics_lines_end_with_crlf_only(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    raw = client_for(contact_teacher).get(_url(case, meeting)).content
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\n") == raw.count(b"\r\n")


def test_ics_lines_are_at_most_75_octets(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher, place="Æøå-rommet " * 20)
    raw = client_for(contact_teacher).get(_url(case, meeting)).content
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"\r\n " in raw  # the long LOCATION was folded
    raw.decode("utf-8")  # no character split across a fold


def test_ics_summary_names_the_kind_and_location_escapes_text(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    props = _props(client_for(contact_teacher).get(_url(case, meeting)).content.decode())
    assert props["SUMMARY"] == "Møte: Møte med elev og foresatte (nivå 1)"
    assert props["LOCATION"] == "Rom 3\\, 2. etg\\; bak kantina"


def test_ics_carries_no_pupil_name_or_case_details(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    body = client_for(contact_teacher).get(_url(case, meeting)).content.decode()
    assert "Ola" not in body
    assert "Nordmann" not in body
    assert case.concern not in body


def test_cancelled_meeting_ics_says_cancelled(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    cancel_meeting(meeting, reason="Syk", by=contact_teacher, version=1)
    props = _props(client_for(contact_teacher).get(_url(case, meeting)).content.decode())
    assert props["STATUS"] == "CANCELLED"
    assert props["SEQUENCE"] == "1"


def test_ics_download_is_logged_as_a_read(client_for, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    client_for(contact_teacher).get(_url(case, meeting))
    log = CaseAccessLog.objects.get(case=case)
    assert (log.user, log.basis, log.what) == (contact_teacher, "owner", "ics")


def test_ics_is_404_for_outsider_and_subject_teacher(
    client_for, case, contact_teacher, outsider, subject_teacher
):
    meeting = _meeting(case, contact_teacher)
    for user in (outsider, subject_teacher):
        assert client_for(user).get(_url(case, meeting)).status_code == 404
    assert not CaseAccessLog.objects.exists()


def test_ics_for_ppt_follows_the_grant(client_for, case, contact_teacher, ppt_advisor, leader):
    meeting = _meeting(case, contact_teacher)
    client = client_for(ppt_advisor)
    assert client.get(_url(case, meeting)).status_code == 404
    give(case, leader)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=leader)
    assert client.get(_url(case, meeting)).status_code == 200


def test_ics_redirects_anonymous_to_login(client, case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    response = client.get(_url(case, meeting))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_ics_escape_backslash_semicolon_comma_and_newlines():
    assert ics_escape("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_ics_fold_keeps_short_lines_and_folds_long_ones_at_75_octets():
    assert ics_fold("SUMMARY:kort") == "SUMMARY:kort"
    folded = ics_fold("X:" + "å" * 100)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == "X:" + "å" * 100


def test_meeting_ics_description_links_to_the_meeting_page(case, contact_teacher):
    meeting = _meeting(case, contact_teacher)
    body = meeting_ics(meeting, url="https://fravaer.example/x", now=timezone.now())
    assert "URL:https://fravaer.example/x\r\n" in body
