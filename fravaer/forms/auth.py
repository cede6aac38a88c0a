"""Django's password forms with our field markup (`StyledForm`)."""

from __future__ import annotations

import unicodedata

from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model

from fravaer.forms.base import StyledForm


class PasswordChangeForm(StyledForm, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(StyledForm, auth_forms.SetPasswordForm):
    pass


class PasswordResetForm(StyledForm, auth_forms.PasswordResetForm):
    def get_users(self, email):
        """The active users with this address, also those without a usable password:
        a contact teacher the roster import created has none and sets their first one
        here. (Django leaves them out, for sites where such users sign in elsewhere.)"""
        model = get_user_model()
        field = model.get_email_field_name()
        users = model._default_manager.filter(**{f"{field}__iexact": email, "is_active": True})
        return (user for user in users if _same_address(email, getattr(user, field)))


def _same_address(a: str, b: str) -> bool:
    # As Django's own check: iexact in SQL is not Unicode case folding everywhere.
    return unicodedata.normalize("NFKC", a).casefold() == (
        unicodedata.normalize("NFKC", b).casefold()
    )
