"""The monthly rollup: figures per school, month and grade that the nightly job keeps
(`fravaer.actions.rollups.recompute_rollups`), so that the municipality's overview
reads a small table instead of the raw records.

A row is a generic keyed figure: each app contributes its own metrics through
`settings.ROLLUP_CONTRIBUTORS` (`fravaer.rollups`), and no row names a pupil.
`pupils` is how many distinct pupils stand behind the figure, for the small-number
suppression of the pages that show it (`fravaer.suppression`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fravaer.models.people import School

# `grade` of a figure that is not broken down by grade.
ALL_GRADES = 0


class MonthlyRollup(models.Model):
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="rollups", verbose_name=_("skole")
    )
    # The first day of the month.
    month = models.DateField(_("måned"))
    grade = models.PositiveSmallIntegerField(_("trinn"), default=ALL_GRADES)
    metric = models.CharField(max_length=40)
    key = models.CharField(max_length=40, blank=True)
    value = models.BigIntegerField(default=0)
    # The denominator when the figure is a rate (the school lessons behind an absence
    # rate), else 0: a rate is one row, its numerator and its denominator together.
    base = models.BigIntegerField(default=0)
    pupils = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["school", "month", "metric", "grade", "key"]
        verbose_name = _("månedstall")
        verbose_name_plural = _("månedstall")
        indexes = [models.Index(fields=["month", "metric"], name="rollup_month_metric_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "month", "grade", "metric", "key"], name="rollup_one_per_cell"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="rollup_month_first_day"),
            models.CheckConstraint(condition=Q(grade__lte=10), name="rollup_grade_0_to_10"),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.month:%Y-%m} {self.metric}/{self.key} {self.grade}"
