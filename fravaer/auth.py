"""Signing in with an e-mail address however it is capitalised: phones capitalise the
first letter, and "Kontaktlaerer@demo.no" is the same person as
"kontaktlaerer@demo.no".

Also the login throttle's pieces (django-axes) and the password validator we adjust."""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.backends import ModelBackend
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
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


def login_name(request, credentials) -> str | None:
    """The account a login attempt is counted against (django-axes): the address as
    the backend above finds it, so "Kontakt@Nordby.no" and "kontakt@nordby.no" share
    one count and changing the capitals does not buy more guesses."""
    field = get_user_model().USERNAME_FIELD
    name = (credentials or {}).get(field) or request.POST.get(field)
    return name.strip().lower() if name else None


class AccountOrAddressHandler(AxesDatabaseHandler):
    """django-axes' database handler with two limits: `AXES_FAILURE_LIMIT` failures
    for one account, `LOGIN_ADDRESS_FAILURE_LIMIT` for one client address (many people
    share a school's address). Axes compares one count with one limit, so the
    address's failures are scaled onto the account's limit: the address locks exactly
    when its own count reaches its own limit."""

    def get_failures(self, request, credentials=None) -> int:
        by_account, by_address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        limit = settings.AXES_FAILURE_LIMIT
        return max(by_account, by_address * limit // settings.LOGIN_ADDRESS_FAILURE_LIMIT)


def locked_out(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """The page a refused login gets (django-axes' AXES_LOCKOUT_CALLABLE)."""
    minutes = round(get_cool_off(request).total_seconds() / 60)
    return render(request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django 5.2's message changed its text, and its Norwegian translations have not
    followed: the message came in English inside Norwegian pages."""

    def get_error_message(self) -> str:
        return ngettext(
            "Passordet er for kort. Det må ha minst %(min_length)d tegn.",
            "Passordet er for kort. Det må ha minst %(min_length)d tegn.",
            self.min_length,
        ) % {"min_length": self.min_length}
