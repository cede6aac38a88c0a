"""The case's documents as PDFs (issue #14, §4): each renders with its key content, in
the reader's language, loads nothing from user text, downloads as an uncached
attachment with an access-log row, and answers 404 to anyone who may not read the
case."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.conf import settings
from django.urls import reverse

from cases.models import CaseAccessLog, Consent
from fravaer import pdf
from fravaer.models import TeachingAssignment
from tests.conftest import TODAY
from tests.factories import (
    make_document_case,
    make_document_evaluation,
    make_document_version,
    make_held_meeting,
)

pytestmark = pytest.mark.django_db


def pdf_reader(response) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(response.content))


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    reader = pdf_reader(response)
    # Extracted text wraps lines; compare on single spaces.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def case(pupil, contact_teacher):
    return make_document_case(pupil, by=contact_teacher)


@pytest.fixture
def version(case, contact_teacher):
    return make_document_version(case, by=contact_teacher, measures=4)


def url(name, case, *rest, query=""):
    return reverse(f"plans_documents:{name}", args=[case.uuid, *rest]) + query


# --- the agreement -------------------------------------------------------------------------


def test_agreement_pdf_holds_the_plan_and_lines_to_sign(client_for, case, version, contact_teacher):
    text = text_of(client_for(contact_teacher).get(url("agreement", case)))
    for expected in (
        "Samarbeidsavtale med tiltaksplan",
        "Nordby skole",
        "Ola Nordmann",
        "5A",
        "01.01.2014",  # date of birth
        "Mye fravær på mandager.",  # the concern
        "Gruer seg til matematikk.",  # the mapping
        "Være på skolen hele dagen, hver dag.",
        "Delmål 1: møte presis",
        "02.12.2026",  # its target date
        "Tiltak 1",
        "Tiltak 4",
        "Skole",
        "Hjem",
        "Eleven selv",
        "Helsesykepleier",  # a service responsible
        "Trinn 2: 2 timer",  # the tapering plan
        "Oppmøteplan",
        "Mandag",
        "Fredag",
        "09:30",
        "Biblioteket",
        "Hver fredag",  # the contact arrangement
        "09.12.2026",  # the evaluation date
        "Kari Nordmann, foresatt",
        "Ola Nordmann, eleven",
        "for skolen",
        "Underskrifter",
    ):
        assert expected in text, expected
    assert case.pupil.pupil_id not in text
    assert "UTKAST" not in text


def test_agreement_pdf_shows_the_activity_plan_reference(client_for, case, contact_teacher):
    make_document_version(case, by=contact_teacher, activity_plan_ref="AP-2026-17")
    text = text_of(client_for(contact_teacher).get(url("agreement", case)))
    assert "§ 12-5" in text and "AP-2026-17" in text


def test_agreement_defaults_to_the_version_in_force(client_for, case, contact_teacher):
    v1 = make_document_version(
        case, by=contact_teacher, status="superseded", long_term_goal="Gammelt mål"
    )
    make_document_version(
        case, by=contact_teacher, number=2, based_on=v1, long_term_goal="Nytt mål"
    )
    make_document_version(
        case, by=contact_teacher, number=3, status="draft", long_term_goal="Utkastmål"
    )
    response = client_for(contact_teacher).get(url("agreement", case))
    assert response["Content-Disposition"] == (
        f'attachment; filename="samarbeidsavtale-v2-{TODAY.isoformat()}.pdf"'
    )
    text = text_of(response)
    assert "Nytt mål" in text and "Gammelt mål" not in text and "UTKAST" not in text


def test_a_chosen_draft_is_marked_utkast(client_for, case, version, contact_teacher):
    draft = make_document_version(case, by=contact_teacher, number=2, status="draft")
    response = client_for(contact_teacher).get(url("agreement_version", case, draft.uuid))
    reader = pdf_reader(response)
    # On every page, not only the first.
    assert all("UTKAST" in page.extract_text() for page in reader.pages)
    assert "samarbeidsavtale-v2-" in response["Content-Disposition"]


def test_a_version_of_another_case_is_404(client_for, case, version, contact_teacher, group):
    from tests.conftest import make_pupil

    other = make_document_case(make_pupil(group), by=contact_teacher)
    response = client_for(contact_teacher).get(url("agreement_version", other, version.uuid))
    assert response.status_code == 404


def test_a_case_without_a_plan_has_no_agreement(client_for, case, contact_teacher):
    assert client_for(contact_teacher).get(url("agreement", case)).status_code == 404


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_documents_are_tagged_in_the_readers_language(
    client_for, case, version, contact_teacher, language
):
    client = client_for(contact_teacher)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    reader = pdf_reader(client.get(url("agreement", case)))
    assert reader.trailer["/Root"]["/Lang"] == language
    assert "/StructTreeRoot" in reader.trailer["/Root"]


def test_user_text_with_urls_loads_nothing_and_shows_as_text(
    client_for, case, contact_teacher, monkeypatch
):
    asked: list[str] = []
    real = pdf.static_path_for
    monkeypatch.setattr(pdf, "static_path_for", lambda u: asked.append(u) or real(u))
    evil = '<img src="http://127.0.0.1:9/x.png"> <img src="file:///etc/passwd">'
    case.concern = evil
    case.save(update_fields=["concern"])
    make_document_version(case, by=contact_teacher, long_term_goal=evil)
    response = client_for(contact_teacher).get(url("agreement", case))
    reader = pdf_reader(response)
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert 'src="http://127.0.0.1:9/x.png"' in text and 'src="file:///etc/passwd"' in text
    assert "root:" not in text
    assert all(u.startswith(pdf.STATIC_BASE) for u in asked)
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        assert not [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]


# --- minutes, consent form, evaluation report --------------------------------------------


def test_minutes_pdf_holds_the_meeting_and_goes_to_every_participant(
    client_for, case, contact_teacher
):
    meeting = make_held_meeting(case, by=contact_teacher)
    response = client_for(contact_teacher).get(url("minutes", case, meeting.uuid))
    assert response["Content-Disposition"].startswith('attachment; filename="referat-level1-')
    text = text_of(response)
    for expected in (
        "Referat",
        "Møte med elev og foresatte (nivå 1)",
        "Møterom 2",
        "Kari Nordmann",
        "Vil gjerne starte dagen i biblioteket.",
        "Vi ble enige om oppmøte i biblioteket.",
        "Referatet sendes til alle deltakerne.",
    ):
        assert expected in text, expected


def test_a_planned_meeting_has_no_minutes(client_for, case, contact_teacher):
    from cases.models import Meeting

    meeting = make_held_meeting(case, by=contact_teacher)
    Meeting.objects.filter(pk=meeting.pk).update(status="scheduled", pupil_view="")
    assert client_for(contact_teacher).get(url("minutes", case, meeting.uuid)).status_code == 404


def _consent(case, by, **extra):
    from django.utils import timezone

    consent = Consent.objects.create(
        case=case,
        service="school_nurse",
        purpose="Samtaler om søvn og trivsel",
        scope="Fravær og trivsel",
        given_on=TODAY,
        expires_on=TODAY + dt.timedelta(days=365),
        recorded_by=by,
        recorded_at=timezone.now(),
        **extra,
    )
    consent.guardians.set(case.pupil.guardians.all())
    return consent


def test_consent_form_says_what_with_whom_how_long_and_the_right_to_withdraw(
    client_for, case, contact_teacher
):
    consent = _consent(case, contact_teacher)
    response = client_for(contact_teacher).get(url("consent", case, consent.pk))
    assert response["Content-Disposition"] == (
        f'attachment; filename="samtykkeskjema-school-nurse-{TODAY.isoformat()}.pdf"'
    )
    text = text_of(response)
    for expected in (
        "Samtykke til samarbeid og utveksling av opplysninger",
        "Helsesykepleier",
        "Samtaler om søvn og trivsel",
        "Fravær og trivsel",
        "18.11.2027",
        "trekke samtykket",
        "Kari Nordmann, foresatt",
    ):
        assert expected in text, expected
    assert "eleven" not in text.split("Underskrifter")[1]  # under 15: the guardians sign


def test_consent_form_has_a_line_for_the_pupil_from_15(client_for, case, contact_teacher):
    case.pupil.birth_date = dt.date(2011, 1, 1)
    case.pupil.save(update_fields=["birth_date"])
    consent = _consent(case, contact_teacher)
    text = text_of(client_for(contact_teacher).get(url("consent", case, consent.pk)))
    assert "Ola Nordmann, eleven" in text


def test_blank_consent_form_for_a_chosen_service(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    text = text_of(client.get(url("blank_consent", case, query="?service=ppt")))
    assert "PPT" in text and "Kari Nordmann, foresatt" in text
    assert client.get(url("blank_consent", case, query="?service=nasa")).status_code == 404
    assert client.get(url("blank_consent", case)).status_code == 404


def test_a_consent_of_another_case_is_404(client_for, case, contact_teacher, group):
    from tests.conftest import make_pupil

    other = make_document_case(make_pupil(group), by=contact_teacher)
    consent = _consent(other, contact_teacher)
    assert client_for(contact_teacher).get(url("consent", case, consent.pk)).status_code == 404


def test_evaluation_report_holds_results_views_effect_and_outcome(
    client_for, case, version, contact_teacher
):
    evaluation = make_document_evaluation(case, version, by=contact_teacher)
    response = client_for(contact_teacher).get(url("evaluation", case, evaluation.uuid))
    assert response["Content-Disposition"] == (
        f'attachment; filename="evalueringsrapport-{TODAY.isoformat()}.pdf"'
    )
    text = text_of(response)
    for expected in (
        "Evaluering av tiltaksplanen",
        "Ola Nordmann",
        "Delmål 1: møte presis",
        "Delvis nådd",
        "Tiltak 3",
        "Virket ikke",
        "Ble ikke gjort",
        "Det er lettere når læreren venter i biblioteket.",
        "Morgenene er roligere.",
        "07.09.2026",
        "25 / 100",
        "25,0 %",
        "10,0 %",
        "gått ned med 15,0 prosentpoeng",
        "Delvis: fortsett samme plan med ny evalueringsdato",
        "Fraværet har gått ned, men ikke nok.",
        "09.12.2026",
        "Enkelttimer (skravert)",  # the effect chart's legend
    ):
        assert expected in text, expected
    # The chart's week-by-week table is for the screen.
    assert "Vis som tabell" not in text


def test_evaluation_report_without_an_effect_says_so(client_for, case, version, contact_teacher):
    evaluation = make_document_evaluation(case, version, by=contact_teacher, effect={})
    text = text_of(client_for(contact_teacher).get(url("evaluation", case, evaluation.uuid)))
    assert "kan ikke sammenlignes" in text


# --- downloads: headers, the access log, who may ---------------------------------------------


@pytest.fixture
def documents(case, version, contact_teacher):
    """One of each document, and the URL of each download."""
    meeting = make_held_meeting(case, by=contact_teacher)
    consent = _consent(case, contact_teacher)
    evaluation = make_document_evaluation(case, version, by=contact_teacher)
    return {
        "pdf:agreement": [url("agreement", case), url("agreement_version", case, version.uuid)],
        "pdf:minutes": [url("minutes", case, meeting.uuid)],
        "pdf:consent": [
            url("consent", case, consent.pk),
            url("blank_consent", case, query="?service=ppt"),
        ],
        "pdf:evaluation": [url("evaluation", case, evaluation.uuid)],
    }


def test_each_download_is_an_uncached_attachment_logged_as_a_read(
    client_for, case, documents, contact_teacher
):
    client = client_for(contact_teacher)
    for what, urls in documents.items():
        for u in urls:
            before = CaseAccessLog.objects.filter(case=case, what=what).count()
            response = client.get(u)
            assert response.status_code == 200, u
            assert response["Content-Type"] == "application/pdf"
            assert response["Content-Disposition"].startswith('attachment; filename="')
            assert "no-store" in response["Cache-Control"]
            assert "Ola" not in response["Content-Disposition"]
            row = CaseAccessLog.objects.filter(case=case, what=what).latest("pk")
            assert CaseAccessLog.objects.filter(case=case, what=what).count() == before + 1
            assert (row.user, row.basis) == (contact_teacher, "owner")


def _all_urls(documents):
    return [u for urls in documents.values() for u in urls]


def test_anonymous_is_sent_to_log_in(client, documents):
    for u in _all_urls(documents):
        response = client.get(u)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), u


def test_another_school_gets_404(client_for, documents, outsider):
    client = client_for(outsider)
    for u in _all_urls(documents):
        assert client.get(u).status_code == 404, u
    assert not CaseAccessLog.objects.filter(user=outsider).exists()


def test_ppt_without_a_referral_gets_404(client_for, documents, ppt_advisor):
    client = client_for(ppt_advisor)
    for u in _all_urls(documents):
        assert client.get(u).status_code == 404, u


def test_a_contact_teacher_whose_role_ended_gets_404(client_for, documents, contact_teacher):
    TeachingAssignment.objects.filter(user=contact_teacher).update(
        valid_to=TODAY - dt.timedelta(days=1)
    )
    client = client_for(contact_teacher)
    for u in _all_urls(documents):
        assert client.get(u).status_code == 404, u


def test_a_post_is_refused(client_for, case, version, contact_teacher):
    assert client_for(contact_teacher).post(url("agreement", case)).status_code == 405


def test_the_access_log_names_the_document(client_for, case, version, contact_teacher, leader):
    client_for(contact_teacher).get(url("agreement", case))
    page = client_for(leader).get(reverse("cases:case_access_log", args=[case.uuid]))
    assert "Samarbeidsavtalen (PDF)" in page.content.decode()


def test_the_evaluation_page_links_its_report(client_for, case, version, contact_teacher):
    evaluation = make_document_evaluation(case, version, by=contact_teacher)
    page = client_for(contact_teacher).get(
        reverse("evaluations:detail", args=[case.uuid, evaluation.uuid])
    )
    assert url("evaluation", case, evaluation.uuid) in page.content.decode()


def test_a_held_meetings_page_links_its_minutes(client_for, case, contact_teacher):
    meeting = make_held_meeting(case, by=contact_teacher)
    client = client_for(contact_teacher)
    page = client.get(reverse("cases:meeting", args=[case.uuid, meeting.uuid])).content.decode()
    assert url("minutes", case, meeting.uuid) in page
    from cases.models import Meeting

    Meeting.objects.filter(pk=meeting.pk).update(status="scheduled", pupil_view="")
    page = client.get(reverse("cases:meeting", args=[case.uuid, meeting.uuid])).content.decode()
    assert "/dokumenter/referat/" not in page
