"""The documents read in a fixed number of queries: the count does not grow with the
number of versions, goals, measures, steps or reviews."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_pupil
from tests.factories import (
    make_document_case,
    make_document_evaluation,
    make_document_version,
    make_held_meeting,
)

pytestmark = pytest.mark.django_db


def _plan(pupil, by, *, versions, measures, goals):
    case = make_document_case(pupil, by=by)
    previous = None
    for n in range(1, versions + 1):
        status = "agreed" if n == versions else "superseded"
        previous = make_document_version(
            case, by=by, number=n, status=status, measures=measures, goals=goals, based_on=previous
        )
    return case, previous


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def test_agreement_queries_do_not_grow_with_versions_or_measures(
    client_for, group, contact_teacher, django_assert_num_queries
):
    client = client_for(contact_teacher)
    small, _ = _plan(make_pupil(group), contact_teacher, versions=1, measures=1, goals=1)
    large, _ = _plan(make_pupil(group), contact_teacher, versions=3, measures=9, goals=4)
    client.get(reverse("plans_documents:agreement", args=[small.uuid]))  # warm the session
    few = _count(client, reverse("plans_documents:agreement", args=[small.uuid]))
    with django_assert_num_queries(few):
        client.get(reverse("plans_documents:agreement", args=[large.uuid]))


def test_evaluation_queries_do_not_grow_with_measures(
    client_for, group, contact_teacher, django_assert_num_queries
):
    client = client_for(contact_teacher)
    urls = []
    for versions, measures, goals in ((1, 1, 1), (3, 9, 4)):
        case, version = _plan(
            make_pupil(group), contact_teacher, versions=versions, measures=measures, goals=goals
        )
        evaluation = make_document_evaluation(case, version, by=contact_teacher)
        urls.append(reverse("plans_documents:evaluation", args=[case.uuid, evaluation.uuid]))
    client.get(urls[0])
    few = _count(client, urls[0])
    with django_assert_num_queries(few):
        client.get(urls[1])


def test_case_page_documents_panel_queries_do_not_grow(
    client_for, group, contact_teacher, django_assert_num_queries
):
    client = client_for(contact_teacher)
    small, _ = _plan(make_pupil(group), contact_teacher, versions=1, measures=1, goals=1)
    large, version = _plan(make_pupil(group), contact_teacher, versions=3, measures=3, goals=1)
    for _ in range(2):
        make_held_meeting(large, by=contact_teacher)
        make_document_evaluation(large, version, by=contact_teacher)
    page = reverse("cases:case", args=[small.uuid])
    client.get(page)
    few = _count(client, page)
    with django_assert_num_queries(few):
        response = client.get(reverse("cases:case", args=[large.uuid]))
    html = response.content.decode()
    assert html.count("/dokumenter/samarbeidsavtale/") == 3
    assert html.count("/dokumenter/evaluering/") == 2
    assert html.count("/dokumenter/referat/") == 2
    assert 'for="blank-consent-service"' in html
