from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxTask(models.Model):
    """A Celery task to enqueue, written in the same transaction as the change that
    needs it (`fravaer.actions.outbox`): deleted once the broker has it (or, without a
    broker, once it has run in-process); until then the worker's relay sends it. The
    arguments are ids, ISO dates and counts only, as for every task."""

    task = models.CharField(_("oppgave"), max_length=200)
    args = models.JSONField(_("argumenter"), default=list)
    created_at = models.DateTimeField(_("opprettet"))

    class Meta:
        verbose_name = _("oppgave som venter på køen")
        verbose_name_plural = _("oppgaver som venter på køen")
        indexes = [models.Index(fields=["created_at"], name="outboxtask_created_at")]

    def __str__(self) -> str:
        return self.task
