"""Who is told about a new flag has one definition (`access.flag_recipients`, from the
table `access.FLAG_AUDIENCES`), and the scan's SQL (`scan_writes.recipients_sql`),
built from the same table, tells exactly those people, each of whom may see the flag
on the pupil's page."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import Http404

from fravaer.access import (
    FlagAudience,
    flag_recipients,
    pupil_access_or_404,
    pupil_flag_or_404,
)
from fravaer.actions import log_contact, scan_absence
from fravaer.actions.scan_writes import recipients_sql
from fravaer.models import Flag, Notification, StaffRole, TeachingAssignment
from fravaer.scan import Scope
from fravaer.thresholds import RULES
from tests.conftest import TODAY, make_group, make_pupil, make_user
from tests.factories import absence, make_flag, weekdays


@pytest.fixture
def cast(
    school,
    other_school,
    school_year,
    group,
    other_group,
    pupil,
    other_pupil,
    contact_teacher,
    subject_teacher,
    leader,
    team_member,
    nurse,
    ppt_advisor,
    municipal_admin,
    outsider,
):
    """Pupils in two classes of one school and one of another, and people of every
    role, some of whom hear of none of their flags."""
    second = make_group(school, school_year, name="6A", grade=6)
    second_pupil = make_pupil(second, first="Siri")

    def assign(user, group, **dates):
        dates.setdefault("valid_from", school_year.start)
        TeachingAssignment.objects.create(user=user, group=group, kind="contact", **dates)
        return user

    def role(user, role, school):
        StaffRole.objects.create(user=user, role=role, school=school)
        return user

    people = {
        "contact_teacher": contact_teacher,
        "second_contact": assign(make_user(), second),
        "leader_and_contact": role(assign(make_user(), group), "school_leader", school),
        "ended_contact": assign(make_user(), group, valid_to=TODAY - dt.timedelta(days=1)),
        "future_contact": assign(make_user(), group, valid_from=TODAY + dt.timedelta(days=7)),
        "subject_teacher": subject_teacher,
        "leader": leader,
        "team_member": team_member,
        "nurse": nurse,
        "attendance_contact": role(make_user(), "attendance_contact", school),
        "other_leader": role(make_user(), "school_leader", other_school),
        "other_team": role(make_user(), "environment_team", other_school),
        "ppt_advisor": ppt_advisor,
        "municipal_admin": municipal_admin,
        "outsider": outsider,
    }
    return {"pupils": [pupil, second_pupil, other_pupil], "people": people}


def told_by_the_definition(flag: Flag) -> set[int]:
    return set(
        flag_recipients(
            flag.rule,
            group_id=flag.group_id,
            school_id=flag.school_id,
            day=TODAY,
            handed_over="no_answer_on" in (flag.details or {}),
        ).values_list("pk", flat=True)
    )


def told_by_the_scans_sql(flags: list[Flag]) -> dict[int, set[int]]:
    """flag id → the people the scan's SQL tells, over the same relation of new flags
    (id, group_id, school_id, rule, handed_over) the scan builds."""
    new = (
        Flag.objects.filter(pk__in=[f.pk for f in flags])
        .annotate(
            handed_over=ExpressionWrapper(
                Q(details__has_key="no_answer_on"), output_field=BooleanField()
            )
        )
        .values_list("id", "group_id", "school_id", "rule", "handed_over")
    )
    new_sql, new_params = new.query.get_compiler(new.db).as_sql()
    sql, params = recipients_sql("new", as_of=TODAY)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH new (id, group_id, school_id, rule, handed_over) AS ({new_sql}) {sql}",
            [*new_params, *params],
        )
        rows = cursor.fetchall()
    told: dict[int, set[int]] = {f.pk: set() for f in flags}
    for user_id, flag_id in rows:
        told[flag_id].add(user_id)
    return told


def may_see(user, flag: Flag) -> bool:
    """The pupil page's answer: the pupil, and the flag among theirs."""
    try:
        pupil_flag_or_404(pupil_access_or_404(user, flag.pupil.uuid), flag.pk)
    except Http404:
        return False
    return True


def flags_of_every_rule(pupils) -> list[Flag]:
    """A flag of every rule for each pupil, and an undocumented one raised already
    handed over (the home did not answer a call logged before the absence came in)."""
    flags = [make_flag(p, rule) for p in pupils for rule in RULES]
    handed_over = {"no_answer_on": "2026-11-17"}
    return flags + [make_flag(p, "undocumented", details=handed_over) for p in pupils]


def test_the_scans_sql_tells_exactly_whom_the_access_module_names_for_every_rule(cast):
    flags = flags_of_every_rule(cast["pupils"])
    by_sql = told_by_the_scans_sql(flags)
    for flag in flags:
        assert by_sql[flag.pk] == told_by_the_definition(flag), (flag.rule, flag.details)
    # The rule table reaches someone for every rule that notifies, at both schools.
    notifying = {code for code, rule in RULES.items() if rule.recipients}
    assert {f.rule for f in flags if by_sql[f.pk]} == notifying


def test_everyone_told_about_a_flag_may_see_it(cast):
    flags = flags_of_every_rule(cast["pupils"])
    users = {u.pk: u for u in cast["people"].values()}
    for flag in flags:
        for user_id in told_by_the_definition(flag):
            assert may_see(users[user_id], flag), (flag.rule, user_id)


def test_roles_that_act_on_no_new_flag_are_told_of_none(cast, other_school):
    flags = flags_of_every_rule(cast["pupils"])
    people = cast["people"]
    never = {
        people[name].pk
        for name in (
            "ended_contact",
            "future_contact",
            "subject_teacher",
            "attendance_contact",
            "ppt_advisor",
            "municipal_admin",
        )
    }
    by_sql = told_by_the_scans_sql(flags)
    told = set().union(*by_sql.values())
    assert not told & never
    # The school nurse hears of the illness rule's flags, at her school, and no other.
    nurse_told = {f.rule for f in flags if people["nurse"].pk in by_sql[f.pk]}
    assert nurse_told == {"illness_share"}
    # Another school's leaders and team hear of their own school's pupils only.
    other = {people["other_leader"].pk, people["other_team"].pk}
    for flag in flags:
        if flag.school_id != other_school.pk:
            assert not told_by_the_definition(flag) & other


def test_a_scan_tells_each_new_flag_to_its_recipients_and_they_may_see_it(
    cast, school, other_school, contact_teacher
):
    pupil, second_pupil, other_pupil = cast["pupils"]
    for day in weekdays(dt.date(2026, 11, 2), 4):
        absence(
            pupil, day, contact_teacher, kind="late", minutes_late=5, documented=True, code="other"
        )
    for day in weekdays(dt.date(2026, 11, 9), 7):
        absence(pupil, day, contact_teacher, documented=True)
        absence(other_pupil, day, contact_teacher, documented=True)
    for day in weekdays(dt.date(2026, 11, 9), 3):
        absence(second_pupil, day, contact_teacher)
    # A call home nobody answered, then an absence that comes in after it: raised
    # already handed over.
    log_contact(
        pupil,
        contacted_at=dt.datetime(2026, 11, 18, 7, 0, tzinfo=dt.UTC),
        channel="phone",
        counterpart="guardian",
        summary="Ikke svar.",
        outcome="no_answer",
        by=contact_teacher,
    )
    absence(pupil, TODAY, contact_teacher)
    result = scan_absence(Scope(school_ids=(school.pk, other_school.pk)), as_of=TODAY)
    flags = result.new_flags
    assert {f.pupil_id for f in flags} == {p.pk for p in cast["pupils"]}
    assert {"month_late", "fortnight_share", "year_days_notice"} <= {f.rule for f in flags}
    assert any("no_answer_on" in f.details for f in flags)
    messages = list(Notification.objects.all())
    users = {u.pk: u for u in cast["people"].values()}
    for flag in flags:
        told = {n.user_id for n in messages if flag.pk in n.flag_ids}
        assert told == told_by_the_definition(flag), (flag.rule, flag.details)
        assert all(may_see(users[user_id], flag) for user_id in told)


def test_a_line_of_the_table_may_not_name_a_role_that_does_not_see_the_schools_pupils():
    with pytest.raises(ValueError, match="ppt_advisor"):
        FlagAudience(frozenset({"month_days"}), roles=(StaffRole.Role.PPT_ADVISOR,))
