"""The overview's inbox messages say which class or school and month they are about:
a contact teacher of two classes got two identical links ("Skriv kommentaren til
klassens fravær for forrige måned.") to different pages (WCAG 2.4.4), and after the
month the words "forrige måned" no longer said which month."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fravaer.models import MonthlyOverviewNotice, TeachingAssignment
from fravaer.tasks import announce_monthly_overviews_daily
from tests.conftest import make_group

DECEMBER_1 = dt.date(2026, 12, 1)  # a Tuesday, the first school day of December


def _announce():
    announce_monthly_overviews_daily.apply(args=[DECEMBER_1.isoformat()]).get()


def test_each_comment_message_names_its_class_and_month(
    school, school_year, group, contact_teacher, client_for
):
    second = make_group(school, school_year, name="6B", grade=6)
    TeachingAssignment.objects.create(
        user=contact_teacher, group=second, kind="contact", valid_from=school_year.start
    )
    _announce()

    html = client_for(contact_teacher).get(reverse("inbox")).content.decode()

    for klass in (group, second):
        link = reverse("fravaer:class_comment", args=[klass.pk, "2026-11"])
        assert (
            f'<a class="ds-link" href="{link}">Skriv kommentaren til klassens fravær for '
            f"forrige måned. ({klass.name}, november 2026)</a>"
        ) in html


def test_the_leaders_message_names_the_school_and_month(school, leader, client_for):
    _announce()
    html = client_for(leader).get(reverse("inbox")).content.decode()
    assert f"Månedsoversikten for forrige måned er klar. ({school.name}, november 2026)" in html


def test_the_inbox_queries_do_not_grow_with_the_messages(
    school, school_year, group, contact_teacher, client_for, django_assert_num_queries
):
    _announce()
    client = client_for(contact_teacher)
    client.get(reverse("inbox"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("inbox"))
    for i in range(4):
        klass = make_group(school, school_year, name=f"7{'BCDE'[i]}", grade=7)
        TeachingAssignment.objects.create(
            user=contact_teacher, group=klass, kind="contact", valid_from=school_year.start
        )
    MonthlyOverviewNotice.objects.all().delete()
    _announce()
    with django_assert_num_queries(len(one.captured_queries)):
        html = client.get(reverse("inbox")).content.decode()
    assert "(7E, november 2026)" in html
