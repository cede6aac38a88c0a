"""Who may do what with a case's plan, its timetable and its evaluations. Built on the
case grant (`cases.access.CaseAccess`): the view asks `case_access_or_404` first (a
user who may not see the case gets 404), then one of these. Everyone who may see the
case may read its plan and documents; those who run the case write them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404

from cases.access import CaseAccess, case_access_or_404


def may_read_plan(grant: CaseAccess) -> bool:
    """Read the agreement, its versions, evaluations and the timetable."""
    return True


def may_edit_plan(grant: CaseAccess) -> bool:
    """Draft, change and agree a version of the plan: those who run the case."""
    return grant.can_manage


def may_record_timetable(grant: CaseAccess) -> bool:
    """Record the pupil's red/yellow/green timetable: those who run the case."""
    return grant.can_manage


def may_record_evaluation(grant: CaseAccess) -> bool:
    """Record an evaluation and carry out its outcome: those who run the case."""
    return grant.can_manage


def may_download_documents(grant: CaseAccess) -> bool:
    """Download the case's documents (agreement, minutes, consent form, evaluation
    report) as PDF: everyone who may see the case."""
    return True


def grant_or_404(user, case_uuid, may: Callable[[CaseAccess], bool]) -> CaseAccess:
    """The case grant when the user may see the case and `may` (one of the questions
    above) says yes; otherwise 404, as for a case the user may not see. One query."""
    grant = case_access_or_404(user, case_uuid)
    if not may(grant):
        raise Http404
    return grant
