"""The refusals of the staircase: what a case action raises when a rule is broken, and
what the case pages catch to show the user (with what they typed kept)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CaseRuleError(ValidationError):
    """A rule of the staircase was broken; `code` names it, the message says what to do."""


class CaseChanged(CaseRuleError):
    """Someone else changed the case after the user loaded it."""

    def __init__(self):
        super().__init__(
            _(
                "Saken er endret av noen andre mens du arbeidet med den. Det du skrev er "
                "tatt vare på nedenfor: se over endringene i saken og lagre på nytt."
            ),
            code="case_changed",
        )
