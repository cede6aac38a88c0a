"""Absence records, their reasons and history, and the contact log."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from fravaer.models.people import Guardian, Municipality, Pupil, User

# Common subjects of the Norwegian curriculum (LK20), offered as suggestions; the
# subject of a record stays free text.
SUBJECTS = (
    "Norsk",
    "Matematikk",
    "Engelsk",
    "Naturfag",
    "Samfunnsfag",
    "KRLE",
    "Kroppsøving",
    "Musikk",
    "Kunst og håndverk",
    "Mat og helse",
    "Arbeidslivsfag",
    "Valgfag",
    "Fremmedspråk",
    "Utdanningsvalg",
)


class AbsenceReason(models.Model):
    """The municipality's configurable list of reasons. Codes are stable: imports,
    rules and statistics use them; names may change."""

    ILLNESS = "illness"
    LEAVE = "leave"
    OTHER = "other"
    UNKNOWN = "unknown"
    DEFAULTS = (
        # code, bokmål, nynorsk, English, order
        (ILLNESS, "Sykdom", "Sjukdom", "Illness", 10),
        (LEAVE, "Innvilget permisjon", "Innvilga permisjon", "Leave granted", 20),
        (OTHER, "Annet dokumentert", "Anna dokumentert", "Other documented", 30),
        (UNKNOWN, "Ukjent", "Ukjend", "Unknown", 40),
    )

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="absence_reasons"
    )
    code = models.SlugField(_("kode"), max_length=30)
    name = models.CharField(_("navn"), max_length=100)
    name_nn = models.CharField(_("navn (nynorsk)"), max_length=100, blank=True)
    name_en = models.CharField(_("navn (engelsk)"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("rekkefølge"), default=100)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("fraværsårsak")
        verbose_name_plural = _("fraværsårsaker")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="absencereason_unique_code"
            ),
            # Imports and forms fall back on these codes; they cannot be retired.
            models.CheckConstraint(
                condition=Q(active=True) | ~Q(code__in=["illness", "leave", "other", "unknown"]),
                name="absencereason_defaults_stay_active",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        language = get_language() or "nb"
        if language.startswith("en") and self.name_en:
            return self.name_en
        if language.startswith("nn") and self.name_nn:
            return self.name_nn
        return self.name


class AbsenceRecordQuerySet(models.QuerySet["AbsenceRecord"]):
    def current(self) -> AbsenceRecordQuerySet:
        """Records not removed."""
        return self.filter(deleted_at__isnull=True)


class AbsenceRecord(models.Model):
    class Kind(models.TextChoices):
        DAY = "day", _("Hele dagen")
        LESSON = "lesson", _("Timefravær")
        LATE = "late", _("Forsentkomming")

    pupil = models.ForeignKey(
        Pupil, on_delete=models.PROTECT, related_name="absence_records", verbose_name=_("elev")
    )
    date = models.DateField(_("dato"))
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    lessons = models.PositiveSmallIntegerField(_("antall timer"), null=True, blank=True)
    minutes_late = models.PositiveSmallIntegerField(_("minutter for sent"), null=True, blank=True)
    subject = models.CharField(_("fag"), max_length=100, blank=True)
    documented = models.BooleanField(_("dokumentert"), default=False)
    reason = models.ForeignKey(
        AbsenceReason, on_delete=models.PROTECT, related_name="+", verbose_name=_("årsak")
    )
    note = models.CharField(_("merknad"), max_length=500, blank=True)
    registered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("registrert av")
    )
    registered_at = models.DateTimeField(_("registrert"))
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = AbsenceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "kind"]
        verbose_name = _("fraværsregistrering")
        verbose_name_plural = _("fraværsregistreringer")
        indexes = [models.Index(fields=["pupil", "date"], name="absence_pupil_date_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil", "date"],
                condition=Q(kind="day", deleted_at__isnull=True),
                name="absence_one_day_record_per_pupil_date",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["day", "lesson", "late"]), name="absence_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="lesson") | Q(lessons__gt=0),
                name="absence_lessons_positive_for_lesson",
            ),
            models.CheckConstraint(
                condition=Q(kind="lesson") | Q(lessons__isnull=True),
                name="absence_lessons_only_for_lesson",
            ),
            models.CheckConstraint(
                condition=Q(kind="late") | Q(minutes_late__isnull=True),
                name="absence_minutes_only_for_late",
            ),
            # "No date in the future": the record's date cannot lie after the moment it
            # was registered (a deterministic form of "not after today").
            models.CheckConstraint(
                condition=Q(date__lte=TruncDate("registered_at")),
                name="absence_date_not_in_future",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} {self.date:%d.%m.%Y} {self.get_kind_display()}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    def absent_lessons(self, lessons_per_day: int) -> int:
        if self.kind == self.Kind.DAY:
            return lessons_per_day
        if self.kind == self.Kind.LESSON:
            return self.lessons or 0
        return 0

    def summary(self) -> str:
        if self.kind == self.Kind.LESSON:
            n = self.lessons or 0
            text = ngettext("%(n)s time", "%(n)s timer", n) % {"n": n}
            return f"{text} {self.subject}".strip()
        if self.kind == self.Kind.LATE:
            if self.minutes_late:
                return _("For sent, %(m)s min") % {"m": self.minutes_late}
            return str(_("For sent"))
        return str(_("Hele dagen"))


class AbsenceRecordChange(models.Model):
    """Append-only history of an absence record: who created, corrected or removed
    it, when, and what it said before."""

    class Action(models.TextChoices):
        CREATED = "created", _("Registrert")
        UPDATED = "updated", _("Endret")
        DELETED = "deleted", _("Slettet")

    record = models.ForeignKey(AbsenceRecord, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=10, choices=Action.choices)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    before = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("endring av fravær")
        verbose_name_plural = _("endringer av fravær")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%d.%m.%Y %H:%M}"


class ContactLog(models.Model):
    """Every contact with the home or the pupil about absence."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Telefon")
        MEETING = "meeting", _("Møte")
        MESSAGE = "message", _("Melding")
        EMAIL = "email", _("E-post")

    class Counterpart(models.TextChoices):
        GUARDIAN = "guardian", _("Foresatte")
        PUPIL = "pupil", _("Eleven")
        BOTH = "both", _("Elev og foresatte")

    class Outcome(models.TextChoices):
        CLARIFIED = "clarified", _("Avklart")
        NO_ANSWER = "no_answer", _("Fikk ikke svar")
        FOLLOW_UP = "follow_up", _("Må følges opp")

    # Who counts as the home.
    HOME = (Counterpart.GUARDIAN, Counterpart.BOTH)
    # Set by `log_contact`: the undocumented-absence flags this unanswered attempt
    # handed over to the leaders and the team (not stored).
    handed_over: list[int] = []
    # Set by `log_contact`: how many undocumented flags this contact settled.
    settled: int = 0

    pupil = models.ForeignKey(
        Pupil, on_delete=models.PROTECT, related_name="contact_logs", verbose_name=_("elev")
    )
    contacted_at = models.DateTimeField(_("tidspunkt"))
    channel = models.CharField(_("kanal"), max_length=10, choices=Channel.choices)
    counterpart = models.CharField(_("med hvem"), max_length=10, choices=Counterpart.choices)
    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("foresatt"),
    )
    summary = models.TextField(_("hva ble sagt"), max_length=4000)
    outcome = models.CharField(_("utfall"), max_length=10, choices=Outcome.choices)
    logged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("logget av")
    )
    logged_at = models.DateTimeField(_("logget"), default=timezone.now)

    class Meta:
        ordering = ["-contacted_at"]
        verbose_name = _("kontaktlogg")
        verbose_name_plural = _("kontaktlogg")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["phone", "meeting", "message", "email"]),
                name="contactlog_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(counterpart__in=["guardian", "pupil", "both"]),
                name="contactlog_counterpart_valid",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["clarified", "no_answer", "follow_up"]),
                name="contactlog_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} {self.contacted_at:%d.%m.%Y}"

    @classmethod
    def reaching_home(cls) -> Q:
        """Contacts that answer undocumented absence ("contact home today"): with the
        guardians, and somebody answered. A call nobody took leaves the absence
        unanswered; "must be followed up" was a conversation, so it counts."""
        return Q(counterpart__in=cls.HOME) & ~Q(outcome=cls.Outcome.NO_ANSWER)

    @classmethod
    def answering(cls, *, pupil, day) -> models.QuerySet[ContactLog]:
        """The contacts that answer a pupil's undocumented absence on `day`: they
        reached the home on or after it. `pupil` and `day` are usually `OuterRef`s (a
        record's pupil and date, a flag's pupil and start); the scan, the contact page
        and a flag's cleared cause all apply this one rule."""
        return cls.objects.filter(cls.reaching_home(), pupil_id=pupil, contacted_at__date__gte=day)

    def reached_home(self) -> bool:
        return self.counterpart in self.HOME and self.outcome != self.Outcome.NO_ANSWER

    @classmethod
    def tried_home_unanswered_q(cls) -> Q:
        """The contacts of `tried_home_unanswered`, for a query."""
        return Q(counterpart__in=cls.HOME, outcome=cls.Outcome.NO_ANSWER)

    def tried_home_unanswered(self) -> bool:
        """The school tried the guardians and nobody answered: leaders or the team take
        over the undocumented absence (`hand_over_unanswered`)."""
        return self.counterpart in self.HOME and self.outcome == self.Outcome.NO_ANSWER
