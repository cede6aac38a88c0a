"""The demo logins, one per role, that `seed_demo` creates and `demo_banner` prints."""

from __future__ import annotations

from dataclasses import dataclass

from fravaer.demo.data import BARNESKOLE, SCHOOLS, UNGDOMSSKOLE
from fravaer.models import StaffRole

# Printed by `demo_banner`. Demo only: `seed_demo` refuses to run with DEBUG off.
DEMO_PASSWORD = "fravaer-demo-2026"  # noqa: S105
RUN_URL = "http://127.0.0.1:8000/"

CONTACT_TEACHER = "contact_teacher"
SUBJECT_TEACHER_ROLE = "subject_teacher"
TECHNICAL_ADMIN = "technical_admin"
ROLE_LABELS = {
    # role: (Norwegian, English)
    CONTACT_TEACHER: ("kontaktlærer", "contact teacher"),
    SUBJECT_TEACHER_ROLE: ("faglærer", "subject teacher"),
    StaffRole.Role.SCHOOL_LEADER: ("rektor", "principal"),
    StaffRole.Role.ENVIRONMENT_TEAM: ("skolemiljøteam", "school-environment team"),
    StaffRole.Role.ATTENDANCE_CONTACT: ("nærværskontakt", "attendance contact"),
    StaffRole.Role.SCHOOL_NURSE: ("helsesykepleier", "school nurse"),
    StaffRole.Role.PPT_ADVISOR: ("PPT-rådgiver", "PPT advisor"),
    StaffRole.Role.MUNICIPAL_ADMIN: ("kommunal administrator", "municipal administrator"),
    TECHNICAL_ADMIN: ("teknisk drift", "technical administrator"),
}


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    role: str  # a StaffRole.Role, CONTACT_TEACHER, SUBJECT_TEACHER_ROLE or TECHNICAL_ADMIN
    schools: tuple[str, ...] = ()  # for school roles
    featured: bool = True  # the banner's main list; the other contact teachers follow

    @property
    def role_label(self) -> str:
        nb, en = ROLE_LABELS[self.role]
        return f"{nb} / {en}"


DEMO_LOGINS = (
    DemoLogin("kontaktlaerer@demo.no", "Ingrid", "Solberg", CONTACT_TEACHER),
    DemoLogin("faglaerer@demo.no", "Trond", "Aasen", SUBJECT_TEACHER_ROLE),
    DemoLogin("rektor@demo.no", "Bjørn", "Kristiansen", "school_leader", (BARNESKOLE,)),
    DemoLogin("rektor.us@demo.no", "Hege", "Dahl", "school_leader", (UNGDOMSSKOLE,)),
    DemoLogin("miljoteam@demo.no", "Linn", "Halvorsen", "environment_team", (BARNESKOLE,)),
    DemoLogin("miljoteam.us@demo.no", "Kjetil", "Nygård", "environment_team", (UNGDOMSSKOLE,)),
    DemoLogin("naervaer@demo.no", "Mona", "Berge", "attendance_contact", (BARNESKOLE,)),
    DemoLogin("naervaer.us@demo.no", "Stian", "Holm", "attendance_contact", (UNGDOMSSKOLE,)),
    # One school nurse covers both schools, as is common in a small municipality.
    DemoLogin("helsesykepleier@demo.no", "Ragnhild", "Sæther", "school_nurse", SCHOOLS),
    DemoLogin("ppt@demo.no", "Øyvind", "Lie", "ppt_advisor"),
    DemoLogin("kommune@demo.no", "Elisabeth", "Fjeld", "municipal_admin"),
    # The Django admin is for technical administration only and shows no pupil data.
    DemoLogin("drift@demo.no", "Per", "Drift", TECHNICAL_ADMIN),
    DemoLogin("kontaktlaerer.1a@demo.no", "Marit", "Haugen", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.2a@demo.no", "Tone", "Bakken", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.3a@demo.no", "Jon", "Eide", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.4a@demo.no", "Hilde", "Strand", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.7a@demo.no", "Espen", "Lunde", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.8a@demo.no", "Silje", "Moen", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.9a@demo.no", "Anders", "Vik", CONTACT_TEACHER, featured=False),
    DemoLogin("kontaktlaerer.10a@demo.no", "Camilla", "Brekke", CONTACT_TEACHER, featured=False),
)
SUPERUSER = "drift@demo.no"


def all_usernames() -> list[str]:
    return [login.username for login in DEMO_LOGINS]
