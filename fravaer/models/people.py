"""Organisation and people: municipalities, school years, schools and their calendars,
groups, pupils, enrollments, guardians, staff roles and teaching assignments."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """Staff member. Pupils and guardians are not users in the first version."""

    # The contact teacher's choice of a Friday e-mail with a link to their week
    # (`fravaer.tasks.send_week_emails`): a link only, never pupil data.
    week_email = models.BooleanField(_("e-post om uka på fredager"), default=False)

    class Meta:
        verbose_name = _("bruker")
        verbose_name_plural = _("brukere")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Municipality(models.Model):
    name = models.CharField(_("navn"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")

    def __str__(self) -> str:
        return self.name


class SchoolYear(models.Model):
    """1 August to 31 July, as the Education Act's school year runs."""

    start = models.DateField(_("start"), unique=True)
    end = models.DateField(_("slutt"))

    class Meta:
        ordering = ["start"]
        verbose_name = _("skoleår")
        verbose_name_plural = _("skoleår")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="schoolyear_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.start.year}–{self.end.year}"

    @staticmethod
    def bounds_for(day: dt.date) -> tuple[dt.date, dt.date]:
        first_year = day.year if day.month >= 8 else day.year - 1
        return dt.date(first_year, 8, 1), dt.date(first_year + 1, 7, 31)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class School(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="schools", verbose_name=_("kommune")
    )
    name = models.CharField(_("navn"), max_length=150)

    class Meta:
        ordering = ["name"]
        verbose_name = _("skole")
        verbose_name_plural = _("skoler")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="school_unique_name_per_municipality"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class NonSchoolDay(models.Model):
    """A weekday without teaching at one school: a holiday or a planning day.

    School days are Monday–Friday minus these rows; a school with none configured
    for a year teaches every weekday.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Ferie eller fridag")
        PLANNING = "planning", _("Planleggingsdag")

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="non_school_days", verbose_name=_("skole")
    )
    date = models.DateField(_("dato"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("navn"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("fridag")
        verbose_name_plural = _("fridager")
        constraints = [
            models.UniqueConstraint(fields=["school", "date"], name="nonschoolday_one_per_date"),
            models.CheckConstraint(
                condition=Q(kind__in=["holiday", "planning"]), name="nonschoolday_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} {self.name}"


# The most lessons a class has in a day (`group_lessons_per_day_1_to_12`), and so the
# most lessons one absence record can count.
MAX_LESSONS_PER_DAY = 12


class GroupQuerySet(models.QuerySet["Group"]):
    def current_on(self, day: dt.date) -> GroupQuerySet:
        """Classes of the school year that `day` falls in (first and last day included)."""
        return self.filter(Group.current_q(day))


class Group(models.Model):
    """A class (klasse/basisgruppe) for one school year."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="groups", verbose_name=_("skole")
    )
    school_year = models.ForeignKey(
        SchoolYear, on_delete=models.PROTECT, related_name="groups", verbose_name=_("skoleår")
    )
    name = models.CharField(_("navn"), max_length=50)
    grade = models.PositiveSmallIntegerField(_("trinn"))
    lessons_per_day = models.PositiveSmallIntegerField(_("timer per dag"))

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["grade", "name"]
        verbose_name = _("klasse")
        verbose_name_plural = _("klasser")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "name"], name="group_unique_name_per_school_year"
            ),
            # The target of the flags' (group, school) foreign key (`fravaer.Flag`).
            models.UniqueConstraint(fields=["id", "school"], name="group_id_school_unique"),
            models.CheckConstraint(
                condition=Q(grade__gte=1, grade__lte=10), name="group_grade_1_to_10"
            ),
            models.CheckConstraint(
                condition=Q(lessons_per_day__gte=1, lessons_per_day__lte=MAX_LESSONS_PER_DAY),
                name="group_lessons_per_day_1_to_12",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def current_q(day: dt.date, prefix: str = "") -> Q:
        """`current_on` as a condition, for an OR with other conditions or across a
        relation (`prefix="group__"`)."""
        return Q(**{f"{prefix}school_year__start__lte": day, f"{prefix}school_year__end__gte": day})

    @staticmethod
    def default_lessons_per_day(grade: int) -> int:
        return 5 if grade <= 7 else 6


class Pupil(models.Model):
    """A pupil. No national identity number is stored; `pupil_id` is the school
    administration system's id, and `uuid` is what URLs show."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="pupils", verbose_name=_("kommune")
    )
    pupil_id = models.CharField(_("elev-ID"), max_length=50)
    first_name = models.CharField(_("fornavn"), max_length=100)
    last_name = models.CharField(_("etternavn"), max_length=100)
    birth_date = models.DateField(_("fødselsdato"))

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("elev")
        verbose_name_plural = _("elever")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "pupil_id"], name="pupil_unique_id_per_municipality"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def active_on(self, day: dt.date) -> EnrollmentQuerySet:
        """Enrollments in force on `day`: started on or before it, and open or ending on
        or after it (`end` is the last day in the class)."""
        return self.filter(Enrollment.active_q(day))

    def not_ended_by(self, day: dt.date) -> EnrollmentQuerySet:
        """Enrollments still running on `day` or starting later: open, or ending on or
        after it. A pupil with one is still (or soon) at the group's school."""
        return self.filter(Q(end__isnull=True) | Q(end__gte=day))

    def overlapping(self, first: dt.date, last: dt.date) -> EnrollmentQuerySet:
        """Enrollments in force on at least one day from `first` to `last` (inclusive)."""
        return self.filter(start__lte=last).not_ended_by(first)


class Enrollment(models.Model):
    """A pupil's membership of a group for a period; moving class ends one enrollment
    and starts another, so history is kept."""

    pupil = models.ForeignKey(
        Pupil, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("elev")
    )
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("klasse")
    )
    start = models.DateField(_("fra"))
    end = models.DateField(_("til"), null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        verbose_name = _("klassetilhørighet")
        verbose_name_plural = _("klassetilhørigheter")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="enrollment_end_not_before_start",
            ),
            models.UniqueConstraint(
                fields=["pupil", "group", "start"], name="enrollment_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} – {self.group}"

    @staticmethod
    def active_q(day: dt.date, prefix: str = "") -> Q:
        """`active_on` as a condition, for use across a relation
        (`prefix="enrollments__"`) or beside other conditions in one `filter()`."""
        return Q(**{f"{prefix}start__lte": day}) & (
            Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gte": day})
        )


class Guardian(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="guardians"
    )
    name = models.CharField(_("navn"), max_length=200)
    phone = models.CharField(_("telefon"), max_length=30, blank=True)
    email = models.EmailField(_("e-post"), blank=True)
    pupils = models.ManyToManyField(Pupil, related_name="guardians", verbose_name=_("elever"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("foresatt")
        verbose_name_plural = _("foresatte")

    def __str__(self) -> str:
        return self.name


class StaffRoleQuerySet(models.QuerySet["StaffRole"]):
    def school_ids(self, user: User, roles: Iterable[str] | None = None) -> models.QuerySet:
        """The ids of the schools where `user` holds one of `roles` (by default any
        school role), as a `school_id` values query to use in a subquery."""
        roles = [str(r) for r in (roles or StaffRole.SCHOOL_ROLES)]
        return self.filter(user=user, role__in=roles).values("school_id")


class StaffRole(models.Model):
    """A role held by a staff member at one school or in one municipality.

    Contact and subject teachers are not here: they follow from TeachingAssignment.
    """

    class Role(models.TextChoices):
        SCHOOL_LEADER = "school_leader", _("Skoleleder")
        ENVIRONMENT_TEAM = "environment_team", _("Skolemiljøteam")
        ATTENDANCE_CONTACT = "attendance_contact", _("Nærværskontakt")
        SCHOOL_NURSE = "school_nurse", _("Helsesykepleier")
        PPT_ADVISOR = "ppt_advisor", _("PPT-rådgiver")
        MUNICIPAL_ADMIN = "municipal_admin", _("Kommunal administrator")

    SCHOOL_ROLES = (
        Role.SCHOOL_LEADER,
        Role.ENVIRONMENT_TEAM,
        Role.ATTENDANCE_CONTACT,
        Role.SCHOOL_NURSE,
    )
    MUNICIPAL_ROLES = (Role.PPT_ADVISOR, Role.MUNICIPAL_ADMIN)

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="staff_roles", verbose_name=_("bruker")
    )
    role = models.CharField(_("rolle"), max_length=30, choices=Role.choices)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="staff_roles"
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="staff_roles"
    )

    objects = StaffRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("rolle")
        verbose_name_plural = _("roller")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=[
                            "school_leader",
                            "environment_team",
                            "attendance_contact",
                            "school_nurse",
                        ],
                        school__isnull=False,
                        municipality__isnull=True,
                    )
                    | Q(
                        role__in=["ppt_advisor", "municipal_admin"],
                        school__isnull=True,
                        municipality__isnull=False,
                    )
                ),
                name="staffrole_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "school"],
                condition=Q(school__isnull=False),
                name="staffrole_unique_per_school",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "municipality"],
                condition=Q(municipality__isnull=False),
                name="staffrole_unique_per_municipality",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"


class TeachingAssignmentQuerySet(models.QuerySet["TeachingAssignment"]):
    def active_on(self, day: dt.date) -> TeachingAssignmentQuerySet:
        """Assignments in force on `day`: from `valid_from` through `valid_to` (the last
        day), or open-ended."""
        return self.filter(TeachingAssignment.active_q(day))

    def not_ended_by(self, day: dt.date) -> TeachingAssignmentQuerySet:
        """Assignments still running on `day` or starting later."""
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class TeachingAssignment(models.Model):
    """A teacher's assignment to a group: as its contact teacher or as a subject
    teacher, for a period."""

    class Kind(models.TextChoices):
        CONTACT = "contact", _("Kontaktlærer")
        SUBJECT = "subject", _("Faglærer")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="teaching_assignments")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="teaching_assignments")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    subject = models.CharField(_("fag"), max_length=100, blank=True)
    valid_from = models.DateField(_("fra"))
    valid_to = models.DateField(_("til"), null=True, blank=True)

    objects = TeachingAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("undervisningsoppdrag")
        verbose_name_plural = _("undervisningsoppdrag")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["contact", "subject"]), name="assignment_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="assignment_valid_to_not_before_from",
            ),
            models.UniqueConstraint(
                fields=["user", "group", "kind", "subject", "valid_from"],
                name="assignment_unique_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.group} ({self.get_kind_display()})"

    @staticmethod
    def active_q(day: dt.date, prefix: str = "") -> Q:
        """`active_on` as a condition, for use across a relation
        (`prefix="teaching_assignments__"`) or beside other conditions."""
        return Q(**{f"{prefix}valid_from__lte": day}) & (
            Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})
        )
