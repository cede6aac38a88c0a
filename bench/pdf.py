"""The PDF documents' benchmark (issue #14, §4; `manage.py bench_pdf`): builds one
realistic case in the current (scratch) database, then renders each of the case's
documents several times as the download views do (the context builder, then
`fravaer.pdf.render_pdf`) and reports, per document, the time (p50 and max) and the
peak memory: Python's own (tracemalloc, in a separate pass since it slows allocation)
and the process's resident set (its high-water mark, restarted per document on Linux).

The case: a pupil with a school year of absence (whole days, lessons and late
arrivals on a Monday-heavy pattern), a cause mapping, three held meetings, a consent,
and an agreement with three versions (two superseded, one in force), each with
several goals and measures on all four arenas, a special arrangement with its tapering
steps, an attendance plan Monday to Friday and its weekly steps, and an evaluation of
each of the first two versions with an effect.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import tracemalloc
from dataclasses import dataclass, field

from django.utils import timezone

from bench.measure import MB, measure

# Issue #14, §4: each document, on 2 cores.
TARGET_SECONDS = 1.0
TARGET_MB = 300.0

DOCUMENTS = ["agreement", "minutes", "consent", "evaluation"]


@dataclass(frozen=True)
class PdfSpec:
    weeks: int = 40  # of absence before `as_of`
    versions: int = 3
    measures: int = 8  # per version
    goals: int = 4  # per version
    repeat: int = 5
    as_of: dt.date = dt.date(2026, 6, 12)
    seed: int = 20261207


@dataclass
class DocumentResult:
    kind: str
    seconds: list[float] = field(default_factory=list)
    pages: int = 0
    size_kb: float = 0.0
    statements: int = 0
    python_peak_mb: float | None = None
    rss_peak_mb: float = 0.0
    rss_peak_is_phase: bool = True

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds)

    @property
    def max(self) -> float:
        return max(self.seconds)

    @property
    def met(self) -> bool:
        return self.max <= TARGET_SECONDS and self.rss_peak_mb <= TARGET_MB


@dataclass
class PdfReport:
    spec: PdfSpec
    absence_records: int
    results: list[DocumentResult]


def _aware(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _effect(agreed_on: dt.date, held: dt.date) -> dict:
    """An effect as `plans.effect.Effect.as_json` keeps it: 32 % absent before the
    plan, 14 % since."""

    def period(start, end, absent):
        return {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "school_days": 15,
            "days": absent // 6,
            "hours": absent % 6,
            "late": 2,
            "absent_lessons": absent,
            "scheduled_lessons": 90,
        }

    before = agreed_on - dt.timedelta(days=21)
    return {
        "agreed_on": agreed_on.isoformat(),
        "until": held.isoformat(),
        "lessons_per_day": 6,
        "before": period(before, agreed_on - dt.timedelta(days=1), 29),
        "since": period(agreed_on, held, 13),
        "change": -17.8,
    }


def build_case(spec: PdfSpec):
    """The realistic case of the module docstring, and what each document needs."""
    from cases.models import Case, Consent, Mapping, Meeting, Service
    from fravaer.actions import ensure_default_reasons
    from fravaer.models import (
        AbsenceRecord,
        Enrollment,
        Group,
        Guardian,
        Municipality,
        Pupil,
        School,
        SchoolYear,
        TeachingAssignment,
        User,
    )
    from plans.models import (
        Agreement,
        Arena,
        AttendanceDay,
        AttendanceStep,
        Evaluation,
        Goal,
        GoalReview,
        Measure,
        MeasureReview,
        PlanVersion,
        TaperingStep,
    )

    rng = random.Random(spec.seed)
    as_of = spec.as_of
    start = as_of - dt.timedelta(weeks=spec.weeks)
    now = _aware(as_of, 15)
    municipality = Municipality.objects.create(name="Benkvik kommune")
    reasons = {r.code: r for r in ensure_default_reasons(municipality)} or {
        r.code: r for r in municipality.absence_reasons.all()
    }
    reason = reasons.get("unknown") or next(iter(reasons.values()))
    year = SchoolYear.objects.create(
        start=start - dt.timedelta(days=7), end=as_of + dt.timedelta(days=30)
    )
    school = School.objects.create(municipality=municipality, name="Benkvik skole")
    group = Group.objects.create(
        school=school, school_year=year, name="8B", grade=8, lessons_per_day=6
    )
    teacher = User.objects.create_user(
        "kontakt@benkvik.no", first_name="Kari", last_name="Kontaktlærer"
    )
    TeachingAssignment.objects.create(
        user=teacher, group=group, kind="contact", valid_from=year.start
    )
    pupil = Pupil.objects.create(
        municipality=municipality,
        pupil_id="B00001",
        first_name="Sara",
        last_name="Benkvik",
        birth_date=dt.date(2012, 3, 4),
    )
    Enrollment.objects.create(pupil=pupil, group=group, start=year.start)
    guardians = []
    for name in ("Anne Benkvik", "Per Benkvik"):
        guardian = Guardian.objects.create(municipality=municipality, name=name, phone="90000000")
        guardian.pupils.add(pupil)
        guardians.append(guardian)

    # A school year of absence: Mondays are hard, the rest scattered.
    records = []
    day = start
    while day < as_of:
        if day.weekday() < 5:
            roll = rng.random()
            kind = None
            if day.weekday() == 0 and roll < 0.45 or roll < 0.06:
                kind, extra = "day", {}
            elif roll < 0.16:
                kind, extra = "lesson", {"lessons": rng.randint(1, 3), "subject": "Matematikk"}
            elif roll < 0.24:
                kind, extra = "late", {"minutes_late": rng.choice([5, 10, 20, 45])}
            if kind:
                records.append(
                    AbsenceRecord(
                        pupil=pupil,
                        date=day,
                        kind=kind,
                        reason=reason,
                        registered_by=teacher,
                        registered_at=_aware(day, 14),
                        **extra,
                    )
                )
        day += dt.timedelta(days=1)
    AbsenceRecord.objects.bulk_create(records)

    case = Case.objects.create(
        pupil=pupil,
        school=school,
        level="1",
        owner=teacher,
        concern="Mye fravær på mandager og i matematikktimene siden høsten; "
        "sier hun er kvalm om morgenen.",
        opened_by=teacher,
        opened_at=_aware(start + dt.timedelta(weeks=8), 9),
    )
    Mapping.objects.create(
        case=case,
        kind=Mapping.Kind.CAUSES,
        school="Vikar i matematikk og naturfag; vet ikke hva klassen jobber med.",
        home="Travle morgener; foreldrene har skiftarbeid.",
        leisure="Håndball to kvelder i uka.",
        pupil_area="Blir lett nervøs uten oversikt. Sover dårlig søndag kveld.",
        maintaining_factors="Fravær gjør at hun henger etter, som gjør neste dag vanskeligere.",
        worth_going_for="Bestevennen i klassen og kunst og håndverk.",
        recorded_by=teacher,
        recorded_at=_aware(start + dt.timedelta(weeks=9)),
    )
    meetings = []
    for n in range(3):
        held = start + dt.timedelta(weeks=10 + 8 * n)
        meeting = Meeting.objects.create(
            case=case,
            kind=Meeting.Kind.LEVEL1 if n == 0 else Meeting.Kind.EVALUATION,
            starts_at=_aware(held, 14),
            place="Møterom 2",
            status=Meeting.Status.HELD,
            pupil_view="Det hjelper å vite hva som skjer hver dag. " * 3,
            minutes="Vi gikk gjennom planen punkt for punkt. " * 20,
            scheduled_by=teacher,
            scheduled_at=_aware(held - dt.timedelta(days=7)),
            held_recorded_at=_aware(held, 16),
        )
        meeting.guardians.set(guardians)
        meeting.staff.set([teacher])
        meetings.append(meeting)
    consent = Consent.objects.create(
        case=case,
        service=Service.SCHOOL_NURSE,
        purpose="Samtaler om søvn, kvalme og trivsel",
        scope="Fravær, trivsel og tiltakene i saken",
        given_on=start + dt.timedelta(weeks=11),
        recorded_by=teacher,
        recorded_at=_aware(start + dt.timedelta(weeks=11)),
    )
    consent.guardians.set(guardians)

    agreement = Agreement.objects.create(case=case, created_by=teacher, created_at=now)
    arenas = [a for a, _ in Arena.choices]
    previous = None
    versions = []
    for v in range(1, spec.versions + 1):
        agreed = start + dt.timedelta(weeks=10 + 8 * (v - 1))
        version = PlanVersion.objects.create(
            agreement=agreement,
            number=v,
            status="agreed" if v == spec.versions else "superseded",
            level="1",
            based_on=previous,
            change_reason="" if v == 1 else "Evalueringen viste at morgenrutinen ikke virket.",
            long_term_goal="Sara er på skolen hele dagen, hver dag, og opplever mestring.",
            contact_who="Kari Kontaktlærer",
            contact_how="Telefon og melding i skolens app",
            contact_how_often="Hver fredag",
            evaluation_date=agreed + dt.timedelta(weeks=3),
            agreed_on=agreed,
            agreed_by=teacher,
            agreed_at=_aware(agreed),
            pupil_took_part=True,
            created_by=teacher,
            created_at=_aware(agreed - dt.timedelta(days=2)),
        )
        version.guardians.set(guardians)
        version.staff.set([teacher])
        for g in range(spec.goals):
            Goal.objects.create(
                version=version,
                text=f"Delmål {g + 1}: møter til første time minst {g + 3} av 5 dager i uka",
                target_date=agreed + dt.timedelta(weeks=2 + g),
                order=g,
            )
        for m in range(spec.measures):
            measure_row = Measure.objects.create(
                version=version,
                what=f"Tiltak {m + 1}: lærer møter eleven i biblioteket og går gjennom dagen",
                responsible=["staff", "guardians", "pupil", "service"][m % 4],
                responsible_staff=teacher if m % 4 == 0 else None,
                responsible_service="school_nurse" if m % 4 == 3 else "",
                arena=arenas[m % 4],
                when="Hver dag kl. 09.30",
                where="Biblioteket",
                starts_on=agreed,
                ends_on=agreed + dt.timedelta(weeks=8),
                special_arrangement=m == 0,
                order=m,
            )
            if m == 0:
                for step in range(4):
                    TaperingStep.objects.create(
                        measure=measure_row,
                        starts_on=agreed + dt.timedelta(weeks=2 * step),
                        description=f"{step + 2} timer i klasserommet, resten i biblioteket",
                    )
        for weekday in range(5):
            AttendanceDay.objects.create(
                version=version,
                weekday=weekday,
                starts_at=dt.time(9, 30),
                place="Biblioteket",
                met_by="Kari Kontaktlærer",
            )
        for week in range(4):
            AttendanceStep.objects.create(
                version=version,
                starts_on=agreed + dt.timedelta(weeks=week),
                description=f"{week + 1} timer om dagen",
            )
        versions.append(version)
        previous = version

    evaluations = []
    for version in versions[:-1]:
        held = version.evaluation_date
        evaluation = Evaluation.objects.create(
            case=case,
            version=version,
            held_on=held,
            form=Evaluation.Form.MEETING,
            meeting=meetings[min(len(meetings) - 1, version.number)],
            pupil_view="Biblioteket er et godt sted å starte dagen.",
            guardian_view="Morgenene går lettere, men mandagene er fortsatt tunge.",
            outcome=Evaluation.Outcome.REVISE,
            outcome_reason="Noe virker, men morgenrutinen må endres.",
            effect=_effect(version.agreed_on, held),
            recorded_by=teacher,
            recorded_at=_aware(held, 16),
        )
        for goal in version.goals.all():
            GoalReview.objects.create(
                evaluation=evaluation, goal=goal, result="partly", why="Nesten"
            )
        for measure_row in version.measures.all():
            MeasureReview.objects.create(
                evaluation=evaluation,
                measure=measure_row,
                result="partly",
                why="Delvis gjennomført",
            )
        evaluations.append(evaluation)

    case = Case.objects.select_related("pupil", "school", "owner").get(pk=case.pk)
    return {
        "case": case,
        "version": versions[-1],
        "meeting": meetings[0],
        "consent": consent,
        "evaluation": evaluations[-1] if evaluations else None,
        "absence_records": len(records),
    }


def _render(kind: str, built: dict, today: dt.date) -> bytes:
    """What the download view does, without the request: read, then render."""
    from django.utils import translation

    from fravaer.pdf import render_pdf
    from plans import documents

    case = built["case"]
    if kind == "agreement":
        version = documents.agreement_version(case, built["version"].uuid)
        context = documents.agreement_context(case, version, today=today)
    elif kind == "minutes":
        meeting = documents.held_meeting(case, built["meeting"].uuid)
        context = documents.minutes_context(case, meeting, today=today)
    elif kind == "consent":
        consent = documents.recorded_consent(case, built["consent"].pk)
        context = documents.consent_context(case, today=today, consent=consent)
    else:
        evaluation = documents.case_evaluation(case, built["evaluation"].uuid)
        context = documents.evaluation_context(case, evaluation, today=today)
    return render_pdf(
        documents.TEMPLATES[kind], context, language=translation.get_language() or "nb"
    )


def run_pdf_benchmark(spec: PdfSpec) -> PdfReport:
    import io

    import pypdf

    built = build_case(spec)
    results = []
    kinds = [k for k in DOCUMENTS if k != "evaluation" or built["evaluation"] is not None]
    _render("agreement", built, spec.as_of)  # warm up: WeasyPrint's imports and fonts
    for kind in kinds:
        result = DocumentResult(kind)
        for _ in range(spec.repeat):
            with measure(kind) as m:
                data = _render(kind, built, spec.as_of)
            result.seconds.append(m.seconds)
            result.statements = m.statements
            result.rss_peak_mb = max(result.rss_peak_mb, m.rss_peak_mb)
            result.rss_peak_is_phase = m.rss_peak_is_phase
        result.pages = len(pypdf.PdfReader(io.BytesIO(data)).pages)
        result.size_kb = len(data) / 1024
        tracemalloc.start()
        _render(kind, built, spec.as_of)
        result.python_peak_mb = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()
        results.append(result)
    return PdfReport(spec=spec, absence_records=built["absence_records"], results=results)


def format_pdf_report(report: PdfReport) -> str:
    spec = report.spec
    lines = [
        f"PDF documents: one case with {report.absence_records} absence records over "
        f"{spec.weeks} weeks, {spec.versions} plan versions of {spec.measures} measures and "
        f"{spec.goals} goals; each document rendered {spec.repeat} times.",
        f"Targets per document: ≤ {TARGET_SECONDS:.1f} s and ≤ {TARGET_MB:.0f} MB.",
        "",
        f"{'document':<12}{'pages':>6}{'kB':>7}{'SQL':>5}{'p50 s':>8}{'max s':>8}"
        f"{'Python MB':>11}{'RSS MB':>9}  target",
    ]
    for r in report.results:
        rss = f"{r.rss_peak_mb:.0f}" + ("" if r.rss_peak_is_phase else "*")
        lines.append(
            f"{r.kind:<12}{r.pages:>6}{r.size_kb:>7.0f}{r.statements:>5}{r.p50:>8.3f}"
            f"{r.max:>8.3f}{(r.python_peak_mb or 0):>11.1f}{rss:>9}  "
            + ("met" if r.met else "MISSED")
        )
    if any(not r.rss_peak_is_phase for r in report.results):
        lines.append("* the process's lifetime peak (this system cannot restart it per phase)")
    return "\n".join(lines)
