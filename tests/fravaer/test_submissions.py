"""A form sent twice is saved once: `OncePerSubmissionMiddleware` and the
`_submission` key static/js/app.js puts in every POST form (the browser side is in
tests/browser/test_double_submit.py)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection, connections
from django.http import HttpResponse, HttpResponseRedirect
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from cases.actions.meetings import assign_task, complete_task
from cases.models import Case, Mapping, Meeting
from fravaer import tasks
from fravaer.middleware import OncePerSubmissionMiddleware
from fravaer.models import AbsenceRecord, ContactLog, Flag, SubmissionKey, TeachingAssignment
from fravaer.views.imports import SESSION_KEY
from tests.cases.conftest import make_case
from tests.conftest import make_user, needs_concurrent_transactions
from tests.fravaer.csv_files import absence_csv, absence_line
from tests.pages import meeting_form, post_contact, post_data, upload

ALREADY_SENT = "Skjemaet var allerede sendt, og det er lagret én gang."


def meeting_url(case) -> str:
    return f"/saker/{case.uuid}/moter/nytt/"


def meeting_data(key=None, **extra) -> dict:
    data = meeting_form(**extra)
    if key is not None:
        data["_submission"] = str(key)
    return data


def shown(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def case(pupil, contact_teacher) -> Case:
    return make_case(pupil, by=contact_teacher)


@pytest.fixture
def second_contact_teacher(group):
    user = make_user("kontakt2@nordby.no")
    TeachingAssignment.objects.create(
        user=user, group=group, kind="contact", valid_from=group.school_year.start
    )
    return user


# --- the forms of the walkthrough --------------------------------------------------------


def test_meeting_form_sent_twice_with_one_key_schedules_one_meeting(
    client_for, case, contact_teacher
):
    client = client_for(contact_teacher)
    key = uuid.uuid4()
    first = client.post(meeting_url(case), meeting_data(key))
    second = client.post(meeting_url(case), meeting_data(key))

    meeting = Meeting.objects.get(case=case)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == f"/saker/{case.uuid}/moter/{meeting.uuid}/"
    assert ALREADY_SENT not in shown(first)
    assert ALREADY_SENT in shown(second)


def test_contact_log_sent_twice_with_one_key_is_logged_once(client_for, contact_teacher, pupil):
    client = client_for(contact_teacher)
    key = str(uuid.uuid4())
    first = post_contact(client, pupil, summary="Syk i dag.", _submission=key)
    second = post_contact(client, pupil, summary="Syk i dag.", _submission=key)

    assert ContactLog.objects.filter(pupil=pupil).count() == 1
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("contact_log", args=[pupil.uuid])
    assert ALREADY_SENT in shown(second)


def test_contact_log_repeat_by_htmx_is_sent_where_the_first_went(
    client_for, contact_teacher, pupil
):
    client = client_for(contact_teacher)
    key = str(uuid.uuid4())
    headers = {"HX-Request": "true"}
    first = post_contact(client, pupil, _submission=key, headers=headers)
    second = post_contact(client, pupil, _submission=key, headers=headers)

    assert ContactLog.objects.filter(pupil=pupil).count() == 1
    assert first.status_code == 302
    assert second.status_code == 200
    assert second["HX-Redirect"] == first.url
    assert ALREADY_SENT in shown(second)


def test_note_saved_in_place_by_htmx_and_sent_again_is_saved_once(
    client_for, case, contact_teacher
):
    """An htmx save answers with the page's new fragment (200), not a redirect: the key
    is kept all the same, and a repeat (a retry after a lost answer) reloads the page
    the user is on instead of saving the note twice."""
    from cases.models import CaseNote

    client = client_for(contact_teacher)
    key = str(uuid.uuid4())
    page = f"http://testserver/saker/{case.uuid}/"
    headers = {"HX-Request": "true", "HX-Current-URL": page}
    url = reverse("cases:case_note", args=[case.uuid])
    first = client.post(url, {"notat-text": "Ringte PPT.", "_submission": key}, headers=headers)
    second = client.post(url, {"notat-text": "Ringte PPT.", "_submission": key}, headers=headers)

    assert first.status_code == 200 and "Ringte PPT." in first.content.decode()
    assert CaseNote.objects.filter(case=case).count() == 1
    assert second["HX-Redirect"] == f"/saker/{case.uuid}/"
    assert ALREADY_SENT in shown(second)


def test_htmx_answer_without_a_success_message_gives_the_key_back(
    client_for, case, contact_teacher
):
    # The note form shown again with its error: the corrected note goes through.
    client = client_for(contact_teacher)
    key = str(uuid.uuid4())
    headers = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/saker/{case.uuid}/"}
    url = reverse("cases:case_note", args=[case.uuid])
    client.post(url, {"notat-text": "", "_submission": key}, headers=headers)
    assert not SubmissionKey.objects.exists()
    client.post(url, {"notat-text": "Nå med tekst.", "_submission": key}, headers=headers)
    assert SubmissionKey.objects.count() == 1


def test_htmx_page_on_another_site_is_never_kept_as_the_address(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    headers = {"HX-Request": "true", "HX-Current-URL": "https://evil.example/saker/"}
    client.post(
        reverse("cases:case_note", args=[case.uuid]),
        {"notat-text": "Notat", "_submission": str(uuid.uuid4())},
        headers=headers,
    )
    assert not SubmissionKey.objects.exists()


def test_the_same_key_with_changed_content_is_a_new_submission(client_for, contact_teacher, pupil):
    """Back to a saved form (the browser kept the page, key and all), corrected and
    sent again: the correction is saved, not dropped as "already sent"."""
    client = client_for(contact_teacher)
    key = str(uuid.uuid4())
    post_contact(client, pupil, summary="Ringte mor.", _submission=key)
    second = post_contact(client, pupil, summary="Ringte far.", _submission=key)
    assert sorted(ContactLog.objects.values_list("summary", flat=True)) == [
        "Ringte far.",
        "Ringte mor.",
    ]
    assert ALREADY_SENT not in shown(second)


def test_mapping_form_sent_twice_with_one_key_saves_one_mapping(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    data = {"kind": "causes", "home": "Sover lite.", "_submission": str(uuid.uuid4())}
    url = f"/saker/{case.uuid}/kartlegging/ny/"
    first = client.post(url, data)
    second = client.post(url, data)

    assert Mapping.objects.filter(case=case).count() == 1
    assert first.url == second.url == f"/saker/{case.uuid}/#kartlegging"
    assert ALREADY_SENT in shown(second)


# --- when the key is given back, or not used ---------------------------------------------


def test_form_shown_again_with_errors_does_not_use_up_the_key(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    key = uuid.uuid4()
    wrong = client.post(meeting_url(case), meeting_data(key, time="25:99"))
    assert wrong.status_code == 200
    assert not SubmissionKey.objects.exists()

    corrected = client.post(meeting_url(case), meeting_data(key))

    meeting = Meeting.objects.get(case=case)
    assert corrected.url == f"/saker/{case.uuid}/moter/{meeting.uuid}/"
    assert ALREADY_SENT not in shown(corrected)


def test_redirect_with_a_refusal_does_not_use_up_the_key(client_for, case, contact_teacher):
    Case.objects.filter(pk=case.pk).update(level="2A")
    case.level = "2A"
    task = assign_task(
        case,
        description="Skjema",
        due=dt.date(2026, 11, 18),
        assignee_user=contact_teacher,
        by=contact_teacher,
    )
    complete_task(task, by=contact_teacher)
    response = client_for(contact_teacher).post(
        f"/saker/{case.uuid}/oppgaver/{task.pk}/utfort/", {"_submission": str(uuid.uuid4())}
    )

    assert response.status_code == 302
    assert ALREADY_SENT not in shown(response)
    assert not SubmissionKey.objects.exists()


def test_posts_without_a_valid_key_are_handled_as_before(client_for, contact_teacher, pupil):
    client = client_for(contact_teacher)
    post_contact(client, pupil, summary="Uten nøkkel.")
    post_contact(client, pupil, summary="Uten nøkkel.")
    post_contact(client, pupil, summary="Ugyldig nøkkel.", _submission="ikke-en-nøkkel")
    post_contact(client, pupil, summary="Ugyldig nøkkel.", _submission="ikke-en-nøkkel")

    assert ContactLog.objects.filter(pupil=pupil).count() == 4
    assert not SubmissionKey.objects.exists()


def test_anonymous_post_with_a_key_claims_nothing(client, case):
    response = client.post(meeting_url(case), meeting_data(uuid.uuid4()))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not SubmissionKey.objects.exists()


def test_another_users_key_does_not_block_their_form(
    client_for, contact_teacher, second_contact_teacher, pupil
):
    key = str(uuid.uuid4())
    post_contact(client_for(contact_teacher), pupil, summary="Første.", _submission=key)
    other = Client()
    other.force_login(second_contact_teacher)
    response = post_contact(other, pupil, summary="Andre.", _submission=key)

    assert response.status_code == 302
    assert ALREADY_SENT not in shown(response)
    assert sorted(ContactLog.objects.values_list("summary", flat=True)) == ["Andre.", "Første."]
    assert SubmissionKey.objects.get().user == contact_teacher


def test_server_error_rolls_back_the_views_writes_and_the_key(
    client_for, contact_teacher, pupil, monkeypatch
):
    from fravaer.views import pupils

    real = pupils.log_contact

    def log_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("after the write")

    monkeypatch.setattr(pupils, "log_contact", log_then_fail)
    client = client_for(contact_teacher)
    client.raise_request_exception = False
    response = post_contact(client, pupil, _submission=str(uuid.uuid4()))

    assert response.status_code == 500
    assert not ContactLog.objects.exists()
    assert not SubmissionKey.objects.exists()


def test_absence_refused_by_the_database_is_shown_on_the_form_inside_the_transaction(
    client_for, contact_teacher, pupil, monkeypatch
):
    """Two teachers saving the same pupil's day at once: the database's one-day-record
    constraint refuses the second, which the form shows; the middleware's transaction
    must stay usable for that."""
    url = reverse("pupil_add_record", args=[pupil.uuid])
    client = client_for(contact_teacher)
    client.post(url, {"date": "2026-11-17", "kind": "day"})
    # The race: the check before the insert saw no record yet.
    monkeypatch.setattr("fravaer.actions.absence._others_that_day", lambda *a, **k: (set(), 0))
    response = client.post(
        url, {"date": "2026-11-17", "kind": "day", "_submission": str(uuid.uuid4())}
    )

    assert response.status_code == 200
    assert "Eleven har allerede fravær hele dagen 17.11.2026." in response.content.decode()
    assert AbsenceRecord.objects.filter(pupil=pupil).count() == 1
    assert not SubmissionKey.objects.exists()


def test_register_refused_inside_the_key_transaction_shows_the_row_and_gives_the_key_back(
    client_for, contact_teacher, group, pupil
):
    """The save's own transaction is a savepoint in the middleware's: refused, it
    leaves that usable for the page, and the key can be sent again once corrected."""
    client = client_for(contact_teacher)
    url = reverse("register", args=[group.pk]) + "?dato=2026-11-17"
    stale = client.get(url)
    client.post(url, post_data(client.get(url), {"Ola": {"status": "day"}}))
    key = str(uuid.uuid4())

    refused = client.post(
        url,
        {**post_data(stale, {"Ola": {"status": "late", "minutes_late": 3}}), "_submission": key},
    )

    assert refused.status_code == 200
    assert "endret av en annen" in refused.content.decode()
    assert not SubmissionKey.objects.exists()
    again = client.post(
        url,
        {**post_data(refused, {"Ola": {"status": "late", "minutes_late": 3}}), "_submission": key},
    )
    assert again.status_code == 302
    assert AbsenceRecord.objects.current().get(pupil=pupil).kind == "late"


# --- the answer to a repeat whose first answer left no address ----------------------------


def run(user, *, key, headers=None, view=None):
    request = RequestFactory().post("/skjema/", {"_submission": str(key)}, headers=headers or {})
    request.user = user
    request._messages = CookieStorage(request)
    request.htmx = HtmxDetails(request)
    called = []

    def default_view(request):
        called.append(True)
        return HttpResponse("ny side")

    response = OncePerSubmissionMiddleware(view or default_view)(request)
    return response, called, [str(m) for m in request._messages._queued_messages]


@pytest.fixture
def pending_key(contact_teacher):
    from fravaer.middleware import content_digest

    key = uuid.uuid4()
    sent = RequestFactory().post("/skjema/", {"_submission": str(key)})
    return SubmissionKey.objects.create(
        key=key, user=contact_teacher, created_at=timezone.now(), digest=content_digest(sent)
    )


def test_repeat_without_address_by_htmx_gets_no_content(contact_teacher, pending_key):
    response, called, queued = run(
        contact_teacher, key=pending_key.key, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    assert not called
    assert queued == [ALREADY_SENT]


def test_repeat_without_address_goes_back_to_the_page_on_this_site(contact_teacher, pending_key):
    response, called, _ = run(
        contact_teacher, key=pending_key.key, headers={"Referer": "http://testserver/elever/"}
    )
    assert response.status_code == 302
    assert response.url == "http://testserver/elever/"
    assert not called


def test_repeat_without_address_never_goes_to_another_site(contact_teacher, pending_key):
    response, called, _ = run(
        contact_teacher, key=pending_key.key, headers={"Referer": "https://example.com/x"}
    )
    assert response.url == reverse("home")
    assert not called


def test_htmx_client_redirect_keeps_the_key_with_its_address(contact_teacher):
    from django_htmx.http import HttpResponseClientRedirect

    key = uuid.uuid4()
    run(contact_teacher, key=key, view=lambda request: HttpResponseClientRedirect("/saker/"))
    assert SubmissionKey.objects.get(key=key).location == "/saker/"


def test_redirect_keeps_only_user_key_time_and_address(contact_teacher):
    key = uuid.uuid4()
    run(contact_teacher, key=key, view=lambda request: HttpResponseRedirect("/elever/x/"))
    row = SubmissionKey.objects.values().get()
    assert set(row) == {"id", "key", "user_id", "created_at", "location", "digest"}
    assert (row["key"], row["user_id"], row["location"]) == (key, contact_teacher.pk, "/elever/x/")
    assert len(row["digest"]) == 64  # a digest of the content, never the content


# --- cost and housekeeping ---------------------------------------------------------------


def _key_statements(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "fravaer_submissionkey" in q["sql"]]


def test_a_key_costs_two_statements_and_a_repeat_runs_no_view(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    key = uuid.uuid4()
    with CaptureQueriesContext(connection) as first:
        client.post(meeting_url(case), meeting_data(key))
    with CaptureQueriesContext(connection) as second:
        client.post(meeting_url(case), meeting_data(key))

    assert [sql.split()[0] for sql in _key_statements(first)] == ["INSERT", "UPDATE"]
    assert [sql.split()[0] for sql in _key_statements(second)] == ["INSERT", "SELECT"]
    assert not [q for q in second.captured_queries if "cases_meeting" in q["sql"]]


def test_nightly_housekeeping_purges_keys_older_than_a_day(contact_teacher):
    now = timezone.now()
    old, fresh = (
        SubmissionKey.objects.create(
            key=uuid.uuid4(), user=contact_teacher, created_at=now - dt.timedelta(hours=hours)
        )
        for hours in (25, 23)
    )
    tasks.clear_expired_sessions()
    assert list(SubmissionKey.objects.values_list("key", flat=True)) == [fresh.key]


# --- saves that rescan after the commit still raise flags (a real commit) ----------------


@pytest.mark.django_db(transaction=True)
def test_register_saved_with_a_key_raises_the_flag_after_commit(
    client_for, contact_teacher, group, pupil, eager_tasks
):
    client = client_for(contact_teacher)
    url = reverse("register", args=[group.pk]) + "?dato=2026-11-17"
    data = post_data(client.get(url), {"Ola": {"status": "day"}})
    data["_submission"] = str(uuid.uuid4())

    response = client.post(url, data)

    assert response.status_code == 302
    assert SubmissionKey.objects.get().location == response.url
    assert Flag.objects.filter(pupil=pupil, rule="undocumented").exists()


@pytest.mark.django_db(transaction=True)
def test_absence_import_confirmed_with_a_key_raises_the_flag_after_commit(
    client_for, leader, pupil, municipality, eager_tasks
):
    client = client_for(leader)
    upload(
        client,
        absence_csv(absence_line(pupil)),
        "absence",
        municipality,
        _submission=str(uuid.uuid4()),
    )
    assert not SubmissionKey.objects.exists()  # the preview gives its key back
    token = client.session[SESSION_KEY]["token"]
    response = client.post(
        reverse("imports"),
        {"action": "confirm", "token": token, "_submission": str(uuid.uuid4())},
    )

    assert response.status_code == 302
    assert AbsenceRecord.objects.filter(pupil=pupil).count() == 1
    assert SubmissionKey.objects.count() == 1
    assert Flag.objects.filter(pupil=pupil, rule="undocumented").exists()


# --- two requests at the same moment (PostgreSQL) ----------------------------------------


@needs_concurrent_transactions
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_one_key_schedule_one_meeting(case, contact_teacher, monkeypatch):
    from cases.views import meetings as meeting_views

    real = meeting_views.schedule_meeting
    entered, proceed = threading.Event(), threading.Event()

    def held_open(*args, **kwargs):
        meeting = real(*args, **kwargs)
        entered.set()
        proceed.wait(timeout=20)  # until the other request waits on the key
        return meeting

    monkeypatch.setattr(meeting_views, "schedule_meeting", held_open)
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(contact_teacher)
    key = uuid.uuid4()
    barrier = threading.Barrier(2)
    answers: list = []
    lock = threading.Lock()

    def post(client):
        try:
            barrier.wait(timeout=10)
            response = client.post(meeting_url(case), meeting_data(key))
            result = (response.status_code, response.get("Location"), shown(response))
        except Exception as exc:  # anything else fails the test below
            result = ("error", repr(exc), [])
        finally:
            connections.close_all()
        with lock:
            answers.append(result)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    try:
        assert entered.wait(timeout=20)
        assert _a_backend_waits_on_a_lock(), "the second request never reached the key"
    finally:
        proceed.set()
        for t in threads:
            t.join(timeout=30)

    meeting = Meeting.objects.get(case=case)
    location = f"/saker/{case.uuid}/moter/{meeting.uuid}/"
    assert sorted((status, where) for status, where, _ in answers) == [(302, location)] * 2
    assert sorted(ALREADY_SENT in messages for _, _, messages in answers) == [False, True]


def _a_backend_waits_on_a_lock() -> bool:
    import time

    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False
