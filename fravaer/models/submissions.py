"""Submitted forms, so that a form sent twice (a double click, a retry, the back button)
is saved once. `fravaer.middleware.OncePerSubmissionMiddleware` writes and reads them."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from fravaer.models.people import User

# A key is remembered this long; after that the row is purged (`expired`).
SUBMISSION_KEY_LIFETIME = dt.timedelta(hours=24)


class SubmissionKeyQuerySet(models.QuerySet["SubmissionKey"]):
    def expired(self, now: dt.datetime) -> SubmissionKeyQuerySet:
        return self.filter(created_at__lt=now - SUBMISSION_KEY_LIFETIME)


class SubmissionKey(models.Model):
    """One form submission: the random key the browser put in the form (`_submission`),
    who sent it, and where the first answer sent them. Nothing else: the location is a
    path of this site, whose URLs carry only opaque ids."""

    key = models.UUIDField(_("nøkkel"))
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("sendt"))
    # Empty until the first answer is a redirect; then where it went.
    location = models.TextField(_("sendt videre til"), blank=True)
    # A digest of what was sent (`fravaer.middleware.content_digest`): the same key
    # with other content (a form changed after coming back to it) is a new submission.
    digest = models.CharField(_("innhold"), max_length=64, blank=True)

    objects = SubmissionKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("innsendt skjema")
        verbose_name_plural = _("innsendte skjemaer")
        constraints = [
            # A second request with the same key waits here until the first commits.
            models.UniqueConstraint(fields=["key"], name="submissionkey_one_per_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="submissionkey_created_at")]

    def __str__(self) -> str:
        return str(self.key)


class RegisterTaken(models.Model):
    """A class register saved for a school day (`save_class_register`), with nobody
    absent as much as with absence: the contact teacher's week lists the school days
    of their classes without one (`queries.week_summary`). The first save counts."""

    group = models.ForeignKey(
        "fravaer.Group", on_delete=models.CASCADE, related_name="registers_taken"
    )
    date = models.DateField(_("dato"))
    taken_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    taken_at = models.DateTimeField(_("registrert"))

    class Meta:
        verbose_name = _("registrering tatt")
        verbose_name_plural = _("registreringer tatt")
        constraints = [
            models.UniqueConstraint(fields=["group", "date"], name="registertaken_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.date}"
