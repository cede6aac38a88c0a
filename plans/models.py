"""The cooperation agreement (samarbeidsavtale) and its measure plan (tiltaksplan), the
pupil's red/yellow/green timetable, and the evaluations of a plan (seed 000 pp. 11–16,
seed 002).

`plans` depends on `cases` and never the reverse. A case has at most one agreement;
the agreement holds its plan as versions. A version is drafted, then agreed (date and
participants recorded); an agreed version is never edited again: changing it drafts
the next version (`PlanVersion.based_on`), and a measure carried into it keeps a link
to the measure it continues (`Measure.continues`), so an evaluation's "did not work"
follows it. Evaluations judge one agreed version.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Level, Meeting, Service
from fravaer.models import Guardian

User = settings.AUTH_USER_MODEL


class Arena(models.TextChoices):
    """The four arenas of the measure circle (tiltakssirkelen, seed 000 p. 12)."""

    SCHOOL = "school", _("Skole")
    HOME = "home", _("Hjem")
    LEISURE = "leisure", _("Fritid")
    PUPIL = "pupil", _("Eleven selv")


class Agreement(models.Model):
    """The case's cooperation agreement: from nivå 1 on, everything is documented here
    (§ 10-6). Its content lives in its versions."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="agreement")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("samarbeidsavtale")
        verbose_name_plural = _("samarbeidsavtaler")

    def __str__(self) -> str:
        return f"{self.case_id}"


class PlanVersionQuerySet(models.QuerySet["PlanVersion"]):
    def in_force(self) -> PlanVersionQuerySet:
        """The agreed version in force (at most one per agreement)."""
        return self.filter(status=PlanVersion.Status.AGREED)

    def ever_agreed(self) -> PlanVersionQuerySet:
        """Versions that were agreed: the one in force and those it replaced."""
        return self.filter(status__in=[PlanVersion.Status.AGREED, PlanVersion.Status.SUPERSEDED])


class PlanVersion(models.Model):
    """One version of the agreement and its measure plan."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Utkast")
        AGREED = "agreed", _("Avtalt")
        # An agreed version followed by a newer agreed one; still readable.
        SUPERSEDED = "superseded", _("Erstattet")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The case's level when the version was drafted (plan A, plan B, ...).
    level = models.CharField(max_length=2, choices=Level.choices)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Why the plan changed (from an evaluation's outcome, or the owner's words).
    change_reason = models.TextField(_("hvorfor planen endres"), blank=True)

    long_term_goal = models.TextField(_("langsiktig mål"), blank=True)
    # The contact arrangement with the home: who, how, how often.
    contact_who = models.CharField(_("kontaktperson for hjemmet"), max_length=200, blank=True)
    contact_how = models.CharField(_("hvordan"), max_length=200, blank=True)
    contact_how_often = models.CharField(_("hvor ofte"), max_length=200, blank=True)
    evaluation_date = models.DateField(_("evalueringsdato"), null=True, blank=True)
    # The safe-environment reference (§ 12-5 aktivitetsplan), when the case has one.
    activity_plan_ref = models.CharField(_("aktivitetsplan (§ 12-5)"), max_length=200, blank=True)
    # How the attendance plan's time grows, when the plan has one (free text beside
    # the days and steps).
    attendance_note = models.TextField(_("oppmøteplan, merknad"), blank=True)

    # Agreeing: when, and who took part.
    agreed_on = models.DateField(_("avtalt dato"), null=True, blank=True)
    agreed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    pupil_took_part = models.BooleanField(_("eleven deltok"), default=False)
    guardians = models.ManyToManyField(
        Guardian, blank=True, related_name="+", verbose_name=_("foresatte som deltok")
    )
    staff = models.ManyToManyField(
        User, blank=True, related_name="+", verbose_name=_("ansatte som deltok")
    )
    others = models.CharField(_("andre deltakere"), max_length=300, blank=True)

    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    # Optimistic locking for concurrent edits of a draft.
    revision = models.PositiveIntegerField(default=1)

    objects = PlanVersionQuerySet.as_manager()

    class Meta:
        ordering = ["agreement", "number"]
        verbose_name = _("versjon av tiltaksplanen")
        verbose_name_plural = _("versjoner av tiltaksplanen")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "number"], name="planversion_number_unique"
            ),
            # At most one draft and one agreed (in force) version at a time.
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status="draft"),
                name="planversion_one_draft",
            ),
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status="agreed"),
                name="planversion_one_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class Goal(models.Model):
    """A short-term goal: concrete, with a target date."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="goals")
    text = models.TextField(_("delmål"))
    target_date = models.DateField(_("måldato"))
    order = models.PositiveSmallIntegerField(default=0)
    # The goal in the version before that this one continues, if any.
    continues = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("delmål")
        verbose_name_plural = _("delmål")

    def __str__(self) -> str:
        return self.text[:50]


class Measure(models.Model):
    """A measure: what, who is responsible, on which arena, when and how often, where,
    from and to."""

    class Responsible(models.TextChoices):
        PUPIL = "pupil", _("Eleven")
        GUARDIANS = "guardians", _("Foresatte")
        STAFF = "staff", _("En ansatt")
        SERVICE = "service", _("En tjeneste (med samtykke)")

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="measures")
    what = models.TextField(_("tiltak"))
    responsible = models.CharField(_("ansvarlig"), max_length=10, choices=Responsible.choices)
    responsible_staff = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ansvarlig ansatt"),
    )
    # A service taking part under a consent in force (`cases.Consent`).
    responsible_service = models.CharField(
        _("ansvarlig tjeneste"), max_length=20, choices=Service.choices, blank=True
    )
    arena = models.CharField(_("arena"), max_length=10, choices=Arena.choices)
    when = models.CharField(_("når og hvor ofte"), max_length=200, blank=True)
    where = models.CharField(_("hvor"), max_length=200, blank=True)
    starts_on = models.DateField(_("fra"))
    ends_on = models.DateField(_("til"), null=True, blank=True)
    # A temporary special arrangement (a shorter day, a separate room, ...) needs a
    # tapering plan (nedtrappingsplan, seed 000 p. 12): `steps`.
    special_arrangement = models.BooleanField(_("midlertidig særordning"), default=False)
    order = models.PositiveSmallIntegerField(default=0)
    # The measure in an earlier version that this one continues.
    continues = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Why a measure an evaluation found not working is used again ("eleven skal ikke
    # utsettes igjen og igjen for tiltak som ikke virker").
    reuse_reason = models.TextField(_("hvorfor tiltaket brukes igjen"), blank=True)

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("tiltak")
        verbose_name_plural = _("tiltak")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="measure_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.what[:50]


class TaperingStep(models.Model):
    """A step of a special arrangement's tapering plan: from this date, this."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="steps")
    starts_on = models.DateField(_("fra dato"))
    description = models.CharField(_("trinn"), max_length=300)

    class Meta:
        ordering = ["measure", "starts_on", "pk"]
        verbose_name = _("trinn i nedtrappingsplanen")
        verbose_name_plural = _("trinn i nedtrappingsplanen")

    def __str__(self) -> str:
        return f"{self.starts_on:%d.%m.%Y} {self.description[:40]}"


class AttendanceDay(models.Model):
    """The attendance plan (oppmøteplan): for a weekday, when and where the pupil
    starts and who meets them."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Mandag")
        TUESDAY = 1, _("Tirsdag")
        WEDNESDAY = 2, _("Onsdag")
        THURSDAY = 3, _("Torsdag")
        FRIDAY = 4, _("Fredag")

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="attendance_days"
    )
    weekday = models.PositiveSmallIntegerField(_("ukedag"), choices=Weekday.choices)
    starts_at = models.TimeField(_("starter kl."))
    place = models.CharField(_("sted"), max_length=200)
    met_by = models.CharField(_("møtes av"), max_length=200, blank=True)

    class Meta:
        ordering = ["version", "weekday"]
        verbose_name = _("dag i oppmøteplanen")
        verbose_name_plural = _("dager i oppmøteplanen")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "weekday"], name="attendanceday_one_per_weekday"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M}"


class AttendanceStep(models.Model):
    """How the attendance plan's time grows week by week: from this date, this."""

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="attendance_steps"
    )
    starts_on = models.DateField(_("fra uke (dato)"))
    description = models.CharField(_("tid på skolen"), max_length=300)

    class Meta:
        ordering = ["version", "starts_on", "pk"]
        verbose_name = _("trinn i oppmøteplanen")
        verbose_name_plural = _("trinn i oppmøteplanen")

    def __str__(self) -> str:
        return f"{self.starts_on:%d.%m.%Y} {self.description[:40]}"


class TimetableSurvey(models.Model):
    """The red/yellow/green timetable (seed 002): the pupil marks each lesson of an
    ordinary week as easy, mixed or hard, and names who and what makes it so. A case
    may have several over time; the newest is shown."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timetable_surveys")
    filled_on = models.DateField(_("fylt ut dato"))
    note = models.TextField(_("merknad"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "-filled_on", "-pk"]
        verbose_name = _("timeplan (rødt/gult/grønt)")
        verbose_name_plural = _("timeplaner (rødt/gult/grønt)")

    def __str__(self) -> str:
        return f"{self.case_id} {self.filled_on:%d.%m.%Y}"


class LessonRating(models.Model):
    class Rating(models.TextChoices):
        EASY = "green", _("Grønt – lett")
        MIXED = "yellow", _("Gult – både og")
        HARD = "red", _("Rødt – vanskelig")

    survey = models.ForeignKey(TimetableSurvey, on_delete=models.CASCADE, related_name="ratings")
    weekday = models.PositiveSmallIntegerField(choices=AttendanceDay.Weekday.choices)
    lesson = models.PositiveSmallIntegerField(_("time"))
    subject = models.CharField(_("fag"), max_length=100, blank=True)
    rating = models.CharField(_("vurdering"), max_length=6, choices=Rating.choices)
    # Who and what makes the lesson easy or hard, in the pupil's words.
    why = models.CharField(_("hvem og hva"), max_length=300, blank=True)

    class Meta:
        ordering = ["survey", "weekday", "lesson"]
        verbose_name = _("time i timeplanen")
        verbose_name_plural = _("timer i timeplanen")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "weekday", "lesson"], name="lessonrating_one_per_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday}/{self.lesson} {self.rating}"


class Evaluation(models.Model):
    """An evaluation of an agreed version (a meeting or a phone call), ending in one of
    seed 000 p. 14's three outcomes."""

    class Form(models.TextChoices):
        MEETING = "meeting", _("Møte")
        PHONE = "phone", _("Telefon")

    class Outcome(models.TextChoices):
        # (1) The measures worked: close the case.
        CLOSE = "close", _("Tiltakene virket: avslutt saken")
        # (2) Partly working: the same plan with a new evaluation date ...
        CONTINUE = "continue", _("Delvis: fortsett samme plan med ny evalueringsdato")
        # ... or new measures on the same level (a new version).
        REVISE = "revise", _("Delvis: nye tiltak på samme nivå (ny versjon)")
        # (3) Not working: the next level, under the staircase's consent rules.
        ESCALATE = "escalate", _("Tiltakene virket ikke: neste nivå")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evaluations")
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="evaluations")
    held_on = models.DateField(_("dato"))
    form = models.CharField(_("form"), max_length=10, choices=Form.choices)
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pupil_view = models.TextField(_("elevens stemme"))
    guardian_view = models.TextField(_("foresattes syn"), blank=True)
    outcome = models.CharField(_("utfall"), max_length=10, choices=Outcome.choices)
    outcome_reason = models.TextField(_("begrunnelse"))
    # The new evaluation date when the outcome is CONTINUE.
    next_evaluation_date = models.DateField(_("ny evalueringsdato"), null=True, blank=True)
    # The attendance effect as computed when recorded (before/after periods, their
    # figures and shares), kept so the document shows what the meeting saw.
    effect = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "held_on", "pk"]
        verbose_name = _("evaluering")
        verbose_name_plural = _("evalueringer")

    def __str__(self) -> str:
        return f"{self.case_id} {self.held_on:%d.%m.%Y}"


class GoalReview(models.Model):
    class Result(models.TextChoices):
        REACHED = "reached", _("Nådd")
        PARTLY = "partly", _("Delvis nådd")
        NOT_REACHED = "not_reached", _("Ikke nådd")

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="goal_reviews"
    )
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="reviews")
    result = models.CharField(_("resultat"), max_length=12, choices=Result.choices)
    why = models.CharField(_("kort begrunnelse"), max_length=300, blank=True)

    class Meta:
        ordering = ["evaluation", "goal__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "goal"], name="goalreview_once"),
        ]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.result}"


class MeasureReview(models.Model):
    class Result(models.TextChoices):
        WORKED = "worked", _("Virket")
        PARTLY = "partly", _("Virket delvis")
        DID_NOT_WORK = "did_not_work", _("Virket ikke")
        NOT_DONE = "not_done", _("Ikke gjennomført")

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="measure_reviews"
    )
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="reviews")
    result = models.CharField(_("resultat"), max_length=12, choices=Result.choices)
    why = models.CharField(_("kort begrunnelse"), max_length=300, blank=True)

    class Meta:
        ordering = ["evaluation", "measure__order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "measure"], name="measurereview_once"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} {self.result}"
