"""Signing in with an e-mail address however it is capitalised: phones capitalise the
first letter, and "Kontaktlaerer@demo.no" is the same person as
"kontaktlaerer@demo.no".

Also the password validator we adjust."""

from __future__ import annotations

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.backends import ModelBackend
from django.utils.translation import ngettext


class CaseInsensitiveModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        model = get_user_model()
        if username is None:
            username = kwargs.get(model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        lookup = {f"{model.USERNAME_FIELD}__iexact": username.strip()}
        users = list(model._default_manager.filter(**lookup)[:2])
        if len(users) != 1:
            # As ModelBackend does: hash anyway, so that a missing user takes as long.
            model().set_password(password)
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django 5.2's message changed its text, and its Norwegian translations have not
    followed: the message came in English inside Norwegian pages."""

    def get_error_message(self) -> str:
        return ngettext(
            "Passordet er for kort. Det må ha minst %(min_length)d tegn.",
            "Passordet er for kort. Det må ha minst %(min_length)d tegn.",
            self.min_length,
        ) % {"min_length": self.min_length}
