"""Opening a case: the action, and the page at /elever/<uuid>/sak/ny/ reached from a
flag (one click), the pupil page and the start page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.actions.core import close_case
from cases.errors import CaseRuleError
from cases.models import Case, CaseEvent, CaseFlag
from tests.cases.conftest import make_case
from tests.conftest import make_pupil
from tests.factories import make_flag


def open_url(pupil):
    return reverse("cases:case_open", args=[pupil.uuid])


# --- the action -------------------------------------------------------------------------


def test_open_case_defaults_owner_to_contact_teacher(pupil, contact_teacher, team_member):
    case = make_case(pupil, by=team_member)
    assert (case.owner, case.opened_by, case.level) == (contact_teacher, team_member, "0")
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [CaseEvent.Kind.OPENED, CaseEvent.Kind.OWNER_ASSIGNED]


def test_open_case_defaults_owner_to_contact_teacher_when_a_classmate_has_left(
    group, pupil, contact_teacher, team_member
):
    classmate = make_pupil(group, first="Siri")
    classmate.enrollments.update(end=group.school_year.start + dt.timedelta(days=30))
    case = make_case(pupil, by=team_member)
    assert case.owner == contact_teacher


def test_open_case_refuses_empty_concern(pupil, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        make_case(pupil, by=contact_teacher, concern="  ")
    assert exc.value.code == "case_concern_required"


def test_open_case_refuses_second_open_case(case, pupil, contact_teacher):
    with pytest.raises(CaseRuleError) as exc:
        make_case(pupil, by=contact_teacher)
    assert exc.value.code == "case_already_open"


def test_open_case_from_flag_attaches_it(pupil, contact_teacher):
    flag = make_flag(pupil)
    case = make_case(pupil, by=contact_teacher, flag=flag)
    assert list(case.case_flags.values_list("flag_id", flat=True)) == [flag.pk]
    assert case.events.get(kind=CaseEvent.Kind.FLAG_ATTACHED).data == {"flag": flag.pk}


# --- the page ---------------------------------------------------------------------------


def test_open_page_anonymous_redirects_to_login(client, pupil):
    response = client.get(open_url(pupil))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "logg-inn" in response["Location"]


@pytest.mark.parametrize(
    "persona", ["subject_teacher", "nurse", "ppt_advisor", "outsider", "municipal_admin"]
)
def test_open_page_is_404_for_those_who_may_not_open(request, client_for, pupil, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get(open_url(pupil)).status_code == 404
    assert client.post(open_url(pupil), {"concern": "x"}).status_code == 404
    assert not Case.objects.exists()


@pytest.mark.parametrize("persona", ["contact_teacher", "team_member", "leader"])
def test_contact_teacher_team_and_leaders_may_open(request, client_for, pupil, persona):
    user = request.getfixturevalue(persona)
    request.getfixturevalue("contact_teacher")
    response = client_for(user).post(open_url(pupil), {"concern": "Mye fravær på mandager."})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case", args=[case.uuid])
    assert (case.opened_by, case.concern) == (user, "Mye fravær på mandager.")


def test_open_page_prefills_concern_from_flag(client_for, pupil, contact_teacher):
    flag = make_flag(pupil)
    response = client_for(contact_teacher).get(open_url(pupil) + f"?varsel={flag.pk}")
    assert response.context["form"]["concern"].value() == flag.explanation()
    assert f'name="flag" value="{flag.pk}"' in response.content.decode()


def test_flag_of_another_pupil_is_404(client_for, pupil, other_pupil, contact_teacher):
    flag = make_flag(other_pupil)
    response = client_for(contact_teacher).post(open_url(pupil), {"concern": "x", "flag": flag.pk})
    assert response.status_code == 404
    assert not Case.objects.exists()


def test_one_click_from_flag_opens_case_with_flag(client_for, pupil, contact_teacher):
    flag = make_flag(pupil)
    client_for(contact_teacher).post(
        open_url(pupil), {"flag": flag.pk, "concern": flag.explanation()}
    )
    case = Case.objects.get()
    assert case.concern == flag.explanation()
    assert CaseFlag.objects.get().flag == flag


def test_empty_concern_shows_message(client_for, pupil, contact_teacher):
    response = client_for(contact_teacher).post(open_url(pupil), {"concern": "   "})
    assert response.status_code == 200
    assert "Beskriv bekymringen med noen ord." in response.content.decode()
    assert not Case.objects.exists()


def test_already_open_case_is_refused_and_typed_text_kept(client_for, case, pupil, contact_teacher):
    response = client_for(contact_teacher).post(
        open_url(pupil), {"concern": "Min egen tekst om bekymringen"}
    )
    html = response.content.decode()
    assert "Eleven har allerede en åpen sak. Gå til den i stedet." in html
    assert "Min egen tekst om bekymringen" in html
    assert reverse("cases:case", args=[case.uuid]) in html
    assert Case.objects.count() == 1


def test_open_page_links_to_the_open_case(client_for, case, pupil, contact_teacher):
    html = client_for(contact_teacher).get(open_url(pupil)).content.decode()
    assert reverse("cases:case", args=[case.uuid]) in html
    assert "Eleven har allerede en åpen sak." in html


def test_recently_closed_case_is_offered_for_reopening(client_for, case, pupil, contact_teacher):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    html = client_for(contact_teacher).get(open_url(pupil)).content.decode()
    assert "Gjenåpne den forrige saken?" in html
    assert 'name="reopen"' in html


def test_reopen_from_the_open_page_without_reason_stays_there(
    client_for, case, pupil, contact_teacher
):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    case.refresh_from_db()
    client = client_for(contact_teacher)
    response = client.post(
        open_url(pupil),
        {"reopen": "1", "gjenapne-version": case.version, "gjenapne-reason": "  "},
    )
    html = response.content.decode()
    # The same page, the message at the field, both choices still there.
    assert response.status_code == 200
    assert "Skriv kort hvorfor saken gjenåpnes." in html
    assert 'id="id_gjenapne-reason-err"' in html
    assert "Eller opprett en ny sak" in html
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    # With a reason it reopens and goes to the case.
    response = client.post(
        open_url(pupil),
        {"reopen": "1", "gjenapne-version": case.version, "gjenapne-reason": "Nytt fravær"},
    )
    assert response.url == reverse("cases:case", args=[case.uuid])
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_reopen_from_the_open_page_after_a_change_keeps_the_reason(
    client_for, case, pupil, contact_teacher
):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    case.refresh_from_db()
    response = client_for(contact_teacher).post(
        open_url(pupil),
        {"reopen": "1", "gjenapne-version": case.version - 1, "gjenapne-reason": "Nytt fravær"},
    )
    html = response.content.decode()
    assert "Nytt fravær</textarea>" in html
    assert f'name="gjenapne-version" value="{case.version}"' in html
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED


def test_one_click_with_recently_closed_case_offers_choice_first(
    client_for, case, pupil, contact_teacher
):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    flag = make_flag(pupil)
    response = client_for(contact_teacher).post(
        open_url(pupil), {"flag": flag.pk, "concern": "Ny bekymring"}
    )
    assert response.status_code == 200
    assert "Gjenåpne den forrige saken?" in response.content.decode()
    assert Case.objects.count() == 1


def test_start_new_despite_recently_closed_case(client_for, case, pupil, contact_teacher):
    close_case(case, reason="not_confirmed", by=contact_teacher, version=case.version)
    client_for(contact_teacher).post(open_url(pupil), {"concern": "Ny bekymring", "start_new": "1"})
    assert Case.objects.filter(status=Case.Status.OPEN).get().concern == "Ny bekymring"


def test_case_closed_long_ago_is_not_offered(client_for, case, pupil, contact_teacher):
    close_case(
        case,
        reason="not_confirmed",
        by=contact_teacher,
        version=case.version,
        now=timezone.now() - dt.timedelta(days=91),
    )
    html = client_for(contact_teacher).get(open_url(pupil)).content.decode()
    assert "Gjenåpne den forrige saken?" not in html


# --- the pupil page and the start page --------------------------------------------------


def test_pupil_page_offers_open_case_without_one(client_for, pupil, contact_teacher):
    flag = make_flag(pupil)
    html = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])).content.decode()
    assert f'action="{open_url(pupil)}"' in html
    assert f'name="flag" value="{flag.pk}"' in html


def test_pupil_page_links_to_open_case(client_for, case, pupil, contact_teacher):
    make_flag(pupil)
    html = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])).content.decode()
    assert reverse("cases:case", args=[case.uuid]) in html
    assert "Gå til saken" in html
    assert f'action="{open_url(pupil)}"' not in html


def test_pupil_page_has_no_open_button_for_nurse(client_for, pupil, nurse):
    make_flag(pupil)
    html = client_for(nurse).get(reverse("pupil", args=[pupil.uuid])).content.decode()
    assert open_url(pupil) not in html


def test_start_page_flag_has_open_case_button(client_for, pupil, contact_teacher):
    flag = make_flag(pupil)
    html = client_for(contact_teacher).get(reverse("home")).content.decode()
    assert f'action="{open_url(pupil)}"' in html
    assert f'name="flag" value="{flag.pk}"' in html


def test_start_page_links_to_open_case(client_for, case, pupil, contact_teacher):
    make_flag(pupil)
    html = client_for(contact_teacher).get(reverse("home")).content.decode()
    assert reverse("cases:case", args=[case.uuid]) in html
    assert f'action="{open_url(pupil)}"' not in html
