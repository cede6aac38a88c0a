"""The class's monthly comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fravaer.forms.base import HintedForm
from fravaer.models.overviews import COMMENT_MAX_LENGTH


class ClassCommentForm(HintedForm):
    text = forms.CharField(
        label=_("Kommentar til månedens fravær"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Årsaker, begrunnelser og bekymring. Skriv ikke helseopplysninger."),
        error_messages={
            "required": _("Skriv en kommentar."),
            "max_length": _("Kommentaren kan være på høyst %(limit_value)d tegn."),
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    rule_fields = {"comment_required": "text", "comment_too_long": "text"}
