"""Demo data: "Fjordvik kommune" with two schools, ten classes, about 250 pupils, one
login per role and a school year of absence so far (`manage.py seed_demo`).

The tables (names, holidays, logins) live here so that `seed_demo` and
`demo_banner` agree. Everything is drawn from `random.Random(2026)`, so two seeds on
the same day give the same municipality. The structure is plain ORM; absence, the
calendar, reasons and contact logs go through `fravaer.actions`, so the demo obeys
the same rules as a teacher does.

- `data`: the municipality's name, schools and classes, names, subjects and texts.
- `logins`: one login per role, the shared password and where the product runs.
- `calendar`: holidays and planning days, Easter, the school year's closures.
- `patterns`: who was absent when (pure Python); `generator`: writing it all.
"""

from fravaer.demo.calendar import (
    KNOWN_CLOSURES,
    PLANNING,
    Closure,
    closed_days,
    closures_for,
    derive_closures,
    easter_sunday,
)
from fravaer.demo.data import (
    BARNESKOLE,
    BOY_NAMES,
    CONTACT_SUMMARIES,
    GIRL_NAMES,
    GROUPS,
    ILLNESS_NOTES,
    LAST_NAMES,
    LEAVE_NOTES,
    MATH,
    MEN_NAMES,
    MUNICIPALITY_NAME,
    OTHER_NOTES,
    OTHER_SUBJECTS,
    PE,
    SCHOOLS,
    SUBJECT_TEACHER,
    SUBJECT_TEACHER_GROUPS,
    UNGDOMSSKOLE,
    WOMEN_NAMES,
    DemoGroup,
)
from fravaer.demo.generator import SEED, SeedSummary, demo_exists, seed_demo
from fravaer.demo.logins import (
    CONTACT_TEACHER,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    ROLE_LABELS,
    RUN_URL,
    SUBJECT_TEACHER_ROLE,
    SUPERUSER,
    DemoLogin,
    all_usernames,
)
from fravaer.demo.patterns import (
    PATTERN_SHARES,
    REFERENCE_SCHOOL_DAYS,
    PlannedAbsence,
    PupilProfile,
    ReasonPicker,
    plan_absence,
)

__all__ = [
    "BARNESKOLE",
    "BOY_NAMES",
    "CONTACT_SUMMARIES",
    "CONTACT_TEACHER",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "GIRL_NAMES",
    "GROUPS",
    "ILLNESS_NOTES",
    "KNOWN_CLOSURES",
    "LAST_NAMES",
    "LEAVE_NOTES",
    "MATH",
    "MEN_NAMES",
    "MUNICIPALITY_NAME",
    "OTHER_NOTES",
    "OTHER_SUBJECTS",
    "PATTERN_SHARES",
    "PE",
    "PLANNING",
    "REFERENCE_SCHOOL_DAYS",
    "ROLE_LABELS",
    "RUN_URL",
    "SCHOOLS",
    "SEED",
    "SUBJECT_TEACHER",
    "SUBJECT_TEACHER_GROUPS",
    "SUBJECT_TEACHER_ROLE",
    "SUPERUSER",
    "UNGDOMSSKOLE",
    "WOMEN_NAMES",
    "Closure",
    "DemoGroup",
    "DemoLogin",
    "PlannedAbsence",
    "PupilProfile",
    "ReasonPicker",
    "SeedSummary",
    "all_usernames",
    "closed_days",
    "closures_for",
    "demo_exists",
    "derive_closures",
    "easter_sunday",
    "plan_absence",
    "seed_demo",
]
