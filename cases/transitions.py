"""Level-dependent rules of the staircase: which level changes exist (`TRANSITIONS`,
`allowed_moves`), the deadlines a level starts and stops, the reasons a case on a level
may close for, and what the case page asks about: which planned meetings a level has
left behind, whether a team level has lost its consent, which consents the pupil must
give their own consent to from 15, and what a level allows (mapping tasks,
participants from other services).

Pure functions over rows already read (the case page's prefetched relations), so the
page, the actions and the nightly reminder share one definition and the rules can be
tested without a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from cases.models import Case, Consent, Deadline, Level, Meeting
from fravaer.models import Pupil

# The staircase's order, lowest first (`Case.level`'s values).
LEVEL_ORDER: dict[str, int] = {
    Level.NIVA_0: 0,
    Level.NIVA_1: 1,
    Level.NIVA_2A: 2,
    Level.NIVA_2B: 3,
}

UP = "up"
DOWN = "down"

# The staircase: which level changes exist. Closing is allowed from every level and
# is its own action. Moving down means "try other measures on this level" (seed 000
# p. 14, outcome 2).
TRANSITIONS: dict[tuple[str, str], str] = {
    (Level.NIVA_0, Level.NIVA_1): UP,
    (Level.NIVA_1, Level.NIVA_2A): UP,
    (Level.NIVA_2A, Level.NIVA_2B): UP,
    (Level.NIVA_2B, Level.NIVA_2A): DOWN,
    (Level.NIVA_2A, Level.NIVA_1): DOWN,
}


def allowed_moves(level: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == level]


# The deadline each level starts on arrival, and the deadlines that belong to a level
# (cancelled when the case leaves it).
LEVEL_DEADLINES: dict[str, str] = {
    Level.NIVA_1: Deadline.Kind.LEVEL1_MEETING,
    Level.NIVA_2A: Deadline.Kind.EVALUATION_2A,
    Level.NIVA_2B: Deadline.Kind.MAPPING_SUMMARY_2B,
}

# Deadlines that stop when the case leaves their level: the one it started on arrival,
# and at nivå 1 the evaluation of the measures agreed at the meeting.
LEVEL_OWN_DEADLINES: dict[str, tuple[str, ...]] = {
    **{level: (kind,) for level, kind in LEVEL_DEADLINES.items()},
    Level.NIVA_1: (Deadline.Kind.LEVEL1_MEETING, Deadline.Kind.PLAN_EVALUATION),
    Level.NIVA_2B: (Deadline.Kind.MAPPING_SUMMARY_2B, Deadline.Kind.EVALUATION_2B),
}

_R = Case.CloseReason
# The reasons a case may close for on each level. Nivå 0 asks whether there is cause
# for concern at all: it ends in "not confirmed" or goes on to nivå 1, and has no
# measures that could have worked. From nivå 1 on the concern is defined and the case
# closes when the evaluation finds that the measures worked (seed 000 p. 14, outcome 1).
# A pupil moving away, or something else written out, ends a case on any level.
CLOSE_REASONS: dict[str, tuple[str, ...]] = {
    Level.NIVA_0: (_R.NOT_CONFIRMED, _R.MOVED, _R.OTHER),
    Level.NIVA_1: (_R.MEASURES_WORKED, _R.MOVED, _R.OTHER),
    Level.NIVA_2A: (_R.MEASURES_WORKED, _R.MOVED, _R.OTHER),
    Level.NIVA_2B: (_R.MEASURES_WORKED, _R.MOVED, _R.OTHER),
}


def close_reasons(level: str) -> list[tuple[str, str]]:
    """The (value, label) choices a case on `level` may close for."""
    allowed = CLOSE_REASONS.get(level, tuple(_R.values))
    return [(value, label) for value, label in _R.choices if value in allowed]


# The level a kind of meeting belongs to, for meetings set up before `Meeting.level`
# was kept: the meeting with pupil and guardians is nivå 1's (seed 004). Other kinds
# (follow-up, evaluation, the team's mapping meeting) belong to no single level.
KIND_LEVEL: dict[str, str] = {Meeting.Kind.LEVEL1: Level.NIVA_1}

# Levels where other services work on the case, on consent (seed 004: nivå 2A "med
# samtykke", 2B "krever et gyldig samtykke"; `queries.missing_for`).
CONSENT_LEVELS = frozenset({Level.NIVA_2A, Level.NIVA_2B})

# Levels of the interdisciplinary team (seed 004, nivå 2A: "kartleggingsoppgaver
# fordeles"): mapping tasks are shared out, and participants from other services join
# (on consent for their service).
TEAM_LEVELS = frozenset({Level.NIVA_2A, Level.NIVA_2B})


def allows_mapping_tasks(level: str) -> bool:
    """Whether mapping tasks are shared out on `level` (nivå 2A and 2B)."""
    return level in TEAM_LEVELS


def allows_participants(level: str) -> bool:
    """Whether participants from other services join the case on `level` (nivå 2A
    and 2B; some services only from 2B, `cases.actions.consent.SERVICES_FROM_2B`)."""
    return level in TEAM_LEVELS


def meeting_level(meeting: Meeting) -> str:
    """The level the meeting was set up for ('' if unknown)."""
    return meeting.level or KIND_LEVEL.get(meeting.kind, "")


def meetings_left_behind(case_level: str, meetings: Iterable[Meeting]) -> list[Meeting]:
    """Planned meetings of a lower level than the case is on now: the case moved up
    while they were still "Planlagt". Nothing changes them by itself; the owner holds,
    moves (cancels and sets up anew) or cancels each."""
    here = LEVEL_ORDER.get(case_level, 0)
    return sorted(
        (
            m
            for m in meetings
            if m.is_scheduled
            and meeting_level(m) in LEVEL_ORDER
            and LEVEL_ORDER[meeting_level(m)] < here
        ),
        key=lambda m: (m.starts_at, m.pk),
    )


def consent_lapsed(case_level: str, consents: Iterable[Consent], day: dt.date) -> bool:
    """The case is on a level that rests on consent and no consent is in force on `day`
    (the last one was withdrawn or ran out)."""
    return case_level in CONSENT_LEVELS and not any(c.is_active(day) for c in consents)


def consents_needing_pupil(
    consents: Iterable[Consent], day: dt.date, *, pupil_is_15: bool
) -> list[Consent]:
    """From 15 the pupil consents too. A consent the guardians gave alone before then
    stays in force for what it covers, but the owner is asked to obtain the pupil's
    own: these are the consents in force on `day` without it, for services that have
    no consent in force with it."""
    if not pupil_is_15:
        return []
    active = [c for c in consents if c.is_active(day)]
    with_pupil = {c.service for c in active if c.pupil_consented}
    return [c for c in active if not c.pupil_consented and c.service not in with_pupil]


# --- the pupil's own consent ------------------------------------------------------------

# The pupil's own consent is needed too from this age (the age of medical consent,
# pasient- og brukerrettighetsloven § 4-3; the seeds' consent form asks for it).
PUPIL_CONSENT_AGE = 15


def age_on(pupil: Pupil, day: dt.date) -> int:
    born = pupil.birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def pupil_consent_required(pupil: Pupil, day: dt.date) -> bool:
    return age_on(pupil, day) >= PUPIL_CONSENT_AGE


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
