"""Forms for the flag screens: acknowledging a flag, filtering the school's flags and
the municipality's rule settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from fravaer.forms.base import StyledForm
from fravaer.thresholds import (
    CONTACT,
    FRACTIONAL_RULES,
    LEADERS,
    NURSE,
    RULE_LIST,
    TEAM,
    THRESHOLD_RANGES,
    Rule,
    RuleConfig,
    early_warning_problem,
    threshold_problem,
)


class AcknowledgeFlagForm(StyledForm):
    reason = forms.CharField(
        label=_("Begrunnelse"),
        max_length=300,
        error_messages={
            "required": _("Skriv en kort begrunnelse."),
            "max_length": _("Begrunnelsen kan være høyst %(limit_value)d tegn."),
        },
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Skriv en kort begrunnelse."))
        return reason


class SchoolFlagFilterForm(StyledForm):
    """The leaders' overview filters (GET): by rule and by class."""

    regel = forms.ChoiceField(label=_("Regel"), required=False)
    klasse = forms.TypedChoiceField(label=_("Klasse"), required=False, coerce=int)

    def __init__(self, *args, rules: list[Rule], groups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regel"].choices = [("", _("Alle regler"))] + [(r.code, r.name) for r in rules]
        self.fields["klasse"].choices = [("", _("Alle klasser"))] + [
            (g.pk, g.label) for g in groups
        ]


# What each rule means, for the municipality's settings page: the table in issue #3 in
# words, with the unit of its threshold (None: the rule has no threshold to set).
RULE_HELP: dict[str, tuple[str, str | None]] = {
    "undocumented": (
        _(
            "Udokumentert fravær er registrert, og ingen kontakt med hjemmet er logget "
            "etter det. Kontaktlærer bes kontakte hjemmet samme dag."
        ),
        None,
    ),
    "year_days_notice": (
        _("Minst så mange hele dager fravær i skoleåret (tidlig varsel)."),
        _("dager"),
    ),
    "year_days_leadership": (
        _(
            "Minst så mange hele dager fravær i skoleåret. Ledelsen orienteres og "
            "involverer skolemiljøteamet."
        ),
        _("dager"),
    ),
    "month_days": (_("Mer enn så mange hele dager fravær i én kalendermåned."), _("dager")),
    "month_hours": (
        _("Mer enn så mange enkelttimer fravær i én kalendermåned."),
        _("timer"),
    ),
    "month_late": (_("Mer enn så mange forsentkomminger i én kalendermåned."), _("ganger")),
    "fortnight_share": (
        _("Fraværet de siste 14 dagene er over denne andelen av skoletiden."),
        _("prosent"),
    ),
    "fifteen_weeks_days": (
        _(
            "Mer enn så mange dager fravær de siste 15 ukene (hele dager, og timer "
            "regnet om til dager)."
        ),
        _("dager"),
    ),
    "pattern_weekday": (
        _(
            "Observasjon: én ukedag har minst så mange og minst halvparten av "
            "fraværsdagene de siste 6 ukene."
        ),
        _("dager"),
    ),
    "pattern_subject": (
        _(
            "Observasjon: ett fag har minst så mange og minst halvparten av timefraværet "
            "de siste 6 ukene."
        ),
        _("timer"),
    ),
    "pattern_after_break": (
        _(
            "Observasjon: borte første skoledag etter helg eller ferie minst så mange "
            "ganger de siste 8 ukene."
        ),
        _("ganger"),
    ),
    "pattern_alternate_week": (
        _(
            "Observasjon: fravær annenhver uke og ingen i ukene mellom. Grensen er antall "
            "uker med fravær; perioden som ses på er dobbelt så mange uker."
        ),
        _("uker"),
    ),
    "illness_share": (
        _(
            "Minst så mange dager dokumentert sykdom i skoleåret. Foreslår å involvere "
            "helsesykepleier."
        ),
        _("dager"),
    ),
}

RECIPIENT_NAMES = {
    CONTACT: _("kontaktlærer"),
    LEADERS: _("skoleledelsen"),
    TEAM: _("skolemiljøteamet"),
    NURSE: _("helsesykepleier"),
}


def format_threshold(value) -> str:
    """3.00 → "3", 2.50 → "2,5" (or "2.5" in English): as the form reads it back."""
    value = Decimal(str(value)).normalize()
    return formats.localize_input(Decimal(f"{value:f}"))


@dataclass
class RuleRow:
    rule: Rule
    help: str
    unit: str | None
    recipients: str
    enabled: forms.BoundField
    threshold: forms.BoundField | None
    stored: Decimal | None = None  # the threshold in force

    @property
    def default(self) -> str:
        return format_threshold(self.rule.default)

    @property
    def allowed(self) -> str:
        """The range the threshold must lie in, as a hint beside the field."""
        low, high = THRESHOLD_RANGES[self.rule.code]
        return _("Fra %(min)s til %(max)s %(unit)s") % {"min": low, "max": high, "unit": self.unit}

    @property
    def stored_outside(self) -> bool:
        """The threshold in force was saved before the ranges and lies outside them."""
        low, high = THRESHOLD_RANGES.get(self.rule.code, (None, None))
        return low is not None and self.stored is not None and not low <= self.stored <= high


class RuleSettingsForm(StyledForm):
    """Every rule of a municipality in one form: on/off and threshold per rule. Saved
    all or nothing."""

    # The form checks the order first; a change made meanwhile by someone else can
    # still break it when the action saves.
    rule_fields = {"rule_order": "year_days_notice_threshold"}

    def __init__(self, *args, current: dict[str, RuleConfig], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        self.out_of_range: dict[str, str] = {}
        for rule in RULE_LIST:
            config = current[rule.code]
            self.fields[f"{rule.code}_enabled"] = forms.BooleanField(
                label=_("På: %(rule)s") % {"rule": rule.name},
                required=False,
                initial=config.enabled,
                widget=forms.CheckboxInput(attrs={"class": "ds-input"}),
            )
            unit = RULE_HELP[rule.code][1]
            if unit is not None:
                low, high = THRESHOLD_RANGES[rule.code]
                out_of_range = _("Grensen må være et tall fra %(min)s til %(max)s %(unit)s.") % {
                    "min": low,
                    "max": high,
                    "unit": unit,
                }
                self.fields[f"{rule.code}_threshold"] = forms.DecimalField(
                    label=_("Grense for «%(rule)s»") % {"rule": rule.name},
                    max_digits=8,
                    decimal_places=2,
                    localize=True,
                    initial=format_threshold(config.threshold),
                    widget=forms.TextInput(
                        attrs={
                            "class": "ds-input",
                            "inputmode": "decimal" if rule.code in FRACTIONAL_RULES else "numeric",
                            "size": 5,
                        }
                    ),
                    error_messages={
                        "required": _("Skriv en grense."),
                        "invalid": out_of_range,
                        "max_digits": out_of_range,
                        "max_whole_digits": out_of_range,
                        "max_decimal_places": _("Bruk høyst to desimaler."),
                    },
                )
                self.out_of_range[rule.code] = out_of_range
                hint = f"{self[f'{rule.code}_threshold'].id_for_label}-hint"
                self.fields[f"{rule.code}_threshold"].widget.attrs["aria-describedby"] = hint

    def clean(self) -> dict:
        cleaned = super().clean()
        # A threshold must lie in its rule's range when it is changed; one saved before
        # the ranges existed may stay (the row says so) until someone changes it.
        for code, message in self.out_of_range.items():
            value = cleaned.get(f"{code}_threshold")
            low, high = THRESHOLD_RANGES[code]
            changed = value is not None and value != self.current[code].threshold
            if changed and not low <= value <= high:
                self.add_error(f"{code}_threshold", message)
            elif changed and (problem := threshold_problem(code, value)):
                self.add_error(f"{code}_threshold", problem)  # a fraction
        # The early warning exists to come before the leadership is told. With either
        # rule off there is no order to keep, and the threshold of a rule that is off
        # need not be edited: switching it on goes through this form and this check.
        on = cleaned.get("year_days_notice_enabled") and cleaned.get("year_days_leadership_enabled")
        low = cleaned.get("year_days_notice_threshold")
        high = cleaned.get("year_days_leadership_threshold")
        if on and low is not None and high is not None:
            problem = early_warning_problem(low, high)
            if problem:
                self.add_error("year_days_notice_threshold", problem)
        return cleaned

    def full_clean(self) -> None:
        super().full_clean()
        # StyledForm points an invalid field at its error; keep the range hint too.
        for name in self.errors:
            if name.endswith("_threshold"):
                field_id = self[name].id_for_label
                self.fields[name].widget.attrs["aria-describedby"] = (
                    f"{field_id}-hint {field_id}-err"
                )

    def rows(self) -> list[RuleRow]:
        rows = []
        for rule in RULE_LIST:
            help_text, unit = RULE_HELP[rule.code]
            threshold = f"{rule.code}_threshold"
            rows.append(
                RuleRow(
                    rule=rule,
                    help=help_text,
                    unit=unit,
                    recipients=", ".join(str(RECIPIENT_NAMES[r]) for r in rule.recipients),
                    enabled=self[f"{rule.code}_enabled"],
                    threshold=self[threshold] if threshold in self.fields else None,
                    stored=self.current[rule.code].threshold,
                )
            )
        return rows

    def changes(self) -> list[tuple[str, bool, Decimal]]:
        """(rule, enabled, threshold) for every rule whose setting differs from now."""
        result = []
        for rule in RULE_LIST:
            config = self.current[rule.code]
            enabled = self.cleaned_data[f"{rule.code}_enabled"]
            threshold = self.cleaned_data.get(f"{rule.code}_threshold", config.threshold)
            if enabled != config.enabled or Decimal(threshold) != Decimal(config.threshold):
                result.append((rule.code, enabled, Decimal(threshold)))
        return result
