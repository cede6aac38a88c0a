"""The contact teacher's start page as a compact list: one card a pupil with a summary,
the most pressing flag open and the rest folded one line a rule; acknowledging on a
card answers with the card as it is now; a case does not open from a settled flag."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.errors import CaseRuleError
from cases.models import Case
from fravaer.models import Flag
from tests.cases.conftest import make_case
from tests.conftest import make_pupil
from tests.factories import make_flag
from tests.pages import ack_url, html_of, query_count

HTMX = {"HX-Request": "true"}


def month_flag(pupil, rule, month: int, **extra) -> Flag:
    first = dt.date(2026, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return make_flag(
        pupil, rule, period_key=f"2026-{month:02d}", period_start=first, period_end=last, **extra
    )


def undocumented_flag(pupil, day=17) -> Flag:
    date = dt.date(2026, 11, day)
    return make_flag(
        pupil, "undocumented", period_key=f"record:{day}", period_start=date, period_end=date
    )


def many_flags(pupil) -> dict[str, Flag]:
    """Five flags, the months of one rule raised last, so newest-first would put them on
    top: the card still opens the undocumented absence."""
    now = timezone.now()
    flags = {
        "undocumented": undocumented_flag(pupil),
        "year": make_flag(
            pupil,
            "year_days_notice",
            period_key="2026-2027",
            period_start=dt.date(2026, 8, 1),
            period_end=dt.date(2027, 7, 31),
            raised_at=now - dt.timedelta(days=2),
        ),
    }
    for month in (11, 9, 10):
        flags[f"month-{month}"] = month_flag(pupil, "month_days", month, raised_at=now)
    return flags


def card_of(html: str, pupil) -> str:
    start = html.index(f'id="elev-{pupil.uuid}"')
    return html[start : html.find('class="ds-card flagged-pupil"', start + 1) % len(html)]


def folded_part(card: str) -> str:
    return card[card.index('class="ds-details flag-more"') :]


def test_a_card_sums_up_the_flags_and_names_the_rules(client_for, contact_teacher, pupil):
    many_flags(pupil)
    html = html_of(client_for(contact_teacher).get(reverse("home")))
    card = card_of(html, pupil)
    assert "<strong>5 aktive varsler</strong>, sist varslet 18.11.2026" in card
    # The rules in a span a phone hides (they are listed under "Vis … til" anyway).
    assert (
        '<span class="flag-summary__rules">: Udokumentert fravær, Dager i en måned (3), '
        "Dager i skoleåret (tidlig varsel)</span>"
    ) in card


def test_a_card_opens_the_most_pressing_flag_and_folds_the_rest(client_for, contact_teacher, pupil):
    flags = many_flags(pupil)
    response = client_for(contact_teacher).get(reverse("home"))
    entry = response.context["flagged_pupils"][0]
    assert entry.shown == [flags["undocumented"]]
    assert entry.folded_count == 4
    card = card_of(html_of(response), pupil)
    folded = folded_part(card)
    assert "Vis 4 varsler til" in folded
    assert f'id="flag-{flags["undocumented"].pk}"' not in folded
    assert f'id="flag-{flags["undocumented"].pk}"' in card


def test_a_rules_months_read_as_one_line_in_calendar_order(client_for, contact_teacher, pupil):
    flags = many_flags(pupil)
    folded = folded_part(card_of(html_of(client_for(contact_teacher).get(reverse("home"))), pupil))
    line = folded[folded.index("<strong>Dager i en måned:</strong>") :]
    months = re.findall(r"<summary>(\w+ 2026)<span", line)[:3]
    assert months == ["september 2026", "oktober 2026", "november 2026"]
    # Each month's flag can still be acknowledged (and opens a case) on its own.
    for month in (9, 10, 11):
        flag = flags[f"month-{month}"]
        assert ack_url(flag) in folded
        assert f'name="flag" value="{flag.pk}"' in folded


def test_a_card_with_two_flags_shows_both_and_folds_nothing(client_for, contact_teacher, pupil):
    undocumented_flag(pupil)
    month_flag(pupil, "month_late", 10)
    html = html_of(client_for(contact_teacher).get(reverse("home")))
    card = card_of(html, pupil)
    assert "flag-more" not in card and "varsler til" not in card
    assert card.count('class="flag-open"') == 2


def test_the_start_page_queries_do_not_grow_with_flags_per_pupil(
    client_for, contact_teacher, group, pupil
):
    client = client_for(contact_teacher)
    undocumented_flag(pupil)
    few = query_count(client, reverse("home"))
    many_flags(make_pupil(group, first="Kari"))
    for i in range(5):
        other = make_pupil(group, first=f"Elev{i}")
        for month in (8, 9, 10, 11):
            month_flag(other, "month_hours", month)
    assert query_count(client, reverse("home")) == few


# --- acknowledging on a card -------------------------------------------------------------


def ack_on_card(client, flag, *, reason="snakket med mor", **extra):
    target = {"HX-Target": f"elev-{flag.pupil.uuid}", **HTMX}
    data = {"reason": reason, "next": reverse("home"), **extra}
    return client.post(ack_url(flag), data, headers=target)


def test_the_card_form_swaps_the_whole_card(client_for, contact_teacher, pupil):
    undocumented_flag(pupil)
    html = html_of(client_for(contact_teacher).get(reverse("home")))
    assert f'hx-target="#elev-{pupil.uuid}"' in html


def test_acknowledging_on_a_card_answers_with_the_card_without_the_flag(
    client_for, contact_teacher, pupil
):
    flag = undocumented_flag(pupil)
    other = month_flag(pupil, "month_late", 10)
    response = ack_on_card(client_for(contact_teacher), flag)
    html = html_of(response)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<li class="ds-card flagged-pupil" id="elev-{pupil.uuid}">')
    assert "Varselet er kvittert ut." in html and "data-focus-on-load" in html
    assert "<strong>1 aktivt varsel</strong>" in html
    # What no longer applies is gone: the flag, its acknowledge form, its "Opprett sak".
    assert f'id="flag-{flag.pk}"' not in html and ack_url(flag) not in html
    assert f'name="flag" value="{flag.pk}"' not in html
    assert ack_url(other) in html and f'name="flag" value="{other.pk}"' in html


def test_acknowledging_the_last_flag_leaves_the_status_where_the_card_was(
    client_for, contact_teacher, pupil
):
    flag = undocumented_flag(pupil)
    html = html_of(ack_on_card(client_for(contact_teacher), flag))
    assert f'id="elev-{pupil.uuid}"' in html
    assert "Varselet er kvittert ut." in html and "data-focus-on-load" in html
    assert f"{pupil.full_name} har ingen flere aktive varsler." in html
    assert reverse("cases:case_open", args=[pupil.uuid]) not in html
    assert "Kvitter ut" not in html


def test_acknowledging_a_folded_flag_keeps_the_rest_open(client_for, contact_teacher, pupil):
    flags = many_flags(pupil)
    html = html_of(ack_on_card(client_for(contact_teacher), flags["month-9"], vis_alle="1"))
    assert '<details class="ds-details flag-more" open>' in html
    assert "Vis 3 varsler til" in html


def test_acknowledging_the_open_flag_leaves_the_rest_folded(client_for, contact_teacher, pupil):
    flags = many_flags(pupil)
    html = html_of(ack_on_card(client_for(contact_teacher), flags["undocumented"]))
    assert '<details class="ds-details flag-more">' in html


def test_a_refused_reason_on_a_card_swaps_only_the_flag(client_for, contact_teacher, pupil):
    flag = undocumented_flag(pupil)
    response = ack_on_card(client_for(contact_teacher), flag, reason=" ", vis_alle="1")
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#flag-{flag.pk}"
    html = html_of(response)
    assert "Skriv en kort begrunnelse." in html
    # The next try still answers with the card, and keeps the folded list open.
    assert f'hx-target="#elev-{pupil.uuid}"' in html
    assert '<input type="hidden" name="vis_alle" value="1">' in html
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACTIVE


def test_acknowledging_without_javascript_still_goes_back_to_the_start_page(
    client_for, contact_teacher, pupil
):
    flag = undocumented_flag(pupil)
    response = client_for(contact_teacher).post(
        ack_url(flag), {"reason": "ok", "next": reverse("home"), "vis_alle": "1"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_another_schools_teacher_cannot_acknowledge_on_a_card(client_for, outsider, pupil):
    flag = undocumented_flag(pupil)
    assert ack_on_card(client_for(outsider), flag).status_code == 404
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACTIVE


def test_the_card_needs_a_login(client, pupil):
    flag = undocumented_flag(pupil)
    response = ack_on_card(client, flag)
    assert response.status_code in (302, 401, 403) or "HX-Redirect" in response


# --- no case from a settled flag -----------------------------------------------------------


def acknowledged(flag, by) -> Flag:
    Flag.objects.filter(pk=flag.pk).update(
        status=Flag.Status.ACKNOWLEDGED,
        acknowledged_by=by,
        acknowledged_at=timezone.now(),
        acknowledgement="snakket med mor",
    )
    flag.refresh_from_db()
    return flag


@pytest.mark.parametrize("status", ["acknowledged", "cleared"])
def test_open_case_refuses_a_flag_that_is_no_longer_active(pupil, contact_teacher, status):
    if status == "acknowledged":
        flag = acknowledged(make_flag(pupil), contact_teacher)
    else:
        flag = make_flag(pupil, status=status, cleared_at=timezone.now())
    with pytest.raises(CaseRuleError) as exc:
        make_case(pupil, by=contact_teacher, flag=flag)
    assert exc.value.code == "case_flag_not_active"
    assert not Case.objects.filter(pupil=pupil).exists()


def test_open_case_refuses_a_flag_acknowledged_after_the_page_was_loaded(
    client_for, contact_teacher, leader, pupil
):
    flag = undocumented_flag(pupil)
    client = client_for(contact_teacher)
    client.get(reverse("home"))
    acknowledged(flag, leader)
    response = client.post(
        reverse("cases:case_open", args=[pupil.uuid]),
        {"flag": flag.pk, "concern": flag.explanation()},
    )
    assert response.status_code == 200
    html = html_of(response)
    assert "Varselet er ikke lenger aktivt" in html
    assert 'role="alert" data-focus-on-load' in html
    assert not Case.objects.filter(pupil=pupil).exists()


def test_open_case_from_an_active_flag_still_works(client_for, contact_teacher, pupil):
    flag = undocumented_flag(pupil)
    response = client_for(contact_teacher).post(
        reverse("cases:case_open", args=[pupil.uuid]),
        {"flag": flag.pk, "concern": flag.explanation()},
    )
    case = Case.objects.get(pupil=pupil)
    assert response.status_code == 302
    assert list(case.case_flags.values_list("flag_id", flat=True)) == [flag.pk]


def test_open_case_holds_the_flag_active_until_the_case_is_in(pupil, contact_teacher):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    flag = undocumented_flag(pupil)
    with CaptureQueriesContext(connection) as ctx:
        make_case(pupil, by=contact_teacher, flag=flag)
    locks = [q["sql"] for q in ctx.captured_queries if '"fravaer_flag"' in q["sql"]]
    if connection.features.has_select_for_update:
        assert any("FOR UPDATE" in sql for sql in locks)
