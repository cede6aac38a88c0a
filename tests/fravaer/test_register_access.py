"""Who may do what in a group's register (`fravaer.access.GroupAccess`): whose records
one edits and who is offered contact with the home, each asked by the register's view
and template; the contact log's view refuses who the register does not offer it to."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from fravaer import access
from tests.factories import absence

DAY = dt.date(2026, 11, 17)  # the day before today (frozen at 18.11.2026), a school day


def url(group) -> str:
    return reverse("register", args=[group.pk]) + f"?dato={DAY.isoformat()}"


def test_the_contact_teacher_edits_the_class_and_may_contact_the_home(contact_teacher, group):
    grant = access.group_access_or_404(contact_teacher, group.pk)
    assert grant.edits_only_own_records is False
    assert grant.may_contact_home is True


def test_a_subject_teacher_edits_only_their_own_and_may_not_contact_the_home(
    subject_teacher, group
):
    grant = access.group_access_or_404(subject_teacher, group.pk)
    assert grant.edits_only_own_records is True
    assert grant.may_contact_home is False


def test_only_the_contact_teacher_is_offered_contact_with_the_home_in_the_register(
    client_for, contact_teacher, subject_teacher, group, pupil
):
    absence(pupil, DAY, subject_teacher, kind="lesson", lessons=1, subject="Matematikk")
    contact_url = reverse("contact_log", args=[pupil.uuid])
    assert contact_url in client_for(contact_teacher).get(url(group)).content.decode()
    client = client_for(subject_teacher)
    page = client.get(url(group))
    row, _ = page.context["rows"][0]
    assert row.undocumented
    assert contact_url not in page.content.decode()
    assert client.post(contact_url, {}).status_code == 404
    assert not pupil.contact_logs.exists()


def test_a_subject_teacher_sees_only_their_own_records_to_edit(
    client_for, contact_teacher, subject_teacher, group, pupil
):
    theirs = absence(pupil, DAY, contact_teacher, kind="lesson", lessons=1, subject="Norsk")
    mine = absence(pupil, DAY, subject_teacher, kind="lesson", lessons=1, subject="Matematikk")
    row, _ = client_for(subject_teacher).get(url(group)).context["rows"][0]
    assert (row.primary, row.others) == (mine, [theirs])
    row, _ = client_for(contact_teacher).get(url(group)).context["rows"][0]
    assert {row.primary, *row.others} == {mine, theirs}
