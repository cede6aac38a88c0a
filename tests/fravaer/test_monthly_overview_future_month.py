"""A month that has not begun has no overview: its address, its exports and its class
comment are 404, the month field says so in Norwegian and keeps what was typed, and
the command refuses it. Before this, such a month showed "1 skoledag", pupils "with
absence" and bogus months in the school's trend (each future month counted its first
day as a school day)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import october_scene

# Tests run on 18.11.2026: November is running, December has not begun.


@pytest.fixture
def scene(group, leader):
    return october_scene(group, leader)


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("monthly_overview_month", ()),
        ("monthly_overview_export", ("csv",)),
        ("monthly_overview_export", ("xlsx",)),
        ("monthly_overview_export", ("pdf",)),
    ],
)
def test_a_month_not_begun_is_404(scene, school, leader, client_for, name, extra):
    client = client_for(leader)
    url = reverse(f"fravaer:{name}", args=[school.pk, "2026-12", *extra])
    assert client.get(url).status_code == 404
    # The running month is there.
    url = reverse(f"fravaer:{name}", args=[school.pk, "2026-11", *extra])
    assert client.get(url).status_code == 200


def test_the_class_comment_of_a_month_not_begun_is_404(scene, group, contact_teacher, client_for):
    client = client_for(contact_teacher)
    url = reverse("fravaer:class_comment", args=[group.pk, "2027-03"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "For tidlig"}).status_code == 404


def test_the_month_field_says_a_month_has_not_begun_and_keeps_it(scene, school, leader, client_for):
    url = reverse("fravaer:monthly_overview", args=[school.pk])
    response = client_for(leader).get(url, {"maaned": "2027-03"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Måneden har ikke begynt ennå." in html
    assert 'value="2027-03"' in html
    assert 'aria-describedby="maaned-err"' in html


def test_the_command_refuses_a_month_not_begun(scene, school, municipality):
    with pytest.raises(CommandError, match="har ikke begynt"):
        call_command(
            "export_monthly_overview",
            "--municipality",
            municipality.name,
            "--school",
            school.name,
            "--month",
            "2026-12",
            stdout=io.StringIO(),
        )
