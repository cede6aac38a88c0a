"""Flags raised by the threshold and pattern engine, the people they notify, and the
municipality's rule settings. The rules themselves live in `fravaer.thresholds`."""

from __future__ import annotations

import re

from django.db import models
from django.db.models import (
    Case,
    CharField,
    Exists,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fravaer.models.absence import AbsenceRecord, ContactLog
from fravaer.models.people import Group, Municipality, Pupil, School, User


class RuleSetting(models.Model):
    """A municipality's choice for one rule: on or off, and its threshold. A rule
    without a row uses the default in `fravaer.thresholds.RULES`."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="rule_settings"
    )
    rule = models.CharField(_("regel"), max_length=40)
    enabled = models.BooleanField(_("på"), default=True)
    threshold = models.DecimalField(_("grense"), max_digits=8, decimal_places=2)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("regelinnstilling")
        verbose_name_plural = _("regelinnstillinger")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "rule"], name="rulesetting_one_per_rule"
            ),
            models.CheckConstraint(
                condition=Q(threshold__gte=0), name="rulesetting_threshold_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.rule}"


class RuleSettingChange(models.Model):
    """Append-only log of changes to a municipality's rule settings."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="rule_setting_changes"
    )
    rule = models.CharField(max_length=40)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField()
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("endring av regelinnstilling")
        verbose_name_plural = _("endringer av regelinnstillinger")

    def __str__(self) -> str:
        return f"{self.rule} {self.at:%d.%m.%Y %H:%M}"


class FlagQuerySet(models.QuerySet["Flag"]):
    def active(self) -> FlagQuerySet:
        return self.filter(status=Flag.Status.ACTIVE)

    def in_force_during(self, first, last) -> FlagQuerySet:
        """Flags about absence from `first` to `last` that were in force then: a period
        that overlaps it (a month's flag from August is not November's), raised by
        `last` unless the period lies within it (October's flag raised on 1 November is
        October's), and not cleared or acknowledged before `first`. Patterns left out:
        they are observations, not flags to act on."""
        return (
            self.exclude(rule__startswith="pattern_")
            .filter(period_start__lte=last, period_end__gte=first)
            .filter(Q(raised_at__date__lte=last) | Q(period_end__lte=last))
            .filter(
                Q(status=Flag.Status.ACTIVE)
                | Q(cleared_at__date__gte=first)
                | Q(acknowledged_at__date__gte=first)
            )
        )

    def awaiting_home(self) -> FlagQuerySet:
        """Active undocumented-absence flags that no contact with the home answers
        yet (`ContactLog.answering`, the scan's rule): they stay until the home is
        reached."""
        answered = ContactLog.answering(pupil=OuterRef("pupil_id"), day=OuterRef("period_start"))
        return self.active().filter(rule="undocumented").exclude(Exists(answered))


class Flag(models.Model):
    """One rule crossed by one pupil in one period.

    `period_key` names the period: the school year ("2026-2027"), the month
    ("2026-11"), the record ("record:123"), or for window rules and patterns the
    episode ("episode:2026-11-18", the scan date that opened it). A window flag is
    raised when its condition becomes true and not again while `episode_open`; a
    later scan that finds the condition false closes the episode.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktiv")
        CLEARED = "cleared", _("Avklart")
        ACKNOWLEDGED = "acknowledged", _("Kvittert ut")

    class Cause(models.TextChoices):
        """Why a flag was cleared, kept in `details["cleared_cause"]` (with who, where
        known, in `details["cleared_by"]`): the pupil page and the inbox say what
        settled it, never a contact with the home that did not happen. Flags cleared
        before causes were kept have neither key."""

        CONTACT = "contact", _("Kontakt med hjemmet")
        # The home was reached, so the flag's duty (contact the home today) is met and
        # it leaves the active list; but the contact's outcome was "must be followed
        # up" (`ContactLog.Outcome.FOLLOW_UP`), so nothing may call the matter settled.
        FOLLOW_UP = "follow_up", _("Kontakt med hjemmet, må følges opp")
        REMOVED = "removed", _("Registreringen er fjernet")
        DOCUMENTED = "documented", _("Fraværet er dokumentert")
        # The record is still there and undocumented, with no contact since, but the
        # rule no longer applies to it (switched off, or a past school year).
        NO_LONGER = "no_longer", _("Regelen gjelder ikke lenger")
        # A school year's or a month's flag whose figures no longer reach the threshold
        # (records removed or corrected, the threshold raised), or whose rule the
        # municipality has switched off. It fires again if the figures reach it again.
        BELOW = "below", _("Under grensen")
        RULE_OFF = "rule_off", _("Regelen er slått av")

    # No index of their own: `flag_one_per_rule_and_period` leads with the pupil and
    # `flag_school_status_idx` with the school. A first scan of a municipality inserts
    # some 100 000 flags, and every index is written for each of them.
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="flags", db_index=False)
    # The school the pupil's group belongs to, kept on the flag for the school's lists
    # (`flag_school_status_idx`). On PostgreSQL one foreign key checks the pair,
    # (group_id, school_id) → fravaer_group (id, school_id) (`flag_group_school_fk`,
    # migration 0007): the group exists, and the school is the group's. It replaces a
    # key each on the group and the school, which checked less and cost about a second
    # more for a first scan of a municipality (some 100 000 flags, each key of each row
    # checked at commit).
    school = models.ForeignKey(
        School,
        on_delete=models.CASCADE,
        related_name="flags",
        db_index=False,
        db_constraint=False,
    )
    # No index of its own: a school's flags are found through `flag_school_status_idx`
    # and grouped by class from there; only deleting a group (never done by the
    # product) looks for flags by group alone.
    group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        related_name="flags",
        db_constraint=False,
        db_index=False,
    )
    rule = models.CharField(_("regel"), max_length=40)
    period_key = models.CharField(max_length=40)
    period_start = models.DateField(_("fra"))
    period_end = models.DateField(_("til"))
    value = models.DecimalField(_("verdi"), max_digits=10, decimal_places=2)
    threshold = models.DecimalField(_("grense"), max_digits=10, decimal_places=2)
    details = models.JSONField(default=dict, blank=True)
    record_ids = models.JSONField(default=list, blank=True)
    # Set on `undocumented` flags only; indexed where set (`flag_record_idx`).
    record = models.ForeignKey(
        AbsenceRecord,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="flags",
        db_index=False,
    )
    as_of = models.DateField()
    raised_at = models.DateTimeField()
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.ACTIVE)
    episode_open = models.BooleanField(default=False)
    cleared_at = models.DateTimeField(null=True, blank=True)
    # Indexed where set (`flag_acknowledged_by_idx`): a new flag has nobody.
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.CharField(_("begrunnelse"), max_length=300, blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("varsel")
        verbose_name_plural = _("varsler")
        # A pupil's flags are found through `flag_one_per_rule_and_period` (pupil,
        # rule, period_key): a pupil has a handful, so an index on (pupil, status)
        # would save nothing but cost a write per flag. The foreign keys that are
        # mostly empty are indexed where set, for the deletes that follow them.
        indexes = [
            models.Index(fields=["school", "status"], name="flag_school_status_idx"),
            models.Index(
                fields=["record"], condition=Q(record__isnull=False), name="flag_record_idx"
            ),
            models.Index(
                fields=["acknowledged_by"],
                condition=Q(acknowledged_by__isnull=False),
                name="flag_acknowledged_by_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil", "rule", "period_key"], name="flag_one_per_rule_and_period"
            ),
            models.UniqueConstraint(
                fields=["pupil", "rule"],
                condition=Q(episode_open=True),
                name="flag_one_open_episode_per_rule",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "cleared", "acknowledged"]),
                name="flag_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="acknowledged")
                | (Q(acknowledged_by__isnull=False) & Q(acknowledged_at__isnull=False)),
                name="flag_acknowledged_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.period_key}"

    @property
    def definition(self):
        from fravaer.thresholds import RULES

        return RULES[self.rule]

    def explanation(self) -> str:
        return self.definition.explain(self)

    @property
    def acknowledgement_text(self) -> str:
        """Why the flag was acknowledged, in the reader's language. A reason typed by a
        person is shown as typed. One written by an action of an upper app (a case
        closed) is kept in `details["acknowledged_as"]` as a bokmål msgid (`text`) and
        its `values` (msgids too), translated here when read; the stored text is the
        fallback. So the upper app words it, and fravaer needs nothing from it."""
        kept = (self.details or {}).get(ACKNOWLEDGED_AS)
        if isinstance(kept, dict):
            text, values = kept.get("text"), kept.get("values") or {}
            if isinstance(text, str) and text and isinstance(values, dict):
                try:
                    return gettext(text) % {k: gettext(str(v)) for k, v in values.items()}
                except (KeyError, TypeError, ValueError):
                    pass
        return self.acknowledgement

    # Who cleared the flag, when a read loads it (`fravaer.queries.pupil_flags`); not
    # stored.
    cleared_by_user: User | None = None

    @property
    def cleared_cause(self) -> str:
        """A `Cause`, or "" for a flag that is not cleared or was cleared before causes
        were kept."""
        if self.status != self.Status.CLEARED:
            return ""
        cause = (self.details or {}).get(CLEARED_CAUSE)
        return cause if cause in self.Cause.values else ""

    @property
    def needs_follow_up(self) -> bool:
        """Cleared by a contact with the home whose outcome was "must be followed up":
        the status says so instead of "Avklart"."""
        return self.cleared_cause == self.Cause.FOLLOW_UP

    @property
    def cleared_by_id(self) -> int | None:
        by = (self.details or {}).get(CLEARED_BY) if self.cleared_cause else None
        return by if isinstance(by, int) else None

    def cleared_text(self) -> str:
        """How the flag was settled, in words: when, why and, where `cleared_by_user`
        is loaded, who. Without a recorded cause it says only when."""
        if self.cleared_at is None:
            return str(self.Status.CLEARED.label)
        values = {"when": date_format(timezone.localtime(self.cleared_at), "d.m.Y")}
        who = self.cleared_by_user
        without_who, with_who = CLEARED_TEXTS.get(self.cleared_cause, CLEARED_TEXTS[""])
        if who is not None and with_who:
            return str(with_who) % {**values, "who": str(who)}
        return str(without_who) % values


CLEARED_CAUSE, CLEARED_BY = "cleared_cause", "cleared_by"
ACKNOWLEDGED_AS = "acknowledged_as"

# `Flag.cleared_text` per cause: (without who, with who, or "" when it names no one).
CLEARED_TEXTS = {
    Flag.Cause.CONTACT: (
        _("Avklart %(when)s: kontakt med hjemmet er logget."),
        _("Avklart %(when)s: %(who)s logget kontakt med hjemmet."),
    ),
    # Not "Avklart": the home was reached, the matter is not settled. `when` is when
    # the flag was cleared (the contact was logged), not when the contact took place.
    Flag.Cause.FOLLOW_UP: (
        _("Kontakt med hjemmet logget %(when)s; må følges opp."),
        _("%(who)s logget kontakt med hjemmet %(when)s; må følges opp."),
    ),
    Flag.Cause.REMOVED: (
        _("Avklart %(when)s: registreringen ble fjernet."),
        _("Avklart %(when)s: %(who)s fjernet registreringen."),
    ),
    Flag.Cause.DOCUMENTED: (
        _("Avklart %(when)s: fraværet ble endret til dokumentert."),
        _("Avklart %(when)s: %(who)s endret fraværet til dokumentert."),
    ),
    Flag.Cause.BELOW: (
        _(
            "Avklart %(when)s: fraværet når ikke lenger grensen (registreringer er endret, "
            "eller grensen er endret)."
        ),
        "",
    ),
    Flag.Cause.RULE_OFF: (_("Avklart %(when)s: kommunen har slått av regelen."), ""),
    Flag.Cause.NO_LONGER: (
        _("Avklart %(when)s: regelen gjelder ikke lenger for dette fraværet."),
        "",
    ),
    "": (_("Avklart %(when)s."), ""),  # cleared before causes were kept
}


class JSONWithKeys(Func):
    """A JSON object with some keys set, computed in the database: the one statement
    that clears many flags keeps each flag's own cause beside its figures. PostgreSQL
    merges into the jsonb; SQLite (and MySQL) have `json_set`."""

    output_field = models.JSONField()

    def __init__(self, expression, **values) -> None:
        # The keys are written into the SQL; only our own constants are allowed.
        if not all(re.fullmatch(r"[a-z_]+", key) for key in values):
            raise ValueError("JSON keys must be plain names")
        self.keys = list(values)
        super().__init__(expression, *values.values())

    def _compiled(self, compiler):
        obj_sql, params = compiler.compile(self.source_expressions[0])
        pairs = []
        for key, expression in zip(self.keys, self.source_expressions[1:], strict=True):
            sql, more = compiler.compile(expression)
            pairs.append((key, sql))
            params = (*params, *more)
        return obj_sql, pairs, params

    def as_sql(self, compiler, connection, **extra_context):
        obj_sql, pairs, params = self._compiled(compiler)
        args = ", ".join(f"'$.{key}', {sql}" for key, sql in pairs)
        return f"json_set({obj_sql}, {args})", params

    def as_postgresql(self, compiler, connection, **extra_context):
        obj_sql, pairs, params = self._compiled(compiler)
        args = ", ".join(f"'{key}', {sql}" for key, sql in pairs)
        return f"({obj_sql} || jsonb_build_object({args}))", params


def cleared_details(cause: str | None = None, *, by: User | None = None) -> JSONWithKeys:
    """A flag's `details` with why and by whom it was cleared, for the UPDATE that
    clears it. Without `cause` each flag's cause is read from its record in the same
    statement (the scan clears whatever no longer fires, many flags at once, and does
    not know why): the record removed (by whom), corrected to documented (by whom),
    answered by a contact with the home on or after its date (logged by whom, the
    scan's own rule; `FOLLOW_UP` when that contact must be followed up), or else the
    rule no longer applies to it. A flag of another rule (a school year's or a
    month's figures) is `RULE_OFF` when the pupil's municipality has switched its rule
    off, and otherwise `BELOW`."""
    if cause is not None:
        return _with_cause(Value(cause), _by(by))
    record = AbsenceRecord.objects.filter(pk=OuterRef("record_id")).order_by()
    removed = Exists(record.filter(deleted_at__isnull=False))
    documented = Exists(record.filter(documented=True))
    contacts = _answering_contacts()
    contacted = Exists(contacts)
    figures = ~Q(rule="undocumented")
    switched_off = Exists(
        RuleSetting.objects.filter(
            rule=OuterRef("rule"), enabled=False, municipality__schools=OuterRef("school_id")
        )
    )
    return _with_cause(
        Case(
            When(figures & switched_off, then=Value(Flag.Cause.RULE_OFF.value)),
            When(figures, then=Value(Flag.Cause.BELOW.value)),
            When(removed, then=Value(Flag.Cause.REMOVED.value)),
            When(documented, then=Value(Flag.Cause.DOCUMENTED.value)),
            When(contacted, then=_contact_cause(contacts)),
            default=Value(Flag.Cause.NO_LONGER.value),
        ),
        Case(
            When(figures, then=Value(None)),
            When(removed, then=Subquery(record.values("deleted_by_id"))),
            When(documented, then=Subquery(record.values("updated_by_id"))),
            When(contacted, then=Subquery(contacts.values("logged_by_id")[:1])),
            default=Value(None),
            output_field=IntegerField(),
        ),
    )


def contact_cleared_details(*, by: User | None = None) -> JSONWithKeys:
    """`cleared_details` for the flags that a contact with the home, just logged,
    answers (`clear_undocumented_flags`): `CONTACT`, or `FOLLOW_UP` when the contact
    that answers the flag must be followed up. Which contact answers a flag is the
    scan's rule (`cleared_details`), read in the same statement, so the two agree."""
    return _with_cause(_contact_cause(_answering_contacts()), _by(by))


def _answering_contacts() -> models.QuerySet[ContactLog]:
    """The contacts that answer the flag being updated, the first first: its pupil's
    contacts that reached the home on or after its date (`ContactLog.answering`)."""
    return ContactLog.answering(pupil=OuterRef("pupil_id"), day=OuterRef("period_start")).order_by(
        "contacted_at", "pk"
    )


def _contact_cause(contacts: models.QuerySet[ContactLog]) -> Case:
    """The cause when the first of `contacts` answers the flag: the home was reached,
    and that contact's outcome says whether the matter must still be followed up."""
    first_outcome = Subquery(contacts.values("outcome")[:1])
    return Case(
        When(
            Exact(first_outcome, Value(ContactLog.Outcome.FOLLOW_UP.value)),
            then=Value(Flag.Cause.FOLLOW_UP.value),
        ),
        default=Value(Flag.Cause.CONTACT.value),
    )


def _by(user: User | None) -> Value:
    return Value(user.pk if user else None, output_field=IntegerField())


def _with_cause(cause, by) -> JSONWithKeys:
    return JSONWithKeys(models.F("details"), cleared_cause=Cast(cause, CharField()), cleared_by=by)
