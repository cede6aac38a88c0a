from __future__ import annotations

import hashlib
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from fravaer import session_expiry
from fravaer.models import SubmissionKey

# The hidden field static/js/app.js puts in every POST form.
SUBMISSION_FIELD = "_submission"


class NorwegianFirstLocaleMiddleware(LocaleMiddleware):
    """Bokmål unless the user chose another language in the header.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a school
    PC set up in English would show English; our users expect Norwegian first.
    """

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PrivateNoStoreMiddleware:
    """Pages behind the login show personal data about children: no browser or proxy
    may keep a copy (Cache-Control: private, no-store)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class SessionLifetimeMiddleware:
    """A signed-in user's requests slide the session's end; a session past its cap is
    ended here, so the login-required check after this one sends the user to log in.
    htmx answers say how long the session has left (`session_expiry.HEADER`), so the
    page's warning follows requests made without a page load. Must come after the
    authentication middleware and before the login-required one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            if session_expiry.has_outlived_cap(request.session):
                logout(request)
            else:
                session_expiry.note_activity(request.session)
        response = self.get_response(request)
        if request.user.is_authenticated:
            # Also right after the sign-in (the view logged the user in).
            session_expiry.note_activity(request.session)
            if getattr(request, "htmx", False):
                response[session_expiry.HEADER] = str(session_expiry.seconds_left(request.session))
        return response


class HtmxLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's login-required check, with an answer htmx can follow.

    A redirect to the login page would be followed by the browser inside the htmx
    request, and the login page swapped into the fragment (a second header and h1,
    and what the user typed gone). An htmx request gets `HX-Redirect` instead: the
    whole page goes to the login page, and back after it to the page the user was on
    (`HX-Current-URL`), not to the address the fragment came from (a POST-only one).
    htmx's own request for a whole page it lost from its history cache reads no
    `HX-Redirect`: it follows the plain redirect and shows the login page.
    """

    def handle_no_permission(self, request, view_func):
        htmx = getattr(request, "htmx", None)
        if not htmx or htmx.history_restore_request:
            return super().handle_no_permission(request, view_func)
        login_url = resolve_url(self.get_login_url(view_func))
        page = _current_page(request)
        if not page and request.method == "GET":
            page = request.get_full_path()
        if not page:
            return HttpResponseClientRedirect(login_url)
        to_login = redirect_to_login(page, login_url, self.get_redirect_field_name(view_func))
        return HttpResponseClientRedirect(to_login.url)


def _current_page(request: HttpRequest) -> str:
    """The path and query of the page an htmx request came from, if it is ours."""
    page = request.headers.get("HX-Current-URL", "")
    if not page or not url_has_allowed_host_and_scheme(
        page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    parts = urlsplit(page)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class OncePerSubmissionMiddleware:
    """A form sent twice is saved once (a double click, two tabs, the back button).

    static/js/app.js puts a random key (`_submission`) in every POST form. The first
    request with a key claims it, a `SubmissionKey` row unique on the key, and runs the
    view in the same transaction. A second request with the key waits on the unique
    index until the first commits (PostgreSQL; SQLite serialises writers anyway), finds
    the key taken and is sent where the first answer went, with a message.

    Only an answer that sends the user on (a redirect) keeps the key, or an htmx
    fragment that says it saved (a success message, no warning): a repeat of that one
    reloads the page the user is on. A form shown again with errors, any other
    fragment or a refusal gives it back, so the corrected form can be sent with the
    same key; a server error rolls back the view's writes and the key. A repeat is
    the same key with the same content (`content_digest`); other content under a key
    already used (a form corrected after the back button) is a new submission.
    Requests without a valid key (tests, scripts, a browser without JavaScript) and
    anonymous ones pass through untouched. Must come after the authentication,
    message and htmx middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = _submission_key(request)
        if key is None:
            return self.get_response(request)
        digest = content_digest(request)
        with transaction.atomic():
            if _claim(key, user_id=request.user.pk, digest=digest):
                levels = _record_message_levels(request)
                response = self.get_response(request)
                _settle(request, key, response, levels=levels)
                return response
            first = (
                SubmissionKey.objects.filter(key=key, user_id=request.user.pk)
                .values_list("location", "digest")
                .first()
            )
        if first is None or first[1] != digest:
            # Another user's key (never sent by our pages), one gone in the meantime, or
            # the same form with other content (changed after the back button brought
            # it back): not a repeat, so it is handled as a request without a key.
            return self.get_response(request)
        location, _digest = first
        messages.info(
            request, _("Skjemaet var allerede sendt, og det er lagret én gang."), fail_silently=True
        )
        return _answer_again(request, location)


def _submission_key(request: HttpRequest) -> uuid.UUID | None:
    if request.method != "POST":
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    try:
        return uuid.UUID(request.POST.get(SUBMISSION_FIELD, ""))
    except ValueError:
        return None


def content_digest(request: HttpRequest) -> str:
    """What the form sent, as a digest: every field but the CSRF token and the key,
    and each file's name and size. Kept instead of the content (which may be about a
    child's health)."""
    skip = {"csrfmiddlewaretoken", SUBMISSION_FIELD}
    fields = sorted((name, request.POST.getlist(name)) for name in request.POST if name not in skip)
    files = sorted(
        (name, [(f.name, f.size) for f in request.FILES.getlist(name)]) for name in request.FILES
    )
    return hashlib.sha256(repr((fields, files)).encode()).hexdigest()


def _claim(key: uuid.UUID, *, user_id: int, digest: str) -> bool:
    try:
        with transaction.atomic():
            SubmissionKey.objects.create(
                key=key, user_id=user_id, created_at=timezone.now(), digest=digest
            )
    except IntegrityError:
        return False
    return True


def _settle(
    request: HttpRequest, key: uuid.UUID, response: HttpResponse, *, levels: list[int]
) -> None:
    """Keep the key with the first answer's target, or give it back."""
    if transaction.get_rollback():
        return  # the whole transaction, key and all, is rolled back on the way out
    if response.status_code >= 500:
        # The view raised (Django has turned the exception into this answer): roll
        # back its writes with the key, as if the request had not been made.
        transaction.set_rollback(True)
        return
    location = _redirect_target(response) or _saved_in_place(request, response, levels)
    rows = SubmissionKey.objects.filter(key=key)
    if location and not _refused(levels):
        rows.update(location=location)
    else:
        rows.delete()


def _redirect_target(response: HttpResponse) -> str:
    if 300 <= response.status_code < 400 and response.has_header("Location"):
        return response["Location"]
    # htmx's own redirect (django_htmx's HttpResponseClientRedirect answers 200).
    return response.headers.get("HX-Redirect", "")


def _saved_in_place(request: HttpRequest, response: HttpResponse, levels: list[int]) -> str:
    """An htmx answer that swapped the saved result into the page (a note, a level
    move): the path of the page the user is on, where a repeat is sent; "" for any
    other answer. Saved means a success message and no warning or error."""
    if not getattr(request, "htmx", False) or response.status_code != 200:
        return ""
    if messages.SUCCESS not in levels or _refused(levels):
        return ""
    return _current_page(request)


def _record_message_levels(request: HttpRequest) -> list[int]:
    """The levels of the messages the view adds, in a list filled as it adds them.
    Django has no public way to read this request's messages without consuming them,
    and a page that shows its messages (an htmx fragment) empties the queue, so the
    request's storage notes each level as it is added."""
    levels: list[int] = []
    storage = getattr(request, "_messages", None)
    if storage is None:
        return levels
    add = storage.add

    def recording_add(level, message, extra_tags=""):
        levels.append(level)
        return add(level, message, extra_tags)

    storage.add = recording_add
    return levels


def _refused(levels: list[int]) -> bool:
    """A redirect with a warning or an error (the task was already done, the record
    was removed by someone else) saved nothing: sending the form again must show the
    refusal again, not "it is saved"."""
    return any(level >= messages.WARNING for level in levels)


def _answer_again(request: HttpRequest, location: str) -> HttpResponse:
    htmx = getattr(request, "htmx", False)
    if location:
        return HttpResponseClientRedirect(location) if htmx else HttpResponseRedirect(location)
    # A key kept without an address (`_settle` keeps none so; a safeguard): the first
    # answer is unknown, so stay where the user was, and never run the view twice.
    if htmx:
        return HttpResponse(status=204)
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(referer)
    return HttpResponseRedirect(reverse("home"))
