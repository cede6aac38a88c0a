"""A contact with the home that must be followed up answers the undocumented absence
without calling it settled; a contact that does not answer it says the flag stays;
and on the pupil page a logged contact updates the flags section too."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from fravaer.actions import apply_absence_changes, log_contact
from fravaer.models import ContactLog, Flag
from tests.factories import (
    CONTACT,
    MONDAY,
    TUESDAY,
    absence,
    at,
    logged_elsewhere,
    make_flag,
    scan,
    undocumented_flag,
)
from tests.pages import flag_updates, past_flags_html, post_contact

FOLLOW_UP = {**CONTACT, "outcome": "follow_up"}
STAYS = "Varselet om udokumentert fravær står til hjemmet er kontaktet."


def status_tags(html: str) -> list[str]:
    return re.findall(r'<span class="ds-tag" data-color="\w+">([^<]+)</span>', html)


# --- a contact with the home that must be followed up ------------------------------------


def test_a_contact_to_follow_up_clears_the_flag_as_follow_up_by_who_logged_it(
    school, contact_teacher, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    log_contact(pupil, contacted_at=at(8), counterpart="guardian", by=contact_teacher, **FOLLOW_UP)
    flag = undocumented_flag(pupil, record)
    # The duty (contact the home) is met: the flag leaves the active list.
    assert flag.status == Flag.Status.CLEARED
    assert (flag.cleared_cause, flag.cleared_by_id) == (Flag.Cause.FOLLOW_UP, contact_teacher.pk)
    assert flag.needs_follow_up


def test_the_pupil_page_says_a_follow_up_flag_must_be_followed_up_not_settled(
    client_for, school, contact_teacher, pupil
):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    log_contact(pupil, contacted_at=at(8), counterpart="both", by=contact_teacher, **FOLLOW_UP)
    past = past_flags_html(client_for(contact_teacher), pupil)
    assert f"{contact_teacher} logget kontakt med hjemmet 18.11.2026; må følges opp." in past
    assert status_tags(past) == ["Følges opp"]
    assert "Avklart" not in past


def test_a_follow_up_flag_reads_in_english_and_nynorsk(school, contact_teacher, pupil):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    log_contact(pupil, contacted_at=at(8), counterpart="guardian", by=contact_teacher, **FOLLOW_UP)
    flag = undocumented_flag(pupil, record)
    with translation.override("en"):
        assert flag.cleared_text() == "Contact with the home logged 18.11.2026; needs follow-up."
    with translation.override("nn"):
        assert flag.cleared_text() == "Kontakt med heimen logga 18.11.2026; må følgjast opp."


def test_a_clarified_contact_still_settles_the_flag(client_for, school, contact_teacher, pupil):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    log_contact(pupil, contacted_at=at(8), counterpart="guardian", by=contact_teacher, **CONTACT)
    past = past_flags_html(client_for(contact_teacher), pupil)
    assert status_tags(past) == ["Avklart"]
    assert "må følges opp" not in past


def test_the_scan_reads_a_follow_up_contact_logged_elsewhere_as_follow_up(
    school, contact_teacher, leader, pupil
):
    record = absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    logged_elsewhere(pupil, leader, 8, "follow_up")
    assert scan(school).cleared == 1
    flag = undocumented_flag(pupil, record)
    assert (flag.cleared_cause, flag.cleared_by_id) == (Flag.Cause.FOLLOW_UP, leader.pk)


@pytest.mark.parametrize(
    ("first", "then", "cause"),
    [
        ("follow_up", "clarified", Flag.Cause.FOLLOW_UP),
        ("clarified", "follow_up", Flag.Cause.CONTACT),
    ],
)
def test_the_cause_and_who_come_from_the_same_answering_contact(
    school, contact_teacher, leader, pupil, first, then, cause
):
    # The first contact that reached the home answers the absence: its outcome gives
    # the cause, as its author gives who, in the scan and when a contact is logged.
    scanned, logged = (
        absence(pupil, MONDAY, contact_teacher),
        absence(pupil, TUESDAY, contact_teacher),
    )
    scan(school)
    logged_elsewhere(pupil, leader, 7, first)
    # Only the scan clears Monday's flag; Tuesday's is cleared by the contact logged
    # later the same morning, which is not the first that answers it.
    log_contact(
        pupil,
        contacted_at=at(9),
        counterpart="guardian",
        by=contact_teacher,
        **{**CONTACT, "outcome": then},
    )
    scan(school)
    assert undocumented_flag(pupil, scanned).cleared_cause == cause
    assert undocumented_flag(pupil, logged).cleared_cause == cause


def test_one_scan_clears_follow_up_and_other_causes_in_one_update(
    school, contact_teacher, leader, pupil
):
    followed, removed = (
        absence(pupil, TUESDAY, contact_teacher),
        absence(pupil, MONDAY, contact_teacher),
    )
    scan(school)
    logged_elsewhere(pupil, leader, 8, "follow_up")
    # The contact answers Monday too; the removal comes first as the cause.
    apply_absence_changes(removals=[removed], by=leader, rescan=False)
    with CaptureQueriesContext(connection) as ctx:
        assert scan(school).cleared == 2
    assert len(flag_updates(ctx)) == 1
    assert undocumented_flag(pupil, followed).cleared_cause == Flag.Cause.FOLLOW_UP
    assert undocumented_flag(pupil, removed).cleared_cause == Flag.Cause.REMOVED


def test_the_inbox_line_of_a_follow_up_flag_says_it_must_be_followed_up(
    client_for, school, contact_teacher, pupil
):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)  # its inbox message lists the flag
    log_contact(pupil, contacted_at=at(8), counterpart="guardian", by=contact_teacher, **FOLLOW_UP)
    html = client_for(contact_teacher).get(reverse("inbox")).content.decode()
    assert "– Kontakt med hjemmet logget 18.11.2026; må følges opp." in html
    assert "Avklart 18.11.2026" not in html


# --- a contact that does not answer the flag says it stays -------------------------------


def success_message(client, pupil, **fields) -> str:
    response = post_contact(client, pupil, **fields)
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    return re.search(r'data-color="success"[^>]*>\s*<p class="ds-paragraph">([^<]*)</p>', html)[1]


def test_a_contact_with_the_pupil_says_the_undocumented_flag_stays(
    client_for, school, contact_teacher, pupil
):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    message = success_message(client_for(contact_teacher), pupil, counterpart="pupil")
    assert message == f"Kontakten er logget. {STAYS}"
    assert Flag.objects.active().filter(rule="undocumented").count() == 1


def test_an_unanswered_call_home_says_the_undocumented_flag_stays(
    client_for, school, contact_teacher, pupil
):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    message = success_message(client_for(contact_teacher), pupil, outcome="no_answer")
    assert message == f"Kontakten er logget. {STAYS}"


def test_a_contact_dated_before_the_absence_says_its_flag_stays(
    client_for, school, contact_teacher, pupil
):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    message = success_message(client_for(contact_teacher), pupil, contacted_at="2026-11-16T09:30")
    assert message == f"Kontakten er logget. {STAYS}"


def test_the_message_counts_the_flags_that_stay(client_for, school, contact_teacher, pupil):
    absence(pupil, MONDAY, contact_teacher)
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    message = success_message(client_for(contact_teacher), pupil, counterpart="pupil")
    assert message == (
        "Kontakten er logget. Varslene om udokumentert fravær står til hjemmet er kontaktet."
    )


def test_a_contact_that_reaches_the_home_says_only_that_it_is_logged(
    client_for, school, contact_teacher, pupil
):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    message = success_message(client_for(contact_teacher), pupil, outcome="clarified")
    assert message == "Kontakten er logget."


def test_a_contact_to_follow_up_says_where_the_flag_went_and_to_follow_up(
    client_for, school, contact_teacher, pupil
):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    message = success_message(client_for(contact_teacher), pupil, outcome="follow_up")
    assert message == (
        "Kontakten er logget. Varselet står nå som «Følges opp» under «Tidligere varsler». "
        "Husk oppfølgingen."
    )


def test_a_contact_without_undocumented_flags_says_only_that_it_is_logged(
    client_for, contact_teacher, pupil
):
    make_flag(pupil, "month_days")  # another rule: a contact with the pupil is no answer
    message = success_message(client_for(contact_teacher), pupil, counterpart="pupil")
    assert message == "Kontakten er logget."


def test_the_check_for_flags_that_stay_is_one_query(client_for, school, contact_teacher, pupil):
    client = client_for(contact_teacher)
    post_contact(client, pupil, counterpart="pupil")  # the unread count is cached
    with CaptureQueriesContext(connection) as none:
        post_contact(client, pupil, counterpart="pupil")
    absence(pupil, MONDAY, contact_teacher)
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    with CaptureQueriesContext(connection) as two:
        post_contact(client, pupil, counterpart="pupil")
    assert len(two.captured_queries) == len(none.captured_queries)


# --- the pupil page's flags section follows a contact logged with htmx -------------------


def htmx_from(url: str) -> dict:
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver{url}#kontaktlogg"}


def test_an_htmx_contact_on_the_pupil_page_answers_with_the_cleared_flags_section(
    client_for, school, contact_teacher, pupil
):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    client = client_for(contact_teacher)
    pupil_url = reverse("pupil", args=[pupil.uuid])
    response = post_contact(client, pupil, headers=htmx_from(pupil_url))
    assert (response.status_code, response["Location"]) == (302, pupil_url)
    # htmx follows the redirect with the same headers; the form takes #contact-log
    # and, out of band, #varsler from the answer.
    html = client.get(pupil_url, headers=htmx_from(pupil_url)).content.decode()
    flags = html[html.index('id="varsler"') : html.index('id="monstre"')]
    assert "Ingen aktive varsler." in flags
    assert "Avklart 18.11.2026" in flags
    log = html[html.index('<div id="contact-log">') :]
    assert "Kontakten er logget." in log and "data-focus-on-load" in log


def test_the_contact_form_takes_the_flags_section_out_of_band(client_for, contact_teacher, pupil):
    html = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])).content.decode()
    form = re.search(r"<form[^>]*hx-post=\"[^\"]*/kontakt/\"[^>]*>", html)[0]
    assert 'hx-select="#contact-log"' in form and 'hx-select-oob="#varsler"' in form
    assert '<section class="section" aria-labelledby="h-flags" id="varsler">' in html


def test_an_htmx_contact_on_the_contact_page_still_answers_with_the_log(
    client_for, school, contact_teacher, pupil
):
    absence(pupil, TUESDAY, contact_teacher)
    scan(school)
    client = client_for(contact_teacher)
    contact_url = reverse("contact_log", args=[pupil.uuid])
    response = post_contact(client, pupil, headers=htmx_from(contact_url))
    assert response["Location"] == contact_url
    html = client.get(contact_url, headers=htmx_from(contact_url)).content.decode()
    assert html.lstrip().startswith('<div id="contact-log">') and 'id="varsler"' not in html


def test_a_contact_without_htmx_from_the_pupil_page_goes_to_the_contact_page(
    client_for, contact_teacher, pupil
):
    # Without JavaScript nothing changes: the contact page, with its message.
    response = post_contact(
        client_for(contact_teacher),
        pupil,
        headers={"HX-Current-URL": f"http://testserver{reverse('pupil', args=[pupil.uuid])}"},
    )
    assert response["Location"] == reverse("contact_log", args=[pupil.uuid])


def test_an_invalid_htmx_contact_on_the_pupil_page_answers_with_the_form(
    client_for, contact_teacher, pupil
):
    pupil_url = reverse("pupil", args=[pupil.uuid])
    response = post_contact(
        client_for(contact_teacher), pupil, outcome="", headers=htmx_from(pupil_url)
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="contact-log">')
    assert not ContactLog.objects.exists()
