"""The roster import: schools, classes, pupils, guardians and contact teachers for
one municipality and school year.

The whole file is checked against what the database holds (`_RosterState`, a few
set-based queries), turned into a `_RosterPlan` of new and changed rows, and only
then written, all of it or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fravaer.actions import ensure_default_reasons
from fravaer.actions.people import people_changed
from fravaer.imports.csvfile import parse_rows
from fravaer.imports.db import chunked, load_in, load_pupils
from fravaer.imports.fields import name_key, squash_spaces
from fravaer.imports.results import ROSTER, ImportResult, RowError, unknown_pupil
from fravaer.imports.roster_rows import (
    ROSTER_OPTIONAL,
    ROSTER_REQUIRED,
    GuardianRow,
    RosterRow,
    parse_roster_row,
)
from fravaer.models import (
    Enrollment,
    Group,
    Guardian,
    Municipality,
    Pupil,
    School,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    User,
)


@dataclass
class _RosterPlan:
    """Everything a roster file changes, as unsaved or modified model instances."""

    municipality: Municipality
    school_year: SchoolYear
    new_schools: list[School] = field(default_factory=list)
    new_groups: list[Group] = field(default_factory=list)
    changed_groups: dict[int, Group] = field(default_factory=dict)
    new_pupils: list[Pupil] = field(default_factory=list)
    changed_pupils: dict[int, Pupil] = field(default_factory=dict)
    new_enrollments: list[Enrollment] = field(default_factory=list)
    ended_enrollments: list[Enrollment] = field(default_factory=list)
    dropped_enrollments: list[Enrollment] = field(default_factory=list)
    new_guardians: list[Guardian] = field(default_factory=list)
    changed_guardians: dict[int, Guardian] = field(default_factory=dict)
    # A guardian the uploader may not change, by pk → this import's own copy of them.
    guardian_copies: dict[int, Guardian] = field(default_factory=dict)
    new_links: list[tuple[Guardian, Pupil]] = field(default_factory=list)
    removed_links: list[int] = field(default_factory=list)  # guardian–pupil link pks
    new_users: list[User] = field(default_factory=list)
    new_assignments: list[TeachingAssignment] = field(default_factory=list)

    def size(self) -> int:
        return sum(
            len(getattr(self, name))
            for name in self.__dataclass_fields__
            if name not in ("municipality", "school_year")
        )

    def counts(self) -> dict[str, int]:
        return {
            "municipalities": int(self.municipality.pk is None),
            "school_years": int(self.school_year.pk is None),
            "schools": len(self.new_schools),
            "groups": len(self.new_groups),
            "groups_updated": len(self.changed_groups),
            "pupils": len(self.new_pupils),
            "pupils_updated": len(self.changed_pupils),
            "enrollments": len(self.new_enrollments),
            "enrollments_ended": len(self.ended_enrollments) + len(self.dropped_enrollments),
            "guardians": len(self.new_guardians),
            "guardians_updated": len(self.changed_guardians),
            "users": len(self.new_users),
            "assignments": len(self.new_assignments),
        }


@dataclass
class _StaffStanding:
    """The roles of the accounts a roster file names as contact teachers."""

    # Schools where the account holds a staff role or teaches a class (not ended).
    schools: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    # Accounts with any staff role: a school's, PPT's or the municipal administrator's.
    has_role: set[int] = field(default_factory=set)
    # Accounts teaching a class of this or a coming school year in another municipality.
    teaches_elsewhere: set[int] = field(default_factory=set)

    def may_link(self, user: User, school_id: int | None) -> bool:
        """Whether a roster may make the account a contact teacher at the school
        (`school_id` None: a school the file creates). Either the account is staff
        of the school already (a staff role there, or a class it teaches), or it is
        a teacher the roster is giving a class there: its only roles are classes in
        this municipality, or it has none yet. A PPT advisor, a municipal
        administrator, another school's leader, team, attendance contact or nurse,
        and a teacher of another municipality are not: a class would give them its
        register and its pupils' pages."""
        if school_id is not None and school_id in self.schools.get(user.pk, ()):
            return True
        return user.pk not in self.has_role and user.pk not in self.teaches_elsewhere


class _RosterState:
    """What the database already holds for one roster file: a fixed number of
    queries per table (one per IN_CHUNK values), whatever the number of rows.

    `allowed`: the uploader's schools (name keys), None for every school. When it
    leaves out some of the municipality's schools, the state also knows which pupils
    are (or will be) at other schools (`outside`), and which guardians are linked to
    a pupil the uploader does not have (`locked_guardians`)."""

    def __init__(
        self,
        rows: list[RosterRow],
        municipality_name: str,
        year_start: dt.date,
        *,
        today: dt.date,
        allowed: set[str] | None,
    ) -> None:
        municipality = Municipality.objects.filter(name__iexact=municipality_name.strip()).first()
        year = SchoolYear.objects.filter(start=year_start).first()
        if municipality is None:
            municipality = Municipality(name=squash_spaces(municipality_name))
        if year is None:
            year = SchoolYear(start=year_start, end=SchoolYear.bounds_for(year_start)[1])
        self.municipality, self.year = municipality, year
        self.schools: dict[str, School] = {}
        self.groups: dict[tuple[str, str], Group] = {}
        self.pupils: dict[str, Pupil] = {}
        self.enrollments: dict[int, list[Enrollment]] = defaultdict(list)
        self.guardians: dict[int, list[Guardian]] = defaultdict(list)
        self.links: dict[tuple[int, int], int] = {}  # (guardian, pupil) → link pk
        self.users: dict[str, User] = {}
        self.assignments: dict[tuple[int, int], list[TeachingAssignment]] = defaultdict(list)
        self.today, self.allowed = today, allowed
        self.outside: set[int] = set()
        self.locked_guardians: set[int] = set()
        self.staff = _StaffStanding()
        # Accounts are the whole site's, so they are read for a new municipality too.
        emails = {r.teacher_email for r in rows}
        users = load_in(lambda names: User.objects.filter(username__in=names), emails)
        self.users = {u.username: u for u in users}
        self._load_staff(emails)
        if municipality.pk is not None:
            self._load(rows)

    def _load(self, rows: list[RosterRow]) -> None:
        schools = list(School.objects.filter(municipality=self.municipality))
        self.schools = {name_key(s.name): s for s in schools}
        if self.year.pk is not None:
            by_id = {s.pk: s for s in schools}
            groups = Group.objects.filter(school__in=schools, school_year=self.year)
            for g in groups:
                g.school = by_id[g.school_id]
                self.groups[(name_key(g.school.name), name_key(g.name))] = g
            for a in TeachingAssignment.objects.filter(
                group__in=list(self.groups.values()), kind=TeachingAssignment.Kind.CONTACT
            ):
                self.assignments[(a.user_id, a.group_id)].append(a)
        self.pupils = load_pupils(self.municipality, {r.pupil_id for r in rows})
        pupil_pks = [p.pk for p in self.pupils.values()]
        for e in load_in(
            lambda pks: (
                Enrollment.objects.not_ended_by(self.year.start)
                .filter(pupil_id__in=pks)
                .select_related("group__school_year")
            ),
            pupil_pks,
        ):
            self.enrollments[e.pupil_id].append(e)
        shared: dict[int, Guardian] = {}  # a guardian of siblings is one instance
        for link in load_in(
            lambda pks: Guardian.pupils.through.objects.filter(pupil_id__in=pks).select_related(
                "guardian"
            ),
            pupil_pks,
        ):
            guardian = shared.setdefault(link.guardian_id, link.guardian)
            self.guardians[link.pupil_id].append(guardian)
            self.links[(link.guardian_id, link.pupil_id)] = link.pk
        if self.allowed is not None:
            allowed_ids = {s.pk for s in schools if name_key(s.name) in self.allowed}
            if len(allowed_ids) < len(schools):
                self._load_scope(allowed_ids, set(pupil_pks), set(shared))

    def _load_staff(self, emails: set[str]) -> None:
        """What the file's existing accounts hold (`_StaffStanding`): every staff
        role, and the classes they teach that have not ended. Read by the file's
        addresses, so the queries are the same whether the accounts exist or not."""
        staff = self.staff
        for user_id, school_id in load_in(
            lambda names: StaffRole.objects.filter(user__username__in=names).values_list(
                "user_id", "school_id"
            ),
            emails,
        ):
            staff.has_role.add(user_id)
            if school_id is not None:
                staff.schools[user_id].add(school_id)
        for user_id, school_id, municipality_id, year_end in load_in(
            lambda names: (
                TeachingAssignment.objects.not_ended_by(self.today)
                .filter(user__username__in=names)
                .values_list(
                    "user_id",
                    "group__school_id",
                    "group__school__municipality_id",
                    "group__school_year__end",
                )
            ),
            emails,
        ):
            staff.schools[user_id].add(school_id)
            if municipality_id != self.municipality.pk and year_end >= self.today:
                staff.teaches_elsewhere.add(user_id)

    def _load_scope(
        self, allowed_ids: set[int], file_pupils: set[int], guardians: set[int]
    ) -> None:
        """Which of the file's pupils are, now or later, at a school the uploader does
        not have, and which of their guardians are also linked to a pupil the uploader
        does not have (at another school, or at none now and not in the file)."""
        pupils_of: dict[int, set[int]] = defaultdict(set)
        for guardian_id, pupil_id in load_in(
            lambda pks: Guardian.pupils.through.objects.filter(guardian_id__in=pks).values_list(
                "guardian_id", "pupil_id"
            ),
            guardians,
        ):
            pupils_of[guardian_id].add(pupil_id)
        inside: set[int] = set()
        for pupil_id, school_id in load_in(
            lambda pks: (
                Enrollment.objects.not_ended_by(self.today)
                .filter(pupil_id__in=pks)
                .values_list("pupil_id", "group__school_id")
            ),
            file_pupils.union(*pupils_of.values()),
        ):
            (inside if school_id in allowed_ids else self.outside).add(pupil_id)
        self.locked_guardians = {
            guardian_id
            for guardian_id, pupils in pupils_of.items()
            if any(p in self.outside or (p not in inside and p not in file_pupils) for p in pupils)
        }


def _plan_roster(
    rows: list[RosterRow],
    state: _RosterState,
    *,
    today: dt.date,
    allowed_schools: set[str] | None,
) -> tuple[_RosterPlan, list[RowError], int]:
    plan = _RosterPlan(municipality=state.municipality, school_year=state.year)
    errors: list[RowError] = []
    unchanged = 0
    year = state.year
    pupil_lines: dict[str, int] = {}
    group_lines: dict[tuple[str, str], int] = {}
    group_lessons: dict[tuple[str, str], tuple[int, int]] = {}  # key → (value, line)
    planned_assignments: set[tuple[str, tuple[str, str]]] = set()
    for r in rows:
        before = plan.size()
        school_key, group_key = name_key(r.school), (name_key(r.school), name_key(r.group))
        if allowed_schools is not None and school_key not in allowed_schools:
            errors.append(
                RowError(
                    r.line,
                    _("skolen «%(school)s» er ikke en av skolene du kan importere for")
                    % {"school": r.school},
                )
            )
            continue
        if r.pupil_id in pupil_lines:
            errors.append(
                RowError(
                    r.line,
                    _("elev-ID «%(id)s» står også på linje %(other)s")
                    % {"id": r.pupil_id, "other": pupil_lines[r.pupil_id]},
                )
            )
            continue
        pupil_lines[r.pupil_id] = r.line
        pupil = state.pupils.get(r.pupil_id)
        if pupil is not None and pupil.pk in state.outside:
            # Another school's pupil: worded as for an id that does not exist.
            errors.append(RowError(r.line, unknown_pupil(r.pupil_id)))
            continue

        school = state.schools.get(school_key)
        teacher = state.users.get(r.teacher_email)
        if teacher is not None and not state.staff.may_link(teacher, school and school.pk):
            errors.append(RowError(r.line, _teacher_not_linkable(r, school)))
            continue
        if school is None:
            school = School(municipality=state.municipality, name=r.school)
            state.schools[school_key] = school
            plan.new_schools.append(school)

        group = state.groups.get(group_key)
        if group is None:
            group = Group(
                school=school,
                school_year=year,
                name=r.group,
                grade=r.grade,
                lessons_per_day=r.lessons_per_day or Group.default_lessons_per_day(r.grade),
            )
            state.groups[group_key] = group
            plan.new_groups.append(group)
            group_lines[group_key] = r.line
        elif group.grade != r.grade:
            if group_key in group_lines:
                message = _("klassen «%(group)s» har trinn %(grade)s på linje %(other)s") % {
                    "group": group.name,
                    "grade": group.grade,
                    "other": group_lines[group_key],
                }
            else:
                message = _(
                    "klassen «%(group)s» ved %(school)s har trinn %(grade)s i skoleåret "
                    "%(year)s, ikke %(value)s"
                ) % {
                    "group": group.name,
                    "school": school.name,
                    "grade": group.grade,
                    "year": year.label,
                    "value": r.grade,
                }
            errors.append(RowError(r.line, message))
            continue
        else:
            group_lines.setdefault(group_key, r.line)
        if r.lessons_per_day is not None:
            earlier = group_lessons.get(group_key)
            if earlier and earlier[0] != r.lessons_per_day:
                errors.append(
                    RowError(
                        r.line,
                        _("klassen «%(group)s» har %(n)s timer per dag på linje %(other)s")
                        % {"group": group.name, "n": earlier[0], "other": earlier[1]},
                    )
                )
                continue
            group_lessons[group_key] = (r.lessons_per_day, r.line)
            if group.lessons_per_day != r.lessons_per_day:
                group.lessons_per_day = r.lessons_per_day
                if group.pk is not None:
                    plan.changed_groups[group.pk] = group

        if pupil is None:
            pupil = Pupil(
                municipality=state.municipality,
                pupil_id=r.pupil_id,
                first_name=r.first_name,
                last_name=r.last_name,
                birth_date=r.birth_date,
            )
            state.pupils[r.pupil_id] = pupil
            plan.new_pupils.append(pupil)
        elif (pupil.first_name, pupil.last_name, pupil.birth_date) != (
            r.first_name,
            r.last_name,
            r.birth_date,
        ):
            pupil.first_name, pupil.last_name, pupil.birth_date = (
                r.first_name,
                r.last_name,
                r.birth_date,
            )
            plan.changed_pupils[pupil.pk] = pupil

        _plan_enrollment(plan, pupil, group, state.enrollments.get(pupil.pk, []), today=today)
        _plan_guardians(plan, pupil, r.guardians, state.guardians.get(pupil.pk, []), state)

        user = state.users.get(r.teacher_email)
        if user is None:
            user = User(username=r.teacher_email, email=r.teacher_email)
            user.set_unusable_password()
            state.users[r.teacher_email] = user
            plan.new_users.append(user)
        if (r.teacher_email, group_key) not in planned_assignments:
            planned_assignments.add((r.teacher_email, group_key))
            existing = state.assignments.get((user.pk, group.pk), []) if user.pk else []
            if not any(a.valid_to is None or a.valid_to >= today for a in existing):
                starts = [year.start, *(a.valid_to + dt.timedelta(days=1) for a in existing)]
                plan.new_assignments.append(
                    TeachingAssignment(
                        user=user,
                        group=group,
                        kind=TeachingAssignment.Kind.CONTACT,
                        valid_from=max(starts) if existing else year.start,
                    )
                )
        if plan.size() == before:
            unchanged += 1
    return plan, errors, unchanged


def _teacher_not_linkable(r: RosterRow, school: School | None) -> str:
    return _(
        "brukeren «%(email)s» i «contact_teacher_email» kan ikke bli kontaktlærer ved "
        "%(school)s: den har ingen rolle ved skolen, men en annen rolle (PPT, kommunal "
        "administrator, en rolle ved en annen skole) eller klasser i en annen kommune. "
        "Sjekk e-postadressen, eller la kommunen gi brukeren en rolle ved skolen først"
    ) % {"email": r.teacher_email, "school": school.name if school else r.school}


def _plan_enrollment(
    plan: _RosterPlan, pupil: Pupil, group: Group, enrollments: list[Enrollment], *, today: dt.date
) -> None:
    """Enrol from today, or from the school year's start when the year has not begun
    yet or the class is new to the product: a pupil who arrives mid-year in an
    existing class is not in the registers of the days before. A
    pupil already enrolled elsewhere moves from today too (or from the year's start
    when the old group is last year's): the old enrollment ends the day before, so
    the history stays."""
    year = plan.school_year
    pivot = max(today, year.start)
    # Enrollments in a later school year (a roster imported ahead) are left alone.
    live = [
        e
        for e in enrollments
        if (e.end is None or e.end >= pivot) and e.group.school_year.start <= year.start
    ]
    if group.pk is not None and any(e.group_id == group.pk for e in live):
        return
    if live:
        promoted = all(e.group.school_year.start < year.start for e in live)
        start = year.start if promoted else pivot
        for e in live:
            if e.start < start:
                e.end = start - dt.timedelta(days=1)
                plan.ended_enrollments.append(e)
            else:
                # It would only have begun on or after the move: superseded unused.
                plan.dropped_enrollments.append(e)
    elif group.pk is None:
        # A class this import creates is the school's first roster in the product
        # (taken into use mid-year, say): its pupils belong from the school year's
        # start, so the absence since August can be imported too; never overlapping
        # a class the pupil left earlier this year.
        ended = [e.end for e in enrollments if e.end is not None and e.end >= year.start]
        start = max([year.start, *(end + dt.timedelta(days=1) for end in ended)])
        start = min(start, pivot)
    else:
        start = pivot  # new, back after leaving, or not in a class since last year
    plan.new_enrollments.append(Enrollment(pupil=pupil, group=group, start=start))


def _plan_guardians(
    plan: _RosterPlan,
    pupil: Pupil,
    rows: Sequence[GuardianRow],
    existing: list[Guardian],
    state: _RosterState,
) -> None:
    """Match a guardian of this pupil by name; update phone/e-mail given in the file
    (an empty cell keeps what is stored), or create and link a new guardian.

    A guardian who is also linked to a pupil the uploader does not have is never
    changed: the new details go to a copy of the guardian, linked to this pupil in
    their place (one copy per guardian and file); the other pupils keep the
    original as it was."""
    for g in rows:
        guardian = next((x for x in existing if name_key(x.name) == name_key(g.name)), None)
        if guardian is None:
            guardian = Guardian(
                municipality=plan.municipality, name=g.name, phone=g.phone, email=g.email
            )
            plan.new_guardians.append(guardian)
            plan.new_links.append((guardian, pupil))
            continue
        changes = {
            attr: getattr(g, attr)
            for attr in ("phone", "email")
            if getattr(g, attr) and getattr(g, attr) != getattr(guardian, attr)
        }
        if not changes:
            continue
        if guardian.pk in state.locked_guardians:
            copy = plan.guardian_copies.get(guardian.pk)
            if copy is None:
                copy = Guardian(
                    municipality=plan.municipality,
                    name=guardian.name,
                    phone=guardian.phone,
                    email=guardian.email,
                )
                plan.guardian_copies[guardian.pk] = copy
                plan.new_guardians.append(copy)
            plan.new_links.append((copy, pupil))
            plan.removed_links.append(state.links[(guardian.pk, pupil.pk)])
            guardian = copy
        else:
            plan.changed_guardians[guardian.pk] = guardian
        for attr, value in changes.items():
            setattr(guardian, attr, value)


def _apply_roster(plan: _RosterPlan) -> None:
    if plan.municipality.pk is None:
        plan.municipality.save()
        ensure_default_reasons(plan.municipality)
    if plan.school_year.pk is None:
        plan.school_year.save()
    School.objects.bulk_create(plan.new_schools)
    Group.objects.bulk_create(plan.new_groups)
    Group.objects.bulk_update(plan.changed_groups.values(), ["lessons_per_day"])
    Pupil.objects.bulk_create(plan.new_pupils)
    Pupil.objects.bulk_update(
        plan.changed_pupils.values(), ["first_name", "last_name", "birth_date"]
    )
    if plan.dropped_enrollments:
        Enrollment.objects.filter(pk__in=[e.pk for e in plan.dropped_enrollments]).delete()
    Enrollment.objects.bulk_update(plan.ended_enrollments, ["end"])
    Enrollment.objects.bulk_create(plan.new_enrollments)
    Guardian.objects.bulk_create(plan.new_guardians)
    Guardian.objects.bulk_update(plan.changed_guardians.values(), ["phone", "email"])
    link = Guardian.pupils.through
    for pks in chunked(plan.removed_links):
        link.objects.filter(pk__in=pks).delete()
    link.objects.bulk_create(link(guardian=g, pupil=p) for g, p in plan.new_links)
    User.objects.bulk_create(plan.new_users)
    TeachingAssignment.objects.bulk_create(plan.new_assignments)


def import_roster(
    data: bytes,
    *,
    municipality_name: str,
    school_year_start: dt.date | None = None,
    allowed_schools: Iterable[str] | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> ImportResult:
    """Import a roster file for one municipality and school year.

    `allowed_schools`: school names the uploader may import for (the web page);
    rows for other schools are row errors, and so are pupils who are now or later
    enrolled at another school (worded as an unknown pupil id). Guardians shared with
    pupils elsewhere are not changed (see `_plan_guardians`). None (the command
    line): any school, new ones are created, pupils move between schools.
    """
    today = today or timezone.localdate()
    year_start = school_year_start or SchoolYear.bounds_for(today)[0]
    result = ImportResult(kind=ROSTER, dry_run=dry_run)
    if SchoolYear.bounds_for(year_start)[1] < today:
        result.errors.append(
            RowError(
                None,
                _(
                    "Skoleåret %(start)s–%(end)s er avsluttet; elevlister gjelder inneværende "
                    "eller kommende skoleår."
                )
                % {"start": year_start.year, "end": year_start.year + 1},
            )
        )
        return result
    rows = parse_rows(
        data,
        result,
        required=ROSTER_REQUIRED,
        optional=ROSTER_OPTIONAL,
        parse=lambda row: parse_roster_row(row, today=today),
    )
    if rows is None:
        return result
    allowed = {name_key(name) for name in allowed_schools} if allowed_schools is not None else None
    with nullcontext() if dry_run else transaction.atomic():
        state = _RosterState(rows, municipality_name, year_start, today=today, allowed=allowed)
        plan, errors, unchanged = _plan_roster(rows, state, today=today, allowed_schools=allowed)
        result.add_errors(errors)
        if result.errors:
            return result
        result.counts = {**plan.counts(), "unchanged": unchanged}
        if not dry_run:
            _apply_roster(plan)
            # A pupil who left a school here: what follows in the cases app (the
            # school's open case closes as "Eleven har flyttet") in this transaction.
            left = plan.ended_enrollments + plan.dropped_enrollments
            people_changed(pupil_ids=[e.pupil_id for e in left], now=timezone.now())
    return result
