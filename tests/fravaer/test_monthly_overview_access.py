"""Who reads the monthly overview and writes the class comments: the school's leaders
and team read the overview; the contact teacher writes their classes' comments only;
PPT, the nurse, another school's leader and the anonymous get 404 (or the login)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fravaer.models import ClassMonthComment, StaffRole, TeachingAssignment
from tests.conftest import make_group, make_user
from tests.factories import OCTOBER, class_comment, october_scene


@pytest.fixture
def scene(group, leader):
    return october_scene(group, leader)


def overview_url(school, month="2026-10"):
    return reverse("fravaer:monthly_overview_month", args=[school.pk, month])


def comment_url(group, month="2026-10"):
    return reverse("fravaer:class_comment", args=[group.pk, month])


@pytest.fixture
def other_leader(other_school):
    user = make_user("rektor@sorby.no")
    StaffRole.objects.create(user=user, role="school_leader", school=other_school)
    return user


def test_the_leader_reads_the_overview_with_every_comment(
    scene, school, group, leader, contact_teacher, client_for
):
    class_comment(group, contact_teacher, text="Influensa i uke 41.")
    response = client_for(leader).get(overview_url(school))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Influensa i uke 41." in html
    assert "Ola Aas" in html
    assert "1 av 2 kommentert" in html


def test_the_team_reads_the_overview(scene, school, team_member, client_for):
    assert client_for(team_member).get(overview_url(school)).status_code == 200


def test_the_default_is_last_month(scene, school, leader, client_for):
    response = client_for(leader).get(reverse("fravaer:monthly_overview", args=[school.pk]))
    assert response.context["overview"].month == OCTOBER


def test_a_month_typed_in_the_form_redirects_to_its_page(scene, school, leader, client_for):
    url = reverse("fravaer:monthly_overview", args=[school.pk])
    response = client_for(leader).get(url, {"maaned": "2026-09"})
    assert response.status_code == 302 and response["Location"] == overview_url(school, "2026-09")


def test_a_bad_month_shows_a_message_and_keeps_what_was_typed(scene, school, leader, client_for):
    url = reverse("fravaer:monthly_overview", args=[school.pk])
    response = client_for(leader).get(url, {"maaned": "sept"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Skriv måneden som ÅÅÅÅ-MM" in html
    assert 'value="sept"' in html and 'aria-describedby="maaned-err"' in html


def test_a_bad_month_in_the_address_is_404(scene, school, leader, client_for):
    assert client_for(leader).get(overview_url(school, "2026-13")).status_code == 404


@pytest.mark.parametrize("who", ["contact_teacher", "nurse", "ppt_advisor", "other_leader"])
def test_others_get_404_on_the_overview_and_its_exports(scene, school, who, request, client_for):
    client = client_for(request.getfixturevalue(who))
    assert client.get(overview_url(school)).status_code == 404
    for fmt in ("csv", "xlsx", "pdf"):
        url = reverse("fravaer:monthly_overview_export", args=[school.pk, "2026-10", fmt])
        assert client.get(url).status_code == 404


def test_the_anonymous_are_sent_to_log_in(scene, school, client):
    response = client.get(overview_url(school))
    assert response.status_code == 302 and "/logg-inn/" in response["Location"]


def test_the_contact_teacher_writes_their_class_s_comment(
    scene, group, contact_teacher, client_for
):
    client = client_for(contact_teacher)
    assert client.get(comment_url(group)).status_code == 200
    response = client.post(comment_url(group), {"text": "  Mye sykdom.  "})
    assert response.status_code == 302
    comment = ClassMonthComment.objects.get(group=group, month=OCTOBER)
    assert (comment.text, comment.author, comment.version) == ("Mye sykdom.", contact_teacher, 1)


def test_an_edit_keeps_who_wrote_first_and_who_changed_it(
    scene, group, contact_teacher, leader, client_for
):
    class_comment(group, contact_teacher, text="Først")
    client_for(leader).post(comment_url(group), {"text": "Rettet", "version": "1"})
    comment = ClassMonthComment.objects.get(group=group, month=OCTOBER)
    assert (comment.text, comment.created_by, comment.author) == ("Rettet", contact_teacher, leader)
    assert comment.version == 2 and comment.updated_at >= comment.created_at


def test_a_comment_changed_meanwhile_is_not_overwritten(
    scene, group, contact_teacher, leader, client_for
):
    class_comment(group, contact_teacher, text="Først")
    response = client_for(leader).post(comment_url(group), {"text": "Min tekst"})
    assert response.status_code == 200
    assert "Noen andre har endret kommentaren" in response.content.decode()
    assert ClassMonthComment.objects.get(group=group).text == "Først"


def test_an_empty_comment_is_refused_at_its_field(scene, group, contact_teacher, client_for):
    response = client_for(contact_teacher).post(comment_url(group), {"text": "   "})
    html = response.content.decode()
    assert response.status_code == 200 and "Skriv en kommentar." in html
    assert 'aria-describedby="id_text-hint id_text-err"' in html
    assert not ClassMonthComment.objects.exists()


def test_a_contact_teacher_sees_only_their_classes_comments(
    scene, school, school_year, contact_teacher, client_for
):
    other_class = make_group(school, school_year, name="6B", grade=6)
    TeachingAssignment.objects.create(
        user=make_user("kontakt6b@nordby.no"),
        group=other_class,
        kind="contact",
        valid_from=school_year.start,
    )
    client = client_for(contact_teacher)
    assert client.get(comment_url(other_class)).status_code == 404
    assert client.post(comment_url(other_class), {"text": "x"}).status_code == 404
    assert client.get(comment_url(scene.second)).status_code == 404


@pytest.mark.parametrize("who", ["team_member", "nurse", "ppt_advisor", "other_leader", "outsider"])
def test_others_do_not_write_comments(scene, group, who, request, client_for):
    client = client_for(request.getfixturevalue(who))
    assert client.get(comment_url(group)).status_code == 404
    assert client.post(comment_url(group), {"text": "x"}).status_code == 404
