"""The red/yellow/green timetable form (seed 002): one rating, subject and "who and
what" per lesson of an ordinary week, Monday to Friday, lessons 1..N (N the class's
lessons per day)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fravaer.forms import StyledForm
from plans.actions.timetable import RatingInput
from plans.models import LessonRating, TimetableSurvey
from plans.timetable import SYMBOLS, WEEKDAYS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def rating_choices() -> list[tuple[str, str]]:
    # Text and a symbol, never the colour alone.
    return [("", _("Ikke fylt ut"))] + [
        (value, f"{SYMBOLS[value]} {label}") for value, label in LessonRating.Rating.choices
    ]


class SlotFields:
    """One lesson's three fields, for the template."""

    def __init__(self, form: TimetableForm, weekday, lesson: int):
        self.weekday = weekday
        self.lesson = lesson
        self.rating = form[f"r_{weekday.value}_{lesson}"]
        self.subject = form[f"s_{weekday.value}_{lesson}"]
        self.why = form[f"w_{weekday.value}_{lesson}"]
        self.fields = [self.rating, self.subject, self.why]


class TimetableForm(StyledForm):
    filled_on = forms.DateField(
        label=_("Fylt ut sammen med eleven"),
        widget=DATE_WIDGET,
        error_messages={"invalid": _("Skriv datoen som dd.mm.åååå.")},
    )
    note = forms.CharField(
        label=_("Merknad"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lessons_per_day: int, previous: TimetableSurvey | None = None, **kw):
        self.lessons_per_day = lessons_per_day
        super().__init__(*args, **kw)
        self.fields["filled_on"].initial = timezone.localdate()
        before = {(r.weekday, r.lesson): r for r in previous.ratings.all()} if previous else {}
        for lesson in range(1, lessons_per_day + 1):
            for day in WEEKDAYS:
                key = f"{day.value}_{lesson}"
                old = before.get((day.value, lesson))
                self.fields[f"r_{key}"] = forms.ChoiceField(
                    label=_("Vurdering"),
                    choices=rating_choices(),
                    required=False,
                    initial=old.rating if old else "",
                )
                self.fields[f"s_{key}"] = forms.CharField(
                    label=_("Fag"),
                    required=False,
                    max_length=100,
                    initial=old.subject if old else "",
                )
                self.fields[f"w_{key}"] = forms.CharField(
                    label=_("Hvem og hva gjør det slik"),
                    required=False,
                    max_length=300,
                    initial=old.why if old else "",
                )
        # StyledForm styled the fields it saw; these came after.
        for name, field in self.fields.items():
            if name[:2] in ("r_", "s_", "w_"):
                field.widget.attrs.setdefault("class", "ds-input")
                field.widget.attrs["data-size"] = "sm"

    def rows(self) -> list[list[SlotFields]]:
        return [
            [SlotFields(self, day, lesson) for day in WEEKDAYS]
            for lesson in range(1, self.lessons_per_day + 1)
        ]

    def clean_filled_on(self):
        day = self.cleaned_data["filled_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Datoen kan ikke være i fremtiden."))
        return day

    def clean(self):
        data = super().clean()
        rated = 0
        for lesson in range(1, self.lessons_per_day + 1):
            for day in WEEKDAYS:
                key = f"{day.value}_{lesson}"
                if data.get(f"r_{key}"):
                    rated += 1
                elif (data.get(f"s_{key}") or "").strip() or (data.get(f"w_{key}") or "").strip():
                    self.add_error(
                        f"r_{key}",
                        _(
                            "%(day)s %(lesson)s. time: velg grønt, gult eller rødt, "
                            "eller tøm fag og «hvem og hva»."
                        )
                        % {"day": day.label, "lesson": lesson},
                    )
        if not rated and not self.errors:
            raise forms.ValidationError(_("Marker minst én time som grønn, gul eller rød."))
        return data

    def ratings(self) -> list[RatingInput]:
        data = self.cleaned_data
        found = []
        for lesson in range(1, self.lessons_per_day + 1):
            for day in WEEKDAYS:
                key = f"{day.value}_{lesson}"
                if data.get(f"r_{key}"):
                    found.append(
                        RatingInput(
                            weekday=day.value,
                            lesson=lesson,
                            rating=data[f"r_{key}"],
                            subject=data[f"s_{key}"].strip(),
                            why=data[f"w_{key}"].strip(),
                        )
                    )
        return found
