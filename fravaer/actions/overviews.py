"""Writes of the leaders' monthly overview: the class comment, and the message on the
first school day of a month that last month's overview is ready."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from fravaer.models import (
    ClassMonthComment,
    Group,
    MonthlyOverviewNotice,
    Notification,
    School,
    StaffRole,
    TeachingAssignment,
    User,
)
from fravaer.models.overviews import COMMENT_MAX_LENGTH
from fravaer.overviews import month_end, month_of, previous_month
from fravaer.schooldays import SchoolCalendar

# Inbox texts are msgids, translated when the inbox shows them (`inbox.html`).
OVERVIEW_READY = gettext_noop("Månedsoversikten for forrige måned er klar.")
COMMENTS_DUE = gettext_noop("Skriv kommentaren til klassens fravær for forrige måned.")


class OverviewRuleError(ValidationError):
    """A write of the monthly overview was refused; `code` names the rule."""


def save_class_comment(
    group: Group, *, month: dt.date, text: str, by: User, version: int | None = None
) -> ClassMonthComment:
    """Write or change the class's comment for `month`. `version` is the version the
    writer saw (None: they saw none): a comment changed meanwhile by someone else is
    refused, never overwritten."""
    text = text.strip()
    if not text:
        raise OverviewRuleError(_("Skriv en kommentar."), code="comment_required")
    if len(text) > COMMENT_MAX_LENGTH:
        raise OverviewRuleError(
            _("Kommentaren kan være på høyst %(n)s tegn.") % {"n": COMMENT_MAX_LENGTH},
            code="comment_too_long",
        )
    month = month_of(month)
    if not (group.school_year.start <= month_end(month) and month <= group.school_year.end):
        raise OverviewRuleError(
            _("Måneden er ikke i klassens skoleår."), code="comment_month_outside_year"
        )
    now = timezone.now()
    with transaction.atomic():
        if version is None:
            try:
                with transaction.atomic():
                    return ClassMonthComment.objects.create(
                        group=group,
                        month=month,
                        text=text,
                        created_by=by,
                        created_at=now,
                        author=by,
                        updated_at=now,
                    )
            except IntegrityError:
                raise _changed_meanwhile() from None
        updated = ClassMonthComment.objects.filter(
            group=group, month=month, version=version
        ).update(text=text, author=by, updated_at=now, version=F("version") + 1)
        if not updated:
            raise _changed_meanwhile()
        return ClassMonthComment.objects.get(group=group, month=month)


def _changed_meanwhile() -> OverviewRuleError:
    return OverviewRuleError(
        _("Noen andre har endret kommentaren mens du skrev. Les den nye teksten og lagre på nytt."),
        code="comment_changed",
    )


@dataclass
class Announced:
    schools: int = 0
    messages: int = 0


def announce_monthly_overviews(today: dt.date, now: dt.datetime) -> Announced:
    """On a school's first school day of a month: its leaders hear that last month's
    overview is ready, and its contact teachers that their class comments are due.
    Once per school and month, whatever the retries (`MonthlyOverviewNotice`, written
    in the same transaction as the messages, and the messages' unique keys). A month
    without school days at the school (July) has no overview to announce."""
    month = month_of(today)
    last = previous_month(month)
    result = Announced()
    schools = School.objects.exclude(
        pk__in=MonthlyOverviewNotice.objects.filter(month=last).values("school_id")
    )
    for school in schools:
        calendar = SchoolCalendar.for_school(school.pk, last, today)
        if calendar.school_day_on_or_after(month) != today:
            continue
        if not calendar.count_school_days(last, month_end(last)):
            continue
        with transaction.atomic():
            _, created = MonthlyOverviewNotice.objects.get_or_create(
                school=school, month=last, defaults={"sent_at": now}
            )
            if not created:
                continue
            result.schools += 1
            result.messages += _send_notices(school, last, today, now)
    return result


def _send_notices(school: School, last: dt.date, today: dt.date, now: dt.datetime) -> int:
    from fravaer.actions.scan_writes import queue_notification_emails

    key_month = f"{last:%Y-%m}"
    overview_link = reverse("fravaer:monthly_overview_month", args=[school.pk, key_month])
    rows = [
        Notification(
            user_id=user_id,
            kind=Notification.Kind.OVERVIEW,
            text=OVERVIEW_READY,
            link=overview_link,
            key=f"overview:{school.pk}:{key_month}",
            created_at=now,
        )
        for user_id in set(
            StaffRole.objects.filter(school=school, role=StaffRole.Role.SCHOOL_LEADER).values_list(
                "user_id", flat=True
            )
        )
    ]
    groups_last_month = Group.objects.filter(school=school).filter(Group.current_q(month_end(last)))
    contacts = (
        TeachingAssignment.objects.active_on(today)
        .filter(kind=TeachingAssignment.Kind.CONTACT, group__in=groups_last_month)
        .values_list("user_id", "group_id")
        .distinct()
    )
    rows += [
        Notification(
            user_id=user_id,
            kind=Notification.Kind.OVERVIEW,
            text=COMMENTS_DUE,
            link=reverse("fravaer:class_comment", args=[group_id, key_month]),
            key=f"comment:{group_id}:{key_month}",
            created_at=now,
        )
        for user_id, group_id in contacts
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    per_user: dict[int, int] = {}
    for row in rows:
        per_user[row.user_id] = per_user.get(row.user_id, 0) + 1
    if per_user:
        queue_notification_emails(per_user)
    return len(rows)
