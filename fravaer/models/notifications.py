"""The inbox: one message per person about flags a scan raised or news about a case."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fravaer.models.people import Pupil, User


class Notification(models.Model):
    """One message in one person's inbox: the flags one scan raised that reach this
    person (`kind="flag"`, the flags' ids in `flag_ids`), or news about a case (a
    level change, a deadline soon or passed, an owner assigned) written by the cases
    app with a short text and a link. The e-mail about it carries no pupil details.

    A scan writes one message per person, however many flags it raised for them: a
    contact teacher after a first import gets one message listing twelve flags, not
    twelve messages, and a nightly scan that raises one flag gets one message about
    that flag. The flags are listed by id rather than linked one row each: a first
    scan of a municipality raises some 100 000 flags for some 200 000 person-flag
    pairs, and one message per person keeps the inbox readable and the scan's writes
    to the flags themselves. A flag deleted later (with its pupil) drops out of the
    list when it is shown."""

    class Kind(models.TextChoices):
        FLAG = "flag", _("Varsel")
        CASE = "case", _("Sak")
        DEADLINE = "deadline", _("Frist")
        OVERVIEW = "overview", _("Månedsoversikt")

    # No index of its own: `notification_user_read_idx` leads with the user; the pupil
    # (case messages only) is indexed where set.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.FLAG, db_default=Kind.FLAG
    )
    # Flag messages: the ids of the flags, in id order (a pupil's flags together).
    flag_ids = models.JSONField(default=list, blank=True, db_default=[])
    pupil = models.ForeignKey(
        Pupil, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    # Case messages: a short text without health details, and the page it is about.
    text = models.CharField(max_length=300, blank=True, default="", db_default="")
    link = models.CharField(max_length=200, blank=True, default="", db_default="")
    # Makes a message idempotent: "deadline:12:soon" is written once per user.
    key = models.CharField(max_length=100, blank=True, default="", db_default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("varsling")
        verbose_name_plural = _("varslinger")
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_read_idx"),
            models.Index(
                fields=["pupil"], condition=Q(pupil__isnull=False), name="notification_pupil_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notification_one_per_user_key"
            ),
            models.CheckConstraint(
                condition=(Q(kind="flag") & ~Q(flag_ids=[])) | (~Q(kind="flag") & ~Q(text="")),
                name="notification_flags_or_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.text or self.flag_ids}"

    @property
    def flag_count(self) -> int:
        return len(self.flag_ids) if self.kind == self.Kind.FLAG else 0


class WeekEmail(models.Model):
    """The Friday e-mail with a link to the contact teacher's week, sent to one person
    for one week (`week`, its Monday): at most once, whatever retries and second beats
    do (`weekemail_one_per_week`, `fravaer.actions.week.send_week_emails`)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(_("uke"))
    sent_at = models.DateTimeField(_("sendt"))

    class Meta:
        verbose_name = _("ukeoppsummering på e-post")
        verbose_name_plural = _("ukeoppsummeringer på e-post")
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="weekemail_one_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week}"
