"""One open case per pupil and school holds when two people open a case at the same
moment: the named constraint `case_one_open_per_pupil_school` lets one through, the
other gets a clear refusal. Needs real concurrent transactions, so PostgreSQL (CI runs it)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from cases.actions.core import open_case
from cases.errors import CaseRuleError
from cases.models import Case
from tests.conftest import needs_concurrent_transactions

pytestmark = needs_concurrent_transactions


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_opens_make_exactly_one_case(pupil, school, contact_teacher, team_member):
    barrier = threading.Barrier(2)
    outcomes: list = []
    lock = threading.Lock()

    def open_it(user):
        try:
            barrier.wait(timeout=10)
            case = open_case(pupil, school=school, concern="Mye fravær.", by=user)
            result = ("opened", case.pk)
        except CaseRuleError as exc:
            result = ("refused", exc.code)
        except Exception as exc:  # anything else fails the test below
            result = ("error", repr(exc))
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=open_it, args=(u,)) for u in (contact_teacher, team_member)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(kind for kind, _ in outcomes) == ["opened", "refused"]
    assert ("refused", "case_already_open") in outcomes
    assert Case.objects.filter(pupil=pupil, status="open").count() == 1
