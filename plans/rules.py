"""The plan's rules that both the editor and the evaluation follow (pure; no writes)."""

from __future__ import annotations

from cases.models import Deadline, Level

# The deadline an agreed plan starts and an evaluation meets, by the case's level:
# nivå 1's "Evaluering av tiltaksplanen" (3 weeks), 2A's evaluation (2–3 weeks) and
# 2B's evaluation of measures (3 weeks), each from the municipality's settings.
EVALUATION_DEADLINE: dict[str, str] = {
    Level.NIVA_1: Deadline.Kind.PLAN_EVALUATION,
    Level.NIVA_2A: Deadline.Kind.EVALUATION_2A,
    Level.NIVA_2B: Deadline.Kind.EVALUATION_2B,
}

# A case has a cooperation agreement from nivå 1 on.
PLAN_LEVELS = frozenset(EVALUATION_DEADLINE)
