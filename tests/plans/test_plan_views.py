"""The plan's pages: who may see and write them (anonymous → login, another school,
PPT without a referral, a role that ended → 404; a reader without edit rights gets 404
on the editor and every POST), the editor's happy paths and refusals, and query counts
that do not grow with the number of versions and measures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.actions.consent import refer_to_ppt
from cases.actions.core import open_case
from cases.models import CaseAccessLog, CaseEvent
from fravaer.models import TeachingAssignment
from plans.models import Agreement, Goal, Measure, PlanVersion
from tests.conftest import TODAY, make_pupil
from tests.factories import PLAN_MEASURES, at_level, give, make_plan, next_plan_version

pytestmark = pytest.mark.django_db


def url(name, case, *rest):
    return reverse(f"plans:{name}", args=[case.uuid, *rest])


def read_urls(case):
    return [url("plan", case), url("version", case, 1), url("compare", case)]


def edit_get_urls(case, measure):
    return [
        url("draft", case),
        url("measure_new", case),
        url("measure", case, measure.pk),
        url("agree", case),
    ]


def post_urls(case, measure):
    return [
        url("start", case),
        url("next", case),
        url("draft", case),
        url("measure_new", case),
        url("measure", case, measure.pk),
        url("tapering_step", case, measure.pk),
        url("remove", case),
        url("add", case, "delmal"),
        url("agree", case),
    ]


@pytest.fixture
def plan(case, contact_teacher):
    """Version 1 agreed, version 2 drafted."""
    first = make_plan(case, by=contact_teacher)
    next_plan_version(first, agree=False)
    return first


def draft_measure(case):
    return Measure.objects.filter(version__agreement__case=case, version__status="draft").first()


def assert_all_404(client, case, *, gets, posts):
    for u in gets:
        assert client.get(u).status_code == 404, u
    for u in posts:
        assert client.post(u, {"revision": 1, "long_term_goal": "x"}).status_code == 404, u


def test_anonymous_is_sent_to_login(client, case, plan):
    measure = draft_measure(case)
    for u in read_urls(case) + edit_get_urls(case, measure):
        response = client.get(u)
        assert response.status_code == 302 and "/logg-inn/" in response["Location"], u
    for u in post_urls(case, measure):
        assert client.post(u).status_code == 302, u


def test_staff_of_another_school_gets_404(client_for, case, plan, outsider):
    measure = draft_measure(case)
    assert_all_404(
        client_for(outsider),
        case,
        gets=read_urls(case) + edit_get_urls(case, measure),
        posts=post_urls(case, measure),
    )


def test_ppt_without_referral_gets_404(client_for, case, plan, ppt_advisor):
    measure = draft_measure(case)
    assert_all_404(
        client_for(ppt_advisor),
        case,
        gets=read_urls(case) + edit_get_urls(case, measure),
        posts=post_urls(case, measure),
    )


def test_contact_teacher_whose_role_ended_gets_404(client_for, case, plan, contact_teacher):
    TeachingAssignment.objects.filter(user=contact_teacher).update(
        valid_to=TODAY - dt.timedelta(days=1)
    )
    measure = draft_measure(case)
    assert_all_404(
        client_for(contact_teacher),
        case,
        gets=read_urls(case) + edit_get_urls(case, measure),
        posts=post_urls(case, measure),
    )
    assert not CaseAccessLog.objects.filter(case=case, user=contact_teacher).exists()


def test_referred_ppt_reads_the_plan_but_gets_404_on_the_editor_and_posts(
    client_for, case, plan, contact_teacher, ppt_advisor
):
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    client = client_for(ppt_advisor)
    for u in read_urls(case):
        assert client.get(u).status_code == 200, u
    page = client.get(url("plan", case)).content.decode()
    assert "Endre planen" not in page and "Arbeid med utkastet" not in page
    measure = draft_measure(case)
    revision = PlanVersion.objects.get(agreement__case=case, status="draft").revision
    assert_all_404(client, case, gets=edit_get_urls(case, measure), posts=post_urls(case, measure))
    assert PlanVersion.objects.get(agreement__case=case, status="draft").revision == revision
    log = CaseAccessLog.objects.filter(case=case, user=ppt_advisor).first()
    assert (log.basis, log.what) == ("ppt_referral", "plan")


def test_case_page_offers_to_start_the_agreement_at_niva_1(client_for, case, contact_teacher):
    page = client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid]))
    assert "Lag samarbeidsavtale" in page.content.decode()


def test_case_page_explains_to_readers_who_may_not_start_it(
    client_for, case, contact_teacher, ppt_advisor
):
    give(case, contact_teacher)
    refer_to_ppt(case, reason="Pedagogisk analyse", by=contact_teacher)
    page = client_for(ppt_advisor).get(reverse("cases:case", args=[case.uuid])).content.decode()
    assert "Lag samarbeidsavtale" not in page
    assert "Saken har ingen samarbeidsavtale ennå" in page


def test_case_page_shows_the_plan_summary(client_for, case, contact_teacher):
    make_plan(case, by=contact_teacher)
    page = client_for(contact_teacher).get(reverse("cases:case", args=[case.uuid])).content.decode()
    assert "Versjon 1: Avtalt" in page
    assert "Eleven går på skolen hver dag og trives." in page
    assert "Møter i biblioteket kl. 09.30 hver dag" in page
    assert "tomt – ingen tiltak" in page  # leisure is empty
    assert "Evalueringsdato: 09.12.2026." in page


def test_start_draft_and_agree_through_the_pages(client_for, case, contact_teacher, pupil):
    client = client_for(contact_teacher)
    response = client.post(url("start", case))
    assert response.status_code == 302 and response["Location"] == url("draft", case)
    draft = PlanVersion.objects.get(agreement__case=case)
    response = client.post(
        url("draft", case),
        {
            "revision": draft.revision,
            "long_term_goal": "Går på skolen",
            "evaluation_date": "2026-12-09",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    client.post(
        url("add", case, "delmal"),
        {
            "goal-revision": draft.revision,
            "goal-text": "Møter tre dager",
            "goal-target_date": "2026-12-09",
        },
    )
    draft.refresh_from_db()
    response = client.post(
        url("measure_new", case),
        {
            "revision": draft.revision,
            "what": "Møter i biblioteket",
            "arena": "school",
            "responsible": "staff",
            "responsible_staff": contact_teacher.pk,
            "starts_on": "2026-11-18",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Goal.objects.filter(version=draft).count() == 1
    response = client.post(
        url("agree", case),
        {
            "agreed_on": "2026-11-18",
            "evaluation_date": "2026-12-09",
            "pupil_took_part": "on",
            "guardians": [g.pk for g in pupil.guardians.all()],
            "staff": [contact_teacher.pk],
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "agreed"
    assert CaseEvent.objects.filter(case=case, kind="plan_agreed").exists()


def test_stale_draft_save_keeps_what_was_typed(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    client.post(url("start", case))
    draft = PlanVersion.objects.get(agreement__case=case)
    stale = draft.revision
    client.post(url("draft", case), {"revision": stale, "long_term_goal": "Først"})
    response = client.post(url("draft", case), {"revision": stale, "long_term_goal": "Mitt mål"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "endret av noen andre" in body and "Mitt mål" in body
    assert f'name="revision" value="{stale + 1}"' in body
    assert PlanVersion.objects.get(pk=draft.pk).long_term_goal == "Først"


def test_measure_with_staff_responsible_needs_the_staff_member(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    client.post(url("start", case))
    draft = PlanVersion.objects.get(agreement__case=case)
    response = client.post(
        url("measure_new", case),
        {
            "revision": draft.revision,
            "what": "Samtale hver uke",
            "arena": "school",
            "responsible": "staff",
            "starts_on": "2026-11-18",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Velg en ansatt som har tilgang til saken." in body
    assert "Samtale hver uke" in body
    assert 'aria-describedby="id_responsible_staff-hint id_responsible_staff-err"' in body


def test_agree_page_lists_what_is_missing(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    client.post(url("start", case))
    body = client.get(url("agree", case)).content.decode()
    assert "Legg til minst ett tiltak." in body
    response = client.post(
        url("agree", case),
        {"agreed_on": "2026-11-18", "evaluation_date": "2026-12-09", "pupil_took_part": "on"},
    )
    assert response.status_code == 200
    assert "Legg til minst ett tiltak." in response.content.decode()
    assert PlanVersion.objects.get(agreement__case=case).status == "draft"


def test_plan_page_shows_tapering_position_and_empty_arena(client_for, case, contact_teacher):
    make_plan(case, by=contact_teacher)
    body = client_for(contact_teacher).get(url("plan", case)).content.decode()
    assert "Trinn 1 av 2 (fra 18.11.2026)" in body
    assert "Fritid</strong>:" in body and "tomt – ingen tiltak" in body


def test_next_version_from_the_plan_page_and_refused_while_a_draft_exists(
    client_for, case, contact_teacher
):
    make_plan(case, by=contact_teacher)
    client = client_for(contact_teacher)
    assert client.post(url("next", case)).status_code == 302
    response = client.post(url("next", case), follow=True)
    assert "Det finnes allerede et utkast (versjon 2)" in response.content.decode()
    assert PlanVersion.objects.filter(agreement__case=case).count() == 2


def test_compare_says_what_changed_in_words(client_for, case, contact_teacher):
    first = make_plan(case, by=contact_teacher)
    draft = next_plan_version(first, agree=False)
    measure = draft.measures.order_by("order").first()
    Measure.objects.filter(pk=measure.pk).update(when="Hver dag kl. 09.30")
    Measure.objects.create(
        version=draft,
        what="Fotballtrening tirsdag",
        arena="leisure",
        responsible="pupil",
        starts_on=TODAY,
    )
    body = client_for(contact_teacher).get(url("compare", case) + "?fra=1&til=2").content.decode()
    assert "Endret</strong>: når og hvor ofte" in body
    assert "Nytt</strong>" in body and "Fotballtrening tirsdag" in body


def _versions_with_measures(case, by, versions, measures):
    version = make_plan(case, by=by, measures=measures)
    for _n in range(versions - 1):
        version = next_plan_version(version)
    next_plan_version(version, agree=False)


PAGES = {
    "plan": lambda case: url("plan", case),
    "compare": lambda case: url("compare", case),
    "draft": lambda case: url("draft", case),
    "version": lambda case: url("version", case, 1),
    "case_page": lambda case: reverse("cases:case", args=[case.uuid]),
}


@pytest.mark.parametrize("page", PAGES)
def test_query_count_does_not_grow_with_versions_and_measures(
    client_for, case, contact_teacher, pupil, group, django_assert_num_queries, page
):
    small, large = (
        case,
        at_level(
            open_case(make_pupil(group), school=group.school, concern="Fravær", by=contact_teacher),
            "1",
            by=contact_teacher,
        ),
    )
    _versions_with_measures(small, contact_teacher, versions=1, measures=1)
    # Six measures on three arenas, two of them special arrangements with tapering steps.
    _versions_with_measures(large, contact_teacher, versions=3, measures=PLAN_MEASURES * 2)
    client = client_for(contact_teacher)
    client.get(PAGES[page](small))  # the session is loaded once, before counting
    with CaptureQueriesContext(connection) as small_page:
        assert client.get(PAGES[page](small)).status_code == 200
    with django_assert_num_queries(len(small_page.captured_queries)):
        assert client.get(PAGES[page](large)).status_code == 200


def test_agreement_is_one_per_case(client_for, case, contact_teacher):
    client = client_for(contact_teacher)
    client.post(url("start", case))
    client.post(url("start", case))
    assert Agreement.objects.filter(case=case).count() == 1


def test_draft_lists_failed_measures_at_the_top_and_asks_why_reused(
    client_for, case, contact_teacher
):
    from django.utils import timezone

    from plans.models import Evaluation, MeasureReview

    first = make_plan(case, by=contact_teacher)
    failed = first.measures.order_by("order").first()
    evaluation = Evaluation.objects.create(
        case=case,
        version=first,
        held_on=TODAY,
        form="meeting",
        pupil_view="Det hjalp ikke.",
        outcome="revise",
        outcome_reason="Nye tiltak",
        recorded_by=contact_teacher,
        recorded_at=timezone.now(),
    )
    MeasureReview.objects.create(
        evaluation=evaluation, measure=failed, result="did_not_work", why="Eleven kom ikke"
    )
    draft = next_plan_version(first, agree=False)
    client = client_for(contact_teacher)
    body = client.get(url("draft", case)).content.decode()
    top = body.index("Tiltak som ikke virket")
    assert top < body.index("Klar til å avtales?")
    assert "Eleven kom ikke" in body[top:]
    copy = draft.measures.get(continues=failed)
    assert "Er med i utkastet uten begrunnelse." in body
    assert f'href="{url("measure", case, copy.pk)}"' in body
    response = client.post(
        url("measure", case, copy.pk),
        {
            "revision": draft.revision,
            "what": copy.what,
            "arena": copy.arena,
            "responsible": "staff",
            "responsible_staff": contact_teacher.pk,
            "starts_on": "2026-11-18",
        },
    )
    assert response.status_code == 200
    assert "Eleven skal ikke utsettes igjen og igjen" in response.content.decode()
    assert 'id="id_reuse_reason"' in response.content.decode()


def test_remove_a_measure_from_the_draft_and_refuse_a_stale_remove(
    client_for, case, contact_teacher
):
    draft = make_plan(case, by=contact_teacher, agreed=False)
    first, second = draft.measures.order_by("order")[:2]
    client = client_for(contact_teacher)
    post = {"revision": draft.revision, "kind": "measure", "item": first.pk}
    assert client.post(url("remove", case), post).status_code == 302
    assert not Measure.objects.filter(pk=first.pk).exists()
    stale = {"revision": draft.revision, "kind": "measure", "item": second.pk}
    response = client.post(url("remove", case), stale, follow=True)
    assert "endret av noen andre" in response.content.decode()
    assert Measure.objects.filter(pk=second.pk).exists()
