"""The refusals of the measure plan: what a plan action raises when a rule is broken.
They are the staircase's refusals (`cases.errors.CaseRuleError`), so the forms show
them at their field (`rule_fields`) with what was typed kept."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cases.errors import CaseRuleError


class PlanRuleError(CaseRuleError):
    """A rule of the measure plan was broken; `code` names it."""


class PlanChanged(PlanRuleError):
    """Someone else saved the draft after the user loaded it (optimistic locking on
    `PlanVersion.revision`)."""

    def __init__(self):
        super().__init__(
            _(
                "Utkastet er endret av noen andre mens du arbeidet med det. Det du skrev er "
                "tatt vare på nedenfor: se over utkastet og lagre på nytt."
            ),
            code="plan_changed",
        )
