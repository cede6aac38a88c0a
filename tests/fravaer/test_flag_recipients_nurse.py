"""The school nurse gets the illness rule's flags (issue #15, §4): `illness_share`
suggests involving her, and her inbox was empty. She is told of these flags only, at
her own school, and what she reads of other flags stays as it was."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from fravaer.access import flag_recipients, message_flags
from fravaer.models import Notification, StaffRole
from tests.conftest import TODAY, make_user
from tests.factories import absence, make_flag, scan, weekdays
from tests.pages import html_of


def recipients(rule, group) -> set[int]:
    return set(
        flag_recipients(rule, group_id=group.pk, school_id=group.school_id, day=TODAY).values_list(
            "pk", flat=True
        )
    )


def test_an_illness_flag_reaches_the_school_nurse_and_the_contact_teacher(
    group, nurse, contact_teacher
):
    assert recipients("illness_share", group) == {nurse.pk, contact_teacher.pk}


def test_no_other_rule_reaches_the_school_nurse(group, nurse, contact_teacher):
    for rule in ("undocumented", "month_days", "year_days_leadership", "fortnight_share"):
        assert nurse.pk not in recipients(rule, group), rule


def test_another_schools_nurse_is_not_told(group, other_school):
    elsewhere = make_user("helse@sorby.no")
    StaffRole.objects.create(user=elsewhere, role="school_nurse", school=other_school)
    assert elsewhere.pk not in recipients("illness_share", group)


def test_a_scan_puts_an_illness_flag_in_the_nurses_inbox_and_nothing_else(
    client_for, school, pupil, contact_teacher, nurse
):
    # Six whole days documented as illness (the rule: 5), undocumented absence too.
    for day in weekdays(dt.date(2026, 11, 2), 6):
        absence(pupil, day, contact_teacher, documented=True)
    absence(pupil, dt.date(2026, 11, 16), contact_teacher)
    scan(school)
    messages = list(Notification.objects.filter(user=nurse))
    assert len(messages) == 1
    flags = list(message_flags(nurse, messages))
    assert {f.rule for f in flags} == {"illness_share"}
    html = html_of(client_for(nurse).get(reverse("inbox")))
    assert "Mye dokumentert sykdom" in html
    assert pupil.full_name in html
    assert "Udokumentert fravær" not in html


def test_the_nurse_may_not_acknowledge_an_illness_flag(client_for, pupil, nurse):
    flag = make_flag(pupil, "illness_share")
    url = reverse("flag_acknowledge", args=[pupil.uuid, flag.pk])
    response = client_for(nurse).post(url, {"reason": "Snakket med eleven."})
    assert response.status_code == 404
    flag.refresh_from_db()
    assert flag.status == "active"


def test_the_nurse_has_no_flag_list_on_her_start_page(client_for, pupil, nurse):
    make_flag(pupil, "illness_share")
    make_flag(pupil, "month_days")
    html = html_of(client_for(nurse).get(reverse("home")))
    assert "Elever med aktive varsler" not in html
    assert reverse("school_flags", args=[pupil.enrollments.first().group.school_id]) not in html


def test_the_rules_page_names_the_nurse_for_the_illness_rule(
    client_for, municipal_admin, municipality
):
    html = html_of(
        client_for(municipal_admin).get(reverse("municipality_rules", args=[municipality.pk]))
    )
    assert "Går til: kontaktlærer, helsesykepleier." in html
