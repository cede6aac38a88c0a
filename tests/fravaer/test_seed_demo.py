"""`seed_demo` and `demo_banner`: the demo municipality behind `make run`."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter, defaultdict
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.http import HttpRequest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from fravaer import demo
from fravaer.management.commands.demo_banner import describe_database, redact_url
from fravaer.models import (
    AbsenceRecord,
    ContactLog,
    Enrollment,
    Group,
    Guardian,
    Municipality,
    NonSchoolDay,
    Pupil,
    School,
    StaffRole,
    TeachingAssignment,
    User,
)
from fravaer.schooldays import SchoolCalendar

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TODAY = dt.date(2026, 11, 18)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def banner() -> str:
    out = StringIO()
    call_command("demo_banner", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def seeded(request, django_db_setup, django_db_blocker):
    """One seed for the read-only tests of a class, rolled back afterwards; what the
    command printed is the class's `seed_output`."""
    frozen = dt.datetime(2026, 11, 18, 10, 0, tzinfo=timezone.get_default_timezone())
    with django_db_blocker.unblock(), transaction.atomic():
        with (
            time_machine.travel(frozen, tick=True),
            override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHER),
        ):
            request.cls.seed_output = seed()
        yield Municipality.objects.get(name=demo.MUNICIPALITY_NAME)
        transaction.set_rollback(True)


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = FAST_HASHER


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
class TestSeededMunicipality:
    def test_two_schools_about_ten_groups_and_250_pupils(self):
        assert School.objects.count() == 2
        assert 9 <= Group.objects.count() <= 11
        assert set(Group.objects.values_list("grade", flat=True)) == set(range(1, 11))
        assert 240 <= Pupil.objects.count() <= 260
        assert Enrollment.objects.count() == Pupil.objects.count()

    def test_groups_have_the_default_lessons_per_day(self):
        for group in Group.objects.all():
            assert group.lessons_per_day == Group.default_lessons_per_day(group.grade)

    def test_pupils_have_ids_birth_dates_for_their_grade_and_guardians(self):
        for enrollment in Enrollment.objects.select_related("pupil", "group"):
            pupil = enrollment.pupil
            assert pupil.pupil_id.startswith("FJ") and len(pupil.pupil_id) == 7
            assert pupil.birth_date.year == 2026 - 5 - enrollment.group.grade
        per_pupil = Counter(Guardian.pupils.through.objects.values_list("pupil_id", flat=True))
        assert set(per_pupil.values()) <= {1, 2}
        assert len(per_pupil) == Pupil.objects.count()
        for guardian in Guardian.objects.all():
            assert len(guardian.phone) == 8 and guardian.phone[0] in "49"
            assert guardian.email.endswith("@example.no")

    def test_every_demo_login_exists_with_the_demo_password(self, client):
        assert set(User.objects.values_list("username", flat=True)) >= set(demo.all_usernames())
        for login in demo.DEMO_LOGINS:
            user = User.objects.get(username=login.username)
            assert user.first_name and user.last_name
        with override_settings(PASSWORD_HASHERS=FAST_HASHER):
            # The login throttle (django-axes) needs the request a real login has.
            assert client.login(
                request=HttpRequest(), username="rektor@demo.no", password=demo.DEMO_PASSWORD
            )

    def test_every_role_is_held(self):
        roles = set(StaffRole.objects.values_list("role", flat=True))
        assert roles == set(StaffRole.Role.values)
        kinds = set(TeachingAssignment.objects.values_list("kind", flat=True))
        assert kinds == {"contact", "subject"}
        assert Group.objects.filter(teaching_assignments__kind="contact").count() == 10

    def test_first_contact_teacher_owns_two_groups(self):
        groups = TeachingAssignment.objects.filter(
            user__username="kontaktlaerer@demo.no", kind="contact"
        ).values_list("group__name", flat=True)
        assert sorted(groups) == ["5A", "6A"]

    def test_subject_teacher_teaches_mathematics_at_the_lower_secondary_school(self):
        assignments = TeachingAssignment.objects.filter(user__username="faglaerer@demo.no")
        assert {a.subject for a in assignments} == {"Matematikk"}
        assert {a.group.school.name for a in assignments} == {demo.UNGDOMSSKOLE}

    def test_only_the_municipal_admin_reaches_the_django_admin(self):
        assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == [
            "drift@demo.no"
        ]
        assert User.objects.get(username="drift@demo.no").is_staff
        assert not User.objects.get(username="kommune@demo.no").is_superuser

    def test_holidays_are_non_school_days_at_both_schools(self):
        expected = {
            dt.date(2026, 8, 12): "holiday",  # summer holiday
            dt.date(2026, 8, 13): "planning",
            dt.date(2026, 8, 14): "planning",
            dt.date(2026, 9, 28): "holiday",  # høstferie
            dt.date(2026, 10, 2): "holiday",
            dt.date(2026, 12, 21): "holiday",  # juleferie
            dt.date(2027, 1, 1): "holiday",
            dt.date(2027, 1, 4): "planning",
            dt.date(2027, 2, 22): "holiday",  # vinterferie
            dt.date(2027, 3, 26): "holiday",  # langfredag
            dt.date(2027, 3, 29): "holiday",  # 2. påskedag
            dt.date(2027, 5, 6): "holiday",  # Kristi himmelfartsdag
            dt.date(2027, 5, 7): "planning",
            dt.date(2027, 5, 17): "holiday",
            dt.date(2027, 6, 21): "holiday",  # summer holiday
            dt.date(2027, 7, 30): "holiday",
        }
        for school in School.objects.all():
            days = dict(school.non_school_days.values_list("date", "kind"))
            for day, kind in expected.items():
                assert days.get(day) == kind, (school, day)
            assert dt.date(2026, 8, 17) not in days  # the first school day
            assert dt.date(2027, 1, 5) not in days
            assert all(day.weekday() < 5 for day in days)

    def test_absence_is_on_past_school_days_of_the_pupils_school(self):
        school_of = dict(Enrollment.objects.values_list("pupil_id", "group__school_id"))
        calendars = {
            school.pk: SchoolCalendar.for_school(school.pk, dt.date(2026, 8, 1), TODAY)
            for school in School.objects.all()
        }
        records = list(AbsenceRecord.objects.all())
        assert len(records) > 500
        for record in records:
            assert record.date < TODAY
            assert record.date >= dt.date(2026, 8, 17)
            assert calendars[school_of[record.pupil_id]].is_school_day(record.date), record

    def test_at_most_one_day_record_per_pupil_and_date_and_nothing_beside_it(self):
        kinds = defaultdict(list)
        for pupil_id, day, kind in AbsenceRecord.objects.values_list("pupil_id", "date", "kind"):
            kinds[(pupil_id, day)].append(kind)
        for found in kinds.values():
            assert found.count("day") <= 1
            assert "day" not in found or found == ["day"]

    def test_lesson_records_fit_the_day(self):
        lessons = AbsenceRecord.objects.filter(kind="lesson").select_related("pupil")
        per_day = dict(Enrollment.objects.values_list("pupil_id", "group__lessons_per_day"))
        for record in lessons:
            assert 1 <= record.lessons < per_day[record.pupil_id]
            assert record.subject

    def test_absence_is_skewed_most_pupils_little_a_few_very_much(self):
        days = Counter(AbsenceRecord.objects.filter(kind="day").values_list("pupil_id", flat=True))
        per_pupil = [days.get(pk, 0) for pk in Pupil.objects.values_list("pk", flat=True)]
        assert statistics.median(per_pupil) <= 2
        assert sum(1 for n in per_pupil if n <= 3) >= 0.75 * len(per_pupil)
        assert sum(1 for n in per_pupil if n >= 15) >= 3
        assert sum(1 for n in per_pupil if n >= 8) >= 8

    def test_reasons_and_documented_flags_are_consistent(self):
        records = AbsenceRecord.objects.select_related("reason")
        assert records.filter(documented=False).count() >= 20
        assert not records.filter(reason__code="unknown", documented=True).exists()
        assert not records.filter(reason__code="leave", documented=False).exists()
        assert records.filter(reason__code="leave").exists()
        assert {r.kind for r in records} == {"day", "lesson", "late"}

    def test_last_school_day_has_undocumented_absence_to_follow_up(self):
        assert AbsenceRecord.objects.filter(date=dt.date(2026, 11, 17), documented=False).exists()

    def test_patterns_mondays_one_subject_and_late_arrivals(self):
        by_pupil = defaultdict(list)
        for record in AbsenceRecord.objects.select_related("registered_by"):
            by_pupil[record.pupil_id].append(record)

        def has(pattern) -> bool:
            return any(pattern(records) for records in by_pupil.values())

        assert has(lambda rs: sum(1 for r in rs if r.kind == "day" and r.date.weekday() == 0) >= 4)
        assert has(
            lambda rs: (
                sum(
                    1
                    for r in rs
                    if r.subject == "Matematikk" and r.registered_by.username == "faglaerer@demo.no"
                )
                >= 4
            )
        )
        assert has(lambda rs: sum(1 for r in rs if r.subject == "Kroppsøving") >= 4)
        assert has(lambda rs: sum(1 for r in rs if r.kind == "late") >= 5)
        assert has(lambda rs: any(r.date == dt.date(2026, 10, 5) for r in rs))  # after høstferie

    def test_records_are_registered_by_the_pupils_teachers_the_same_day(self):
        teachers = defaultdict(set)
        for pupil_id, user_id in TeachingAssignment.objects.filter(
            group__enrollments__isnull=False
        ).values_list("group__enrollments__pupil_id", "user_id"):
            teachers[pupil_id].add(user_id)
        for record in AbsenceRecord.objects.all():
            assert record.registered_by_id in teachers[record.pupil_id]
            assert timezone.localdate(record.registered_at) == record.date
        assert not AbsenceRecord.objects.filter(changes__isnull=True).exists()

    def test_contact_teachers_logged_contact_with_guardians(self):
        logs = list(ContactLog.objects.select_related("pupil", "guardian"))
        # The routine: undocumented absence means a call home the same day. Only the
        # last three school days' calls are still to be made.
        assert len(logs) >= 100
        called = {(log.pupil_id, timezone.localdate(log.contacted_at)) for log in logs}
        cutoff = TODAY - dt.timedelta(days=7)
        for pupil_id, day in (
            AbsenceRecord.objects.current()
            .filter(documented=False, date__lt=cutoff)
            .values_list("pupil_id", "date")
        ):
            assert (pupil_id, day) in called
        contact = dict(
            TeachingAssignment.objects.filter(
                kind="contact", group__enrollments__isnull=False
            ).values_list("group__enrollments__pupil_id", "user_id")
        )
        for log in logs:
            assert log.logged_by_id == contact[log.pupil_id]
            assert log.guardian.pupils.filter(pk=log.pupil_id).exists()
            assert timezone.localdate(log.contacted_at) < TODAY

    def test_contact_texts_speak_of_the_guardian_they_are_logged_against(self):
        logs = list(ContactLog.objects.select_related("guardian"))
        assert logs
        for log in logs:
            mother = log.guardian.name.split()[0] in demo.WOMEN_NAMES
            words = set(re.findall(r"\w+", log.summary.lower()))
            # One guardian is logged: the text names that parent, never the other one,
            # nor "both" or "the guardians".
            other = {"far", "han"} if mother else {"mor", "hun"}
            assert not words & (other | {"begge", "foresatte"}), (log.guardian.name, log.summary)

    def test_clarified_calls_corrected_the_record_with_history(self):
        clarified = ContactLog.objects.filter(outcome="clarified")
        assert clarified.exists()
        corrected = 0
        for log in clarified:
            record = AbsenceRecord.objects.filter(
                pupil=log.pupil, date=timezone.localdate(log.contacted_at), kind="day"
            ).first()
            if record is None:  # a lesson or a late arrival: explained, not corrected
                continue
            corrected += 1
            assert record.documented and record.reason.code in {"illness", "other"}
            assert record.updated_by_id == log.logged_by_id
            assert record.changes.filter(action="updated", before__reason__isnull=False).exists()
        assert corrected > 0

    def test_contact_teacher_start_page_shows_both_classes(self, client):
        client.force_login(User.objects.get(username="kontaktlaerer@demo.no"))
        page = client.get(reverse("home")).content.decode()
        assert "5A" in page and "6A" in page
        group = Group.objects.get(name="5A")
        assert client.get(reverse("group", args=[group.pk])).status_code == 200

    def test_seed_summary_names_the_kinds_of_absence_in_words(self):
        summary = self.seed_output
        assert "Hele dagen" in summary and "Timefravær" in summary
        assert not re.search(r"\b(day|lesson|late) \d", summary)
        assert re.search(r"median \d+,\d dager", summary)

    def test_banner_names_the_django_admin_once(self):
        line = next(line for line in banner().splitlines() if demo.SUPERUSER in line)
        assert line.count("Django admin") == 1
        assert "/admin/" in line

    def test_banner_lists_every_login_with_role_and_the_password(self):
        text = banner()
        for login in demo.DEMO_LOGINS:
            assert login.username in text
        assert "kontaktlaerer@demo.no" in text and "(5A, 6A)" in text
        assert "kontaktlærer / contact teacher" in text
        assert "rektor / principal" in text
        assert demo.DEMO_PASSWORD in text
        assert demo.RUN_URL in text

    def test_second_seed_without_force_refuses(self, debug_on):
        with pytest.raises(CommandError):
            seed()
        assert Municipality.objects.count() == 1

    def test_second_seed_with_force_says_it_exists(self, debug_on):
        assert "finnes allerede" in seed("--force")
        assert Pupil.objects.count() <= 260


@pytest.mark.django_db
def test_seed_demo_if_empty_twice_creates_nothing_more(debug_on):
    seed("--if-empty")
    counts = (Pupil.objects.count(), AbsenceRecord.objects.count(), User.objects.count())
    assert counts[0] >= 240
    assert "har data" in seed("--if-empty")
    assert (Pupil.objects.count(), AbsenceRecord.objects.count(), User.objects.count()) == counts


@pytest.mark.django_db
def test_seed_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not Municipality.objects.exists()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_if_empty_with_data_does_nothing_even_with_debug_off(settings, municipality):
    settings.DEBUG = False
    assert "har data" in seed("--if-empty")
    assert not Pupil.objects.exists()


@pytest.mark.django_db
def test_seed_demo_refuses_beside_other_data_without_force(debug_on, municipality):
    with pytest.raises(CommandError, match="--force"):
        seed()
    assert not Municipality.objects.filter(name=demo.MUNICIPALITY_NAME).exists()


@pytest.mark.django_db
def test_seed_demo_refuses_when_a_demo_login_exists(debug_on):
    User.objects.create_user("rektor@demo.no")
    with pytest.raises(CommandError):
        seed()
    assert not Municipality.objects.exists()


@pytest.mark.django_db
def test_seed_demo_before_school_starts_creates_no_absence(debug_on):
    with time_machine.travel(dt.datetime(2026, 8, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        seed()
    assert Pupil.objects.count() >= 240
    assert not AbsenceRecord.objects.exists()
    assert NonSchoolDay.objects.filter(date=dt.date(2026, 9, 28)).count() == 2


def test_mothers_and_fathers_are_told_apart_by_their_given_names():
    assert not set(demo.WOMEN_NAMES) & set(demo.MEN_NAMES)


def test_derived_calendar_matches_the_known_2026_2027_dates():
    derived = demo.closed_days(demo.derive_closures(2026))
    assert derived == demo.closed_days(demo.KNOWN_CLOSURES[2026])


def test_derived_calendar_for_2025_2026():
    days = demo.closed_days(demo.closures_for(2025))
    assert days[dt.date(2025, 8, 15)] == ("planning", "Planleggingsdag")
    assert dt.date(2025, 8, 18) not in days  # school starts
    assert days[dt.date(2025, 9, 29)][1] == "Høstferie"  # week 40
    assert days[dt.date(2026, 2, 16)][1] == "Vinterferie"  # week 8
    assert days[dt.date(2026, 4, 3)][1] == "Langfredag"
    assert days[dt.date(2026, 5, 14)][1] == "Kristi himmelfartsdag"
    assert days[dt.date(2026, 5, 25)][1] == "2. pinsedag"
    assert dt.date(2026, 6, 19) not in days and dt.date(2026, 6, 22) in days


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, dt.date(2024, 3, 31)),
        (2026, dt.date(2026, 4, 5)),
        (2027, dt.date(2027, 3, 28)),
        (2038, dt.date(2038, 4, 25)),
        (2285, dt.date(2285, 3, 22)),
    ],
)
def test_easter_sunday(year, easter):
    assert demo.easter_sunday(year) == easter


@pytest.mark.django_db
def test_demo_banner_without_demo_data_says_there_are_no_logins(settings):
    settings.CELERY_BROKER_URL = ""
    text = banner()
    assert demo.RUN_URL in text
    assert "No demo logins" in text
    assert demo.DEMO_PASSWORD not in text
    assert "in-process" in text


@pytest.mark.django_db
def test_demo_banner_shows_the_broker_without_its_password(settings):
    settings.CELERY_BROKER_URL = "redis://:s3cret@redis:6379/0"
    text = banner()
    assert "redis://:***@redis:6379/0" in text
    assert "s3cret" not in text
    assert "in-process" not in text


def test_redact_url_keeps_user_host_and_path():
    assert redact_url("amqp://fravaer:pw@mq:5672/vhost") == "amqp://fravaer:***@mq:5672/vhost"
    assert redact_url("redis://redis:6379/0") == "redis://redis:6379/0"
    assert redact_url("redis://:a@h1:6379/0;redis://:b@h2:6379/0") == (
        "redis://:***@h1:6379/0;redis://:***@h2:6379/0"
    )


def test_describe_database_never_shows_the_password():
    db = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "fravaer",
        "USER": "app",
        "PASSWORD": "hunter2",
        "HOST": "db",
        "PORT": 5432,
    }
    assert describe_database(db) == "PostgreSQL app@db:5432/fravaer"
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "var/demo.sqlite3"}
    assert describe_database(sqlite) == "SQLite var/demo.sqlite3"
