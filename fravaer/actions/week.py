"""The contact teacher's week by e-mail: the per-user choice, and the Friday e-mail
with a link to the week (`fravaer.views.week`). The e-mail carries a link only: no
pupil, figure or class (`send_week_emails`)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from fravaer.models import TeachingAssignment, User, WeekEmail

logger = logging.getLogger(__name__)


def set_week_email(user: User, *, enabled: bool) -> bool:
    """Turn the Friday e-mail on or off for `user`; returns whether it changed."""
    if user.week_email == enabled:
        return False
    user.week_email = enabled
    user.save(update_fields=["week_email"])
    return True


def week_email_recipients(day: dt.date):
    """Who gets the Friday e-mail on `day`: active users who chose it, have an e-mail
    address and are contact teacher of a class that day."""
    contact = TeachingAssignment.objects.active_on(day).filter(kind=TeachingAssignment.Kind.CONTACT)
    return (
        User.objects.filter(week_email=True, is_active=True, pk__in=contact.values("user_id"))
        .exclude(email="")
        .order_by("pk")
    )


def send_week_emails(day: dt.date, *, now: dt.datetime | None = None) -> int:
    """Send the Friday e-mail for the week of `day` to each recipient who has not had
    it for that week. Each e-mail is claimed by its `WeekEmail` row in the same
    transaction as the sending: a retry or a second beat finds the row and sends
    nothing, and a send that fails leaves no row, so the retry sends it. Returns how
    many were sent."""
    now = now or timezone.now()
    monday = day - dt.timedelta(days=day.weekday())
    year, number, _weekday = monday.isocalendar()
    link = f"{settings.SITE_URL}{reverse('week')}?uke={year}-W{number:02d}"
    sent = 0
    for user in week_email_recipients(day):
        with transaction.atomic():
            _row, created = WeekEmail.objects.get_or_create(
                user=user, week=monday, defaults={"sent_at": now}
            )
            if not created:
                continue
            with override(settings.LANGUAGE_CODE):
                subject = _("Fravær: uka di, uke %(n)s") % {"n": number}
                body = _(
                    "Oppsummeringen av uka i klassene dine er klar.\n\n"
                    "Logg inn for å se den: %(link)s\n\n"
                    "Av personvernhensyn står ingen detaljer i denne e-posten. Du kan slå av "
                    "denne e-posten under Innstillinger."
                ) % {"link": link}
            EmailMessage(subject, body, to=[user.email]).send()
            sent += 1
    logger.info("week e-mails sent: %s", sent)
    return sent
