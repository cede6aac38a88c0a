"""The core domain. Writes go through `fravaer.actions`; reads that deserve a name live
in `fravaer.queries`; who may see what is decided in `fravaer.access`."""

from fravaer.models.absence import (
    AbsenceReason,
    AbsenceRecord,
    AbsenceRecordChange,
    AbsenceRecordQuerySet,
    ContactLog,
)
from fravaer.models.flags import Flag, RuleSetting, RuleSettingChange
from fravaer.models.notifications import Notification, WeekEmail
from fravaer.models.outbox import OutboxTask
from fravaer.models.overviews import ClassMonthComment, MonthlyOverviewNotice
from fravaer.models.people import (
    Enrollment,
    Group,
    Guardian,
    Municipality,
    NonSchoolDay,
    Pupil,
    School,
    SchoolYear,
    StaffRole,
    TeachingAssignment,
    User,
)
from fravaer.models.rollups import ALL_GRADES, MonthlyRollup
from fravaer.models.submissions import RegisterTaken, SubmissionKey

__all__ = [
    "ALL_GRADES",
    "MonthlyRollup",
    "AbsenceReason",
    "AbsenceRecord",
    "AbsenceRecordChange",
    "AbsenceRecordQuerySet",
    "ClassMonthComment",
    "ContactLog",
    "Enrollment",
    "Flag",
    "Notification",
    "RegisterTaken",
    "RuleSetting",
    "RuleSettingChange",
    "Group",
    "Guardian",
    "MonthlyOverviewNotice",
    "Municipality",
    "NonSchoolDay",
    "OutboxTask",
    "Pupil",
    "School",
    "SchoolYear",
    "StaffRole",
    "SubmissionKey",
    "TeachingAssignment",
    "User",
    "WeekEmail",
]
