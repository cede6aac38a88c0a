"""Reads of the measure plan: the case's agreement and versions, the measure circle,
where each special arrangement is on its tapering steps, the measures evaluations found
not working, the default evaluation date, and the comparison of two versions. No
writes: `plans.actions` write; views, panels and actions read through here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from cases.deadlines import deadline_days, deadline_due
from cases.models import Case, Deadline, Level
from plans import rules
from plans.models import (
    Agreement,
    Arena,
    Evaluation,
    Goal,
    Measure,
    MeasureReview,
    PlanVersion,
    TaperingStep,
)

# A version's content, in a fixed number of queries (one per relation).
VERSION_PREFETCH = (
    "goals",
    Prefetch(
        "measures",
        queryset=Measure.objects.select_related("responsible_staff").prefetch_related("steps"),
    ),
    "attendance_days",
    "attendance_steps",
    "guardians",
    "staff",
)


def default_evaluation_date(case: Case, today: dt.date) -> dt.date:
    """The municipality's days for the level's evaluation deadline (3 weeks at nivå 1
    and 2B, the 2A setting at 2A) after `today`, moved forward to a school day."""
    kind = rules.EVALUATION_DEADLINE.get(case.level, rules.EVALUATION_DEADLINE[Level.NIVA_1])
    days = deadline_days(case.school.municipality_id, kind)
    return deadline_due(case.school_id, today, days).date


def failed_reviews(agreement_id: int):
    """The evaluations' "did not work" on the agreement's measures, newest first."""
    return (
        MeasureReview.objects.filter(
            result=MeasureReview.Result.DID_NOT_WORK, measure__version__agreement_id=agreement_id
        )
        .select_related("measure__version", "evaluation")
        .order_by("-evaluation__held_on", "-pk")
    )


def failed_reviews_for(draft: PlanVersion, measures) -> list[MeasureReview]:
    """The agreement's "did not work" reviews, each with `in_draft`: the draft's measure
    that continues the failed one, if the draft still has it."""
    continuing = {m.continues_id: m for m in measures if m.continues_id}
    reviews = list(failed_reviews(draft.agreement_id))
    for review in reviews:
        review.in_draft = continuing.get(review.measure_id)
    return reviews


def failed_measure_ids(agreement_id: int) -> set[int]:
    return set(failed_reviews(agreement_id).values_list("measure_id", flat=True))


def agreement_of(case: Case) -> Agreement | None:
    return Agreement.objects.filter(case=case).first()


def versions_of(agreement: Agreement) -> list[PlanVersion]:
    """Every version, oldest first, without content (one query)."""
    return list(agreement.versions.select_related("agreed_by").order_by("number"))


def version_with_content(version_id: int) -> PlanVersion:
    return PlanVersion.objects.prefetch_related(*VERSION_PREFETCH).get(pk=version_id)


# --- the measure circle and tapering ---------------------------------------------------


@dataclass(frozen=True)
class ArenaCover:
    arena: str
    label: str
    measures: list[Measure]

    @property
    def covered(self) -> bool:
        return bool(self.measures)


def measure_circle(measures) -> list[ArenaCover]:
    """The four arenas of the tiltakssirkel, each with the plan's measures on it (an
    empty list: the plan leaves the arena empty)."""
    by_arena: dict[str, list[Measure]] = {a: [] for a in Arena.values}
    for m in measures:
        by_arena.setdefault(m.arena, []).append(m)
    return [ArenaCover(a, str(Arena(a).label), by_arena[a]) for a in Arena.values]


@dataclass(frozen=True)
class TaperingPosition:
    step: int  # 0: not started
    of: int
    current: TaperingStep | None
    next: TaperingStep | None

    @property
    def text(self) -> str:
        if self.current is None:
            if self.next is None:
                return _("Ingen trinn i nedtrappingsplanen")
            return _("Ikke startet (trinn 1 fra %(day)s)") % {
                "day": self.next.starts_on.strftime("%d.%m.%Y")
            }
        return _("Trinn %(step)s av %(of)s (fra %(day)s)") % {
            "step": self.step,
            "of": self.of,
            "day": self.current.starts_on.strftime("%d.%m.%Y"),
        }


def tapering_position(measure: Measure, today: dt.date) -> TaperingPosition:
    """Where a special arrangement is on its tapering steps `today` (prefetched
    `steps`)."""
    steps = sorted(measure.steps.all(), key=lambda s: (s.starts_on, s.pk))
    started = [s for s in steps if s.starts_on <= today]
    later = [s for s in steps if s.starts_on > today]
    return TaperingPosition(
        step=len(started),
        of=len(steps),
        current=started[-1] if started else None,
        next=later[0] if later else None,
    )


def annotate_measures(version: PlanVersion, today: dt.date, failed: set[int]) -> list[Measure]:
    """The version's measures with `position` (special arrangements) and `failed_before`
    (it continues a measure an evaluation found not working)."""
    measures = list(version.measures.all())
    for m in measures:
        m.position = tapering_position(m, today) if m.special_arrangement else None
        m.failed_before = m.continues_id in failed
    return measures


# --- the plan page and the case panel ---------------------------------------------------


@dataclass
class PlanState:
    agreement: Agreement | None
    versions: list[PlanVersion] = field(default_factory=list)
    current: PlanVersion | None = None  # agreed, in force
    draft: PlanVersion | None = None

    @property
    def shown(self) -> PlanVersion | None:
        return self.current or self.draft


def plan_state(case: Case, *, with_content: bool = True) -> PlanState:
    """The agreement, its versions, and the version in force and the draft with their
    content: at most 2 + 2 × len(VERSION_PREFETCH) queries, whatever the number of
    versions and measures."""
    agreement = agreement_of(case)
    if agreement is None:
        return PlanState(None)
    versions = versions_of(agreement)
    state = PlanState(agreement, versions)
    wanted = [
        v for v in versions if v.status in (PlanVersion.Status.AGREED, PlanVersion.Status.DRAFT)
    ]
    if with_content and wanted:
        full = {
            v.pk: v
            for v in PlanVersion.objects.filter(pk__in=[v.pk for v in wanted])
            .select_related("agreed_by")
            .prefetch_related(*VERSION_PREFETCH)
        }
        wanted = [full[v.pk] for v in wanted]
    for v in wanted:
        if v.status == PlanVersion.Status.AGREED:
            state.current = v
        else:
            state.draft = v
    return state


# --- comparing two versions -----------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One row of the comparison: the old and new item (either may be None) and what
    changed, in words (`status`: new, removed, changed, same)."""

    status: str
    old: object | None
    new: object | None
    fields: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return {
            "new": _("Nytt"),
            "removed": _("Fjernet"),
            "changed": _("Endret"),
            "same": _("Uendret"),
        }[self.status]


GOAL_COMPARED = ("text", "target_date")
MEASURE_COMPARED = (
    "what",
    "responsible",
    "responsible_staff_id",
    "responsible_service",
    "arena",
    "when",
    "where",
    "starts_on",
    "ends_on",
    "special_arrangement",
)
VERSION_COMPARED = (
    "long_term_goal",
    "contact_who",
    "contact_how",
    "contact_how_often",
    "evaluation_date",
    "activity_plan_ref",
    "attendance_note",
)


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name.removesuffix("_id")).verbose_name)


def _pair(old_items, new_items, compared, model, ancestors) -> list[Change]:
    """Match each new item to the old one it continues (through the versions between),
    else to an old one with the same first field; the rest are new or removed."""
    old_by_pk = {o.pk: o for o in old_items}
    first = compared[0]
    unmatched_old = dict(old_by_pk)
    rows: list[Change] = []
    for n in new_items:
        o = None
        link = n.continues_id
        while link is not None and o is None:
            o = unmatched_old.get(link)
            link = ancestors.get(link)
        if o is None:
            o = next(
                (x for x in unmatched_old.values() if getattr(x, first) == getattr(n, first)), None
            )
        if o is None:
            rows.append(Change("new", None, n))
            continue
        unmatched_old.pop(o.pk)
        diff = tuple(_label(model, f) for f in compared if getattr(o, f) != getattr(n, f))
        rows.append(Change("changed" if diff else "same", o, n, diff))
    rows.extend(Change("removed", o, None) for o in unmatched_old.values())
    return rows


@dataclass
class Comparison:
    old: PlanVersion
    new: PlanVersion
    plan_fields: list[tuple[str, object, object, bool]]
    goals: list[Change]
    measures: list[Change]


def compare_versions(old: PlanVersion, new: PlanVersion) -> Comparison:
    """Two versions (with content prefetched) side by side. The `continues` links
    between them are read in two queries whatever the number of versions."""
    agreement_id = old.agreement_id
    goal_links = dict(
        Goal.objects.filter(version__agreement_id=agreement_id).values_list("pk", "continues_id")
    )
    measure_links = dict(
        Measure.objects.filter(version__agreement_id=agreement_id).values_list("pk", "continues_id")
    )
    plan_fields = [
        (
            _label(PlanVersion, f),
            getattr(old, f),
            getattr(new, f),
            getattr(old, f) != getattr(new, f),
        )
        for f in VERSION_COMPARED
    ]
    # The attendance plan (weekdays and its weekly steps), in words.
    for label, text in (
        (_("Oppmøteplan per ukedag"), _attendance_days_text),
        (_("Slik øker tiden uke for uke"), _attendance_steps_text),
    ):
        plan_fields.append((label, text(old), text(new), text(old) != text(new)))
    measures = _pair(
        list(old.measures.all()),
        list(new.measures.all()),
        MEASURE_COMPARED,
        Measure,
        measure_links,
    )
    # A special arrangement's tapering plan counts as part of the measure.
    for i, row in enumerate(measures):
        if row.old is not None and row.new is not None and _steps(row.old) != _steps(row.new):
            fields = (*row.fields, _("nedtrappingsplan"))
            measures[i] = Change("changed", row.old, row.new, fields)
    return Comparison(
        old,
        new,
        plan_fields,
        _pair(list(old.goals.all()), list(new.goals.all()), GOAL_COMPARED, Goal, goal_links),
        measures,
    )


def _steps(measure: Measure) -> list[tuple]:
    return [(s.starts_on, s.description) for s in measure.steps.all()]


def _attendance_days_text(version: PlanVersion) -> str:
    return "\n".join(
        f"{d.get_weekday_display()} {d.starts_at:%H:%M}, {d.place}"
        + (f" ({d.met_by})" if d.met_by else "")
        for d in version.attendance_days.all()
    )


def _attendance_steps_text(version: PlanVersion) -> str:
    return "\n".join(
        f"{s.starts_on:%d.%m.%Y}: {s.description}" for s in version.attendance_steps.all()
    )


def participants(version: PlanVersion) -> list[str]:
    """Who took part in agreeing the version, in words (prefetched guardians, staff)."""
    names = [_("eleven")] if version.pupil_took_part else []
    names += [g.name for g in version.guardians.all()]
    names += [str(u) for u in version.staff.all()]
    if version.others:
        names.append(version.others)
    return names


@dataclass(frozen=True)
class EvaluationDates:
    """A version's evaluation date as agreed (`original`), and the one in force
    (`in_force`): after an evaluation with outcome "continue" the plan is evaluated
    again on a new date (`plans.actions.evaluations`), and an agreed version is never
    edited, so its own `evaluation_date` becomes history."""

    original: dt.date | None
    in_force: dt.date | None

    @property
    def moved(self) -> bool:
        return self.in_force is not None and self.in_force != self.original


def evaluation_dates(version: PlanVersion) -> EvaluationDates:
    """The version's evaluation dates: for the version in force, the pending evaluation
    deadline (the date the deadline runs to, moved to a school day), else the latest
    "continue" evaluation's new date, else the version's own. Two queries, whatever the
    number of evaluations; none for a draft."""
    original = version.evaluation_date
    if version.status == PlanVersion.Status.DRAFT:
        return EvaluationDates(original, original)
    latest = (
        Evaluation.objects.filter(version=version, next_evaluation_date__isnull=False)
        .order_by("-held_on", "-pk")
        .values_list("next_evaluation_date", flat=True)
        .first()
    )
    # Asked for every version, in force or not, so that a page's query count does not
    # depend on which version it shows.
    pending = (
        Deadline.objects.pending()
        .filter(
            case__agreement__pk=version.agreement_id,
            kind__in=set(rules.EVALUATION_DEADLINE.values()),
        )
        .order_by("-created_at", "-pk")
        .values_list("due", flat=True)
        .first()
    )
    in_force = latest or original
    if version.status == PlanVersion.Status.AGREED and pending is not None:
        in_force = pending
    return EvaluationDates(original, in_force)
