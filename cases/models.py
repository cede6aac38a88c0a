"""The staircase (trappetrinnsmodellen): a case per pupil that moves through nivå 0, 1,
2A and 2B, with its events, conversations, meetings, mappings, consents, participants,
referrals, deadlines and the access log (seeds 000 p. 11–16 and 004).

Every change of state goes through `cases.actions`, which appends a `CaseEvent` in the
same transaction; the case page's timeline is built from those events.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from fravaer.models import Flag, Guardian, Municipality, Pupil, School, User


class Level(models.TextChoices):
    NIVA_0 = "0", _("Nivå 0 – undring")
    NIVA_1 = "1", _("Nivå 1 – iverksette tiltak")
    NIVA_2A = "2A", _("Nivå 2A – enkel tverrfaglig innsats")
    NIVA_2B = "2B", _("Nivå 2B – sammensatt situasjon")


class Service(models.TextChoices):
    """Services outside the school that may join a case, with consent (seed 004)."""

    PPT = "ppt", _("PPT")
    SCHOOL_NURSE = "school_nurse", _("Helsesykepleier")
    CHILD_WELFARE = "child_welfare", _("Barnevern")
    BUP = "bup", _("BUP")
    GP = "gp", _("Fastlege")
    FAMILY_TEAM = "family_team", _("Familieteam")
    SPECIALIST = "specialist", _("Spesialisthelsetjenesten")
    OTHER = "other", _("Annen tjeneste")


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.filter(status=Case.Status.OPEN)


class Case(models.Model):
    """One pupil's case at one school. At most one open case per pupil and school (a
    named constraint); nobody at another school sees it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Åpen")
        CLOSED = "closed", _("Avsluttet")

    class CloseReason(models.TextChoices):
        NOT_CONFIRMED = "not_confirmed", _("Bekymringen ble ikke bekreftet")
        MEASURES_WORKED = "measures_worked", _("Tiltakene virket")
        MOVED = "moved", _("Eleven har flyttet")
        OTHER = "other", _("Annet")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="cases")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="cases")
    level = models.CharField(_("nivå"), max_length=2, choices=Level.choices, default=Level.NIVA_0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    owner = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="owned_cases", verbose_name=_("saksansvarlig")
    )
    coordinator = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="coordinated_cases",
        verbose_name=_("stafettholder"),
    )
    concern = models.TextField(_("bekymringen"))
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    concern_defined_at = models.DateTimeField(null=True, blank=True)
    leaders_informed_at = models.DateTimeField(null=True, blank=True)
    # § 12-4/12-5: the safe-school-environment duty is involved; an aktivitetsplan is
    # needed beside the absence plan.
    environment_duty = models.BooleanField(_("aktivitetsplikten (§ 12-4) er utløst"), default=False)
    activity_plan_ref = models.CharField(
        _("referanse til aktivitetsplan (§ 12-5)"), max_length=200, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_reason = models.CharField(
        _("grunn til avslutning"), max_length=20, choices=CloseReason.choices, blank=True
    )
    close_text = models.TextField(_("utdyping"), blank=True)
    # The owner was reminded that the pupil, now 15, must consent too (once per case;
    # `cases.actions.consent.remind_pupil_consent`).
    pupil_consent_reminded_at = models.DateTimeField(null=True, blank=True)
    # Optimistic concurrency: every action updates `WHERE version = <what the user saw>`.
    version = models.PositiveIntegerField(default=1)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("sak")
        verbose_name_plural = _("saker")
        indexes = [models.Index(fields=["school", "status"], name="case_school_status_idx")]
        constraints = [
            # A case belongs to its school: a pupil who moves school gets a case of
            # their own at the new one, and the old school's case closes.
            models.UniqueConstraint(
                fields=["pupil", "school"],
                condition=Q(status="open"),
                name="case_one_open_per_pupil_school",
            ),
            models.CheckConstraint(
                condition=Q(level__in=["0", "1", "2A", "2B"]), name="case_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "closed"]), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | (Q(status="closed", closed_at__isnull=False) & ~Q(close_reason="")),
                name="case_closed_has_when_and_why",
            ),
            models.CheckConstraint(
                condition=~Q(close_reason="other") | ~Q(close_text=""),
                name="case_close_other_has_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil} ({self.get_level_display()})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def before_level_2(self) -> bool:
        """Nivå 0 or 1: the school's own follow-up, before other services join."""
        return self.level in (Level.NIVA_0, Level.NIVA_1)

    @property
    def has_active_referral(self) -> bool:
        """A referral to PPT is active (at most one is, `referral_one_active_per_service`);
        a new one is made only when none is. Reads `referrals.all()`, which the case
        page prefetches."""
        return any(r.ended_at is None for r in self.referrals.all())

    def can_reopen(self, now: dt.datetime) -> bool:
        return (
            self.status == self.Status.CLOSED
            and self.closed_at is not None
            and now - self.closed_at <= dt.timedelta(days=REOPEN_DAYS)
        )


# A case closed less than this many days ago is reopened instead of starting over.
REOPEN_DAYS = 90


class CaseEvent(models.Model):
    """Append-only: one row for every change of a case's state."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Sak opprettet")
        LEVEL_CHANGED = "level_changed", _("Nivå endret")
        OWNER_ASSIGNED = "owner_assigned", _("Saksansvarlig satt")
        COORDINATOR_ASSIGNED = "coordinator_assigned", _("Stafettholder satt")
        # The owner or coordinator no longer holds a role at the case's school.
        OWNER_LEFT = "owner_left", _("Saksansvarlig har ikke lenger rolle ved skolen")
        COORDINATOR_LEFT = "coordinator_left", _("Stafettholder har ikke lenger rolle ved skolen")
        LEADERS_INFORMED = "leaders_informed", _("Skoleledelsen orientert")
        CONVERSATION_LOGGED = "conversation_logged", _("Samtale registrert")
        MEETING_SCHEDULED = "meeting_scheduled", _("Møte satt opp")
        MEETING_HELD = "meeting_held", _("Møte holdt")
        MEETING_CANCELLED = "meeting_cancelled", _("Møte avlyst")
        MAPPING_RECORDED = "mapping_recorded", _("Kartlegging registrert")
        TASK_ASSIGNED = "task_assigned", _("Kartleggingsoppgave fordelt")
        TASK_DONE = "task_done", _("Kartleggingsoppgave utført")
        CONSENT_GIVEN = "consent_given", _("Samtykke gitt")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Samtykke trukket")
        REFERRAL_MADE = "referral_made", _("Henvist")
        REFERRAL_ENDED = "referral_ended", _("Henvisning avsluttet")
        ACCESS_GRANTED = "access_granted", _("Tilgang gitt")
        ACCESS_REVOKED = "access_revoked", _("Tilgang fjernet")
        PARTICIPANT_ADDED = "participant_added", _("Deltaker lagt til")
        PARTICIPANT_REMOVED = "participant_removed", _("Deltaker fjernet")
        FLAG_ATTACHED = "flag_attached", _("Varsel knyttet til saken")
        NOTE_ADDED = "note_added", _("Notat")
        ENVIRONMENT_DUTY = "environment_duty", _("Aktivitetsplikt registrert")
        DEADLINE_SET = "deadline_set", _("Frist satt")
        DEADLINE_MET = "deadline_met", _("Frist overholdt")
        # The measure plan (the `plans` app writes these on the case's timeline).
        PLAN_AGREED = "plan_agreed", _("Tiltaksplan avtalt")
        EVALUATION_RECORDED = "evaluation_recorded", _("Tiltaksplan evaluert")
        TIMETABLE_RECORDED = "timetable_recorded", _("Timeplan (rødt/gult/grønt) registrert")
        CLOSED = "closed", _("Sak avsluttet")
        REOPENED = "reopened", _("Sak gjenåpnet")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    level_from = models.CharField(max_length=2, blank=True)
    level_to = models.CharField(max_length=2, blank=True)
    # A short, human text for the timeline (a reason, a name); never health details
    # beyond what the case page itself shows.
    text = models.TextField(blank=True)
    # Ids of the rows the event is about: {"meeting": 3}, {"flag": 12}, ...
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("hendelse")
        verbose_name_plural = _("hendelser")
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%d.%m.%Y}"


class CaseFlag(models.Model):
    """A flag attached to a case: the case was opened from it, or it was raised while
    the case was open."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_flags")
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="case_links")
    attached_at = models.DateTimeField()

    class Meta:
        ordering = ["-attached_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "flag"], name="caseflag_one_per_case_flag"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.flag_id}"


class Conversation(models.Model):
    """A conversation with the pupil and/or guardians (nivå 0 undring, or later), with
    the open questions of seed 000 p. 15–16 answered in free text."""

    class With(models.TextChoices):
        PUPIL = "pupil", _("Eleven")
        GUARDIANS = "guardians", _("Foresatte")
        BOTH = "both", _("Eleven og foresatte")

    class Medium(models.TextChoices):
        MEETING = "meeting", _("Møte")
        PHONE = "phone", _("Telefon")
        VIDEO = "video", _("Video")
        OTHER = "other", _("Annet")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conversations")
    held_on = models.DateField(_("dato"))
    with_whom = models.CharField(_("samtale med"), max_length=10, choices=With.choices)
    medium = models.CharField(_("form"), max_length=10, choices=Medium.choices)
    # question key (cases.questions) → answer
    answers = models.JSONField(default=dict, blank=True)
    consulted_colleague = models.BooleanField(_("rådført meg med en kollega"), default=False)
    consulted_attendance_contact = models.BooleanField(
        _("rådført meg med nærværskontakten"), default=False
    )
    summary = models.TextField(_("oppsummering"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("samtale")
        verbose_name_plural = _("samtaler")
        constraints = [
            models.CheckConstraint(
                condition=Q(with_whom__in=["pupil", "guardians", "both"]),
                name="conversation_with_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_with_whom_display()} {self.held_on:%d.%m.%Y}"

    @property
    def pupil_answers(self) -> list:
        from cases.questions import PUPIL_QUESTIONS, answered

        return answered(PUPIL_QUESTIONS, self.answers)

    @property
    def guardian_answers(self) -> list:
        from cases.questions import CONVERSATION_QUESTIONS, GUARDIAN_QUESTIONS, answered

        # Answers to retired questions show here rather than vanish.
        return answered(GUARDIAN_QUESTIONS, self.answers, all_known=CONVERSATION_QUESTIONS)


class Meeting(models.Model):
    """A meeting in a case: the nivå 1 meeting with pupil and guardians, a 2A/2B team
    meeting, a follow-up. The pupil's own view is required when it is held."""

    class Kind(models.TextChoices):
        LEVEL1 = "level1", _("Møte med elev og foresatte (nivå 1)")
        MAPPING = "mapping", _("Kartleggingsmøte (nivå 2A/2B)")
        FOLLOW_UP = "follow_up", _("Oppfølgingsmøte")
        EVALUATION = "evaluation", _("Evalueringsmøte")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Planlagt")
        HELD = "held", _("Holdt")
        CANCELLED = "cancelled", _("Avlyst")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("type møte"), max_length=15, choices=Kind.choices)
    starts_at = models.DateTimeField(_("tidspunkt"))
    duration_minutes = models.PositiveSmallIntegerField(_("varighet (minutter)"), default=60)
    place = models.CharField(_("sted"), max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    # The case's level when the meeting was set up ('' for meetings set up before it
    # was kept): a case that moves up leaves a lower level's planned meeting behind.
    level = models.CharField(max_length=2, choices=Level.choices, blank=True)
    pupil_attends = models.BooleanField(_("eleven deltar"), default=True)
    guardians = models.ManyToManyField(
        Guardian, blank=True, related_name="case_meetings", verbose_name=_("foresatte")
    )
    staff = models.ManyToManyField(
        User, blank=True, related_name="case_meetings", verbose_name=_("ansatte")
    )
    others = models.CharField(_("andre deltakere"), max_length=300, blank=True)
    pupil_view = models.TextField(_("elevens stemme"), blank=True)
    minutes = models.TextField(_("referat"), blank=True)
    cancel_reason = models.CharField(_("grunn til avlysning"), max_length=300, blank=True)
    scheduled_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField()
    held_recorded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("møte")
        verbose_name_plural = _("møter")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "held", "cancelled"]),
                name="meeting_status_valid",
            ),
            # "Husk alltid elevens stemme": a held meeting records the pupil's view.
            models.CheckConstraint(
                condition=~Q(status="held") | ~Q(pupil_view=""),
                name="meeting_held_has_pupil_view",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%d.%m.%Y}"

    # What a meeting is, for the page and for the actions (one definition each).

    @property
    def is_scheduled(self) -> bool:
        """Planned: it may still be held or cancelled; held and cancelled are final."""
        return self.status == self.Status.SCHEDULED

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.HELD

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    def has_started(self, now: dt.datetime) -> bool:
        """A meeting is marked held once it has begun, never before."""
        return self.starts_at <= now

    def awaits_minutes(self, day: dt.date) -> bool:
        """Still planned after the day it was on: someone should record it as held
        (with the pupil's view and the minutes) or cancel it."""
        return self.is_scheduled and timezone.localtime(self.starts_at).date() < day


class Mapping(models.Model):
    """A mapping (kartlegging): the cause mapping with the pupil before the nivå 1
    meeting over the four areas, PPT's pedagogical analysis, or 2B's extended
    mapping."""

    class Kind(models.TextChoices):
        CAUSES = "causes", _("Kartlegging av årsaker (skole, hjem, fritid, elev)")
        PEDAGOGICAL = "pedagogical", _("Pedagogisk analyse (PPT)")
        EXTENDED = "extended", _("Utvidet kartlegging (nivå 2B)")
        OTHER = "other", _("Annen kartlegging")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="mappings")
    kind = models.CharField(_("type"), max_length=15, choices=Kind.choices)
    school = models.TextField(_("skole"), blank=True)
    home = models.TextField(_("hjem"), blank=True)
    leisure = models.TextField(_("fritid"), blank=True)
    pupil_area = models.TextField(_("eleven selv"), blank=True)
    maintaining_factors = models.TextField(_("opprettholdende faktorer"), blank=True)
    worth_going_for = models.TextField(_("det som gjør skolen verdt å gå til"), blank=True)
    # theme key (cases.questions.THEMES) → note
    themes = models.JSONField(default=dict, blank=True)
    text = models.TextField(_("kartlegging"), blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    basis = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("kartlegging")
        verbose_name_plural = _("kartlegginger")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.recorded_at:%d.%m.%Y}"

    @property
    def theme_notes(self) -> list:
        from cases.questions import THEME_QUESTIONS, answered

        return answered(THEME_QUESTIONS.values(), self.themes, all_known=THEME_QUESTIONS)


class Participant(models.Model):
    """Someone from a service outside the school (or the school's own staff) on the
    case's team at nivå 2A/2B, with their role."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    service = models.CharField(_("tjeneste"), max_length=20, choices=Service.choices)
    name = models.CharField(_("navn"), max_length=200)
    role = models.CharField(_("rolle i saken"), max_length=200, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="case_participations"
    )
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("deltaker")
        verbose_name_plural = _("deltakere")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_service_display()})"


class MappingTask(models.Model):
    """A mapping task shared out at the first 2A meeting, with a due date."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="mapping_tasks")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    assignee_user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("oppgave"), max_length=300)
    due = models.DateField(_("frist"))
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("kartleggingsoppgave")
        verbose_name_plural = _("kartleggingsoppgaver")

    def __str__(self) -> str:
        return self.description


class ConsentQuerySet(models.QuerySet["Consent"]):
    def in_force(self, day: dt.date) -> ConsentQuerySet:
        """Given by `day`, not withdrawn, not expired (`Consent.is_active` in SQL)."""
        return self.filter(Consent.in_force_q(day))


class Consent(models.Model):
    """Consent (samtykke) for one service and purpose: who gave it, when, its scope and
    expiry, and its withdrawal. Guardians give it; the pupil too from 15."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    service = models.CharField(_("tjeneste"), max_length=20, choices=Service.choices)
    purpose = models.CharField(_("formål"), max_length=300)
    scope = models.TextField(_("omfang"), blank=True)
    guardians = models.ManyToManyField(
        Guardian, related_name="consents", verbose_name=_("gitt av foresatte")
    )
    pupil_consented = models.BooleanField(_("eleven har også samtykket"), default=False)
    given_on = models.DateField(_("gitt dato"))
    expires_on = models.DateField(_("utløper"), null=True, blank=True)
    withdrawn_on = models.DateField(_("trukket dato"), null=True, blank=True)
    withdrawn_recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_on", "-pk"]
        verbose_name = _("samtykke")
        verbose_name_plural = _("samtykker")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("given_on")),
                name="consent_expiry_not_before_given",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("given_on")),
                name="consent_withdrawal_not_before_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()}: {self.purpose}"

    @staticmethod
    def in_force_q(day: dt.date, prefix: str = "") -> Q:
        """`in_force` as a condition, for use across a relation (`prefix="consent__"`,
        a referral's consent)."""
        return Q(
            Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gte": day}),
            **{f"{prefix}given_on__lte": day, f"{prefix}withdrawn_on__isnull": True},
        )

    def is_active(self, day: dt.date) -> bool:
        return self.given_on <= day and self.withdrawn_on is None and not self.has_expired(day)

    def has_expired(self, day: dt.date) -> bool:
        """Its last day (`expires_on`, inclusive) is before `day`."""
        return self.expires_on is not None and self.expires_on < day


class Referral(models.Model):
    """A referral of the case to PPT. While active, the municipality's PPT advisors
    may read this case (a django-guardian grant per case, behind `cases.access`)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    service = models.CharField(max_length=20, choices=Service.choices, default=Service.PPT)
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="referrals")
    reason = models.TextField(_("henvisningsgrunn"))
    made_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(_("grunn"), max_length=300, blank=True)

    class Meta:
        ordering = ["-made_at", "-pk"]
        verbose_name = _("henvisning")
        verbose_name_plural = _("henvisninger")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "service"],
                condition=Q(ended_at__isnull=True),
                name="referral_one_active_per_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} {self.made_at:%d.%m.%Y}"


class CaseNote(models.Model):
    """A note on the case, e.g. from the PPT advisor."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("notat"))
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=30, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("notat")
        verbose_name_plural = _("notater")

    def __str__(self) -> str:
        return f"{self.author} {self.at:%d.%m.%Y}"


class DeadlineQuerySet(models.QuerySet["Deadline"]):
    def pending(self) -> DeadlineQuerySet:
        """Deadlines still running: neither met nor cancelled."""
        return self.filter(met_at__isnull=True, cancelled_at__isnull=True)


class Deadline(models.Model):
    """A deadline on a case. The daily task reminds the owner two school days before
    and when it passes, once each (conditional updates on the two timestamps)."""

    class Kind(models.TextChoices):
        LEVEL1_MEETING = "level1_meeting", _("Møte med elev og foresatte (nivå 1)")
        PLAN_EVALUATION = "plan_evaluation", _("Evaluering av tiltaksplanen")
        EVALUATION_2A = "evaluation_2a", _("Evaluering (nivå 2A)")
        MAPPING_SUMMARY_2B = "mapping_summary_2b", _("Oppsummering av kartlegging (nivå 2B)")
        EVALUATION_2B = "evaluation_2b", _("Evaluering av tiltak (nivå 2B)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(max_length=25, choices=Kind.choices)
    due = models.DateField(_("frist"))
    # The day the counted days landed on when there was no school that day, and why
    # (`SchoolCalendar.closed_reason`): the deadline moved forward to `due`.
    moved_from = models.DateField(null=True, blank=True)
    moved_because = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due", "pk"]
        verbose_name = _("frist")
        verbose_name_plural = _("frister")
        indexes = [models.Index(fields=["due"], name="deadline_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="deadline_one_pending_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due:%d.%m.%Y}"

    @property
    def is_pending(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    @property
    def set_text(self) -> str:
        """The timeline's words for the deadline set: its kind and date, and the day
        it moved from."""
        text = f"{self.get_kind_display()}: {self.due:%d.%m.%Y}"
        if self.moved_from is not None:
            text += " " + str(
                _("(flyttet fra %(date)s, som ikke er en skoledag)")
                % {"date": f"{self.moved_from:%d.%m.%Y}"}
            )
        return text

    @property
    def moved_because_text(self) -> str:
        from fravaer.schooldays import closed_reason_label

        return closed_reason_label(self.moved_because)


# Days from the event that starts a deadline to the deadline (seed 004). Each is a
# setting per municipality (`DeadlineSetting`); these are the defaults.
DEFAULT_DEADLINE_DAYS = {
    Deadline.Kind.LEVEL1_MEETING: 7,
    Deadline.Kind.PLAN_EVALUATION: 21,
    Deadline.Kind.EVALUATION_2A: 21,
    Deadline.Kind.MAPPING_SUMMARY_2B: 21,
    Deadline.Kind.EVALUATION_2B: 21,
}

# The days a municipality may choose for each kind, lowest and highest, kept close to
# seed 004's words: the nivå 1 meeting "innen 1 uke" (a municipality may be stricter,
# or a little looser), the measure plan's evaluation around three weeks, and 2A's
# evaluation and 2B's mapping summary "innen 2–3 uker", 2B's evaluation of measures
# "innen 3 uker" like nivå 1's. All inside the database's
# 1–90 check (`deadlinesetting_days_1_to_90`).
DEADLINE_DAYS_RANGE: dict[str, tuple[int, int]] = {
    Deadline.Kind.LEVEL1_MEETING: (1, 14),
    Deadline.Kind.PLAN_EVALUATION: (7, 42),
    Deadline.Kind.EVALUATION_2A: (14, 21),
    Deadline.Kind.MAPPING_SUMMARY_2B: (14, 21),
    Deadline.Kind.EVALUATION_2B: (7, 42),
}


class DeadlineSetting(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="deadline_settings"
    )
    kind = models.CharField(max_length=25, choices=Deadline.Kind.choices)
    days = models.PositiveSmallIntegerField(_("dager"))
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("fristinnstilling")
        verbose_name_plural = _("fristinnstillinger")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind"], name="deadlinesetting_one_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=90), name="deadlinesetting_days_1_to_90"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.kind}: {self.days}"


class DeadlineSettingChange(models.Model):
    """Append-only log of changes to a municipality's deadline settings."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="deadline_setting_changes"
    )
    kind = models.CharField(max_length=25, choices=Deadline.Kind.choices)
    days_before = models.PositiveSmallIntegerField()
    days_after = models.PositiveSmallIntegerField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("endring av fristinnstilling")
        verbose_name_plural = _("endringer av fristinnstillinger")

    def __str__(self) -> str:
        return f"{self.kind}: {self.days_before} → {self.days_after} {self.at:%d.%m.%Y %H:%M}"


def closed_because(reason: str) -> str | None:
    """«The case was closed: <reason>» in the active language; None for a reason
    that is not (or no longer) one of `Case.CloseReason`."""
    if reason not in Case.CloseReason.values:
        return None
    return _("Saken ble avsluttet: %(reason)s") % {"reason": Case.CloseReason(reason).label}


def closed_because_msgids(reason: str) -> dict[str, object]:
    """`closed_because` untranslated, as a flag acknowledged by closing its case keeps
    it (`details["acknowledged_as"]`): the msgid and its values, which
    `Flag.acknowledgement_text` translates for each reader."""
    with translation.override(None):  # no catalog: the msgids themselves
        return {
            "text": str(_("Saken ble avsluttet: %(reason)s")),
            "values": {"reason": str(Case.CloseReason(reason).label)},
        }


class CaseAccessLog(models.Model):
    """Append-only: who opened a case page or one of its documents, when, and on what
    basis (owner, contact teacher, leader, team, PPT referral, ...)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_log")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    basis = models.CharField(max_length=30)
    what = models.CharField(max_length=50)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("innsynslogg")
        verbose_name_plural = _("innsynslogg")
        indexes = [models.Index(fields=["case", "at"], name="caseaccess_case_at_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.basis} {self.at:%d.%m.%Y %H:%M}"


# django-guardian with direct foreign keys (PITFALLS.md): per-case grants for PPT
# advisors on referral. Only `cases.access` and `cases.actions` use these.
class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class TeamMeeting(models.Model):
    """The school-environment team's regular meeting at a school (seed 003: worrying
    absence "drøftes i tverrfaglig team"; seed 000 p. 10): who was there, when it ran,
    and the decisions taken from its agenda (`TeamMeetingItem`). Ending it writes the
    minutes on each case discussed (`cases.actions.team_meeting.end_team_meeting`)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="team_meetings")
    held_on = models.DateField(_("dato"))
    participants = models.ManyToManyField(
        User, related_name="team_meetings", verbose_name=_("til stede")
    )
    # The agenda's new flags are those raised since this moment: the previous meeting's
    # start, or 14 days before the first.
    flags_since = models.DateTimeField()
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-held_on", "-started_at", "-pk"]
        verbose_name = _("teammøte")
        verbose_name_plural = _("teammøter")
        constraints = [
            models.UniqueConstraint(
                fields=["school"],
                condition=Q(ended_at__isnull=True),
                name="teammeeting_one_running_per_school",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ended_by__isnull=True)
                | Q(ended_at__isnull=False, ended_by__isnull=False),
                name="teammeeting_ended_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.held_on:%d.%m.%Y}"

    @property
    def is_running(self) -> bool:
        return self.ended_at is None


class TeamMeetingItem(models.Model):
    """One decision taken in a team meeting, about one case: a case opened from new
    flags, an owner assigned, the team's next step with its date, or a note. The next
    step is the team's own date, not a staircase deadline; the case page shows the
    latest one."""

    class Kind(models.TextChoices):
        CASE_OPENED = "case_opened", _("Sak opprettet")
        OWNER_ASSIGNED = "owner_assigned", _("Saksansvarlig satt")
        NEXT_STEP = "next_step", _("Neste steg")
        NOTE = "note", _("Notat")

    meeting = models.ForeignKey(TeamMeeting, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="team_meeting_items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(blank=True)
    due = models.DateField(_("frist"), null=True, blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("beslutning i teammøte")
        verbose_name_plural = _("beslutninger i teammøte")
        indexes = [models.Index(fields=["case", "kind"], name="teammeetingitem_case_kind_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["case_opened", "owner_assigned", "next_step", "note"]),
                name="teammeetingitem_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="next_step") | (Q(due__isnull=False) & ~Q(text="")),
                name="teammeetingitem_next_step_has_text_and_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%d.%m.%Y}"
