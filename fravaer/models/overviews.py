"""What the leaders' monthly overview keeps: the contact teacher's comment per class
and month ("årsaker/begrunnelser og bekymring kommenteres", seed 000 p. 10), and the
marker that the month's overview was announced."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fravaer.models.people import Group, School, User

COMMENT_MAX_LENGTH = 4000


class ClassMonthComment(models.Model):
    """One comment per class and month (`month` is the month's first day). Editing it
    keeps who wrote it first and who changed it last, and when."""

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="month_comments", verbose_name=_("klasse")
    )
    month = models.DateField(_("måned"))
    text = models.TextField(_("kommentar"), max_length=COMMENT_MAX_LENGTH)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    author = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("skrevet av")
    )
    updated_at = models.DateTimeField(_("sist endret"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["month", "group"]
        verbose_name = _("klassekommentar")
        verbose_name_plural = _("klassekommentarer")
        constraints = [
            models.UniqueConstraint(fields=["group", "month"], name="classcomment_one_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.month:%Y-%m}"


class MonthlyOverviewNotice(models.Model):
    """The school's leaders and contact teachers were told about `month`'s overview
    (`fravaer.actions.overviews.announce_monthly_overviews`): the row is written in
    the same transaction as the messages, so a retry or a second beat sends nothing."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "month"], name="overviewnotice_one_per_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.month:%Y-%m}"
