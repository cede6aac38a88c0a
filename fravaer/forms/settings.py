"""The user's own settings: the Friday e-mail with a link to their week."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fravaer.forms.base import StyledForm


class WeekEmailForm(StyledForm):
    week_email = forms.BooleanField(
        label=_("Send meg en e-post på fredager med lenke til uka mi"),
        help_text=_(
            "Gjelder når du er kontaktlærer. E-posten inneholder bare en lenke, ingen "
            "opplysninger om elevene."
        ),
        required=False,
    )
