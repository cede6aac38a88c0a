"""The rules' sources are translated when shown, like the deadlines' sources: a string
fixed at import would stay Norwegian on the English rules page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import _trans

from fravaer.thresholds import RULE_LIST


@pytest.fixture
def marked_gettext(monkeypatch):
    """Every translated string comes out wrapped in ‹ ›, so an untranslated one shows."""
    gettext = _trans.gettext
    monkeypatch.setattr(_trans, "gettext", lambda message: f"‹{gettext(message)}›")


def test_every_rule_source_is_translated_when_read(marked_gettext):
    for rule in RULE_LIST:
        source = str(rule.source)
        parts = source.split("; ")
        assert all(p.startswith("‹") and p.endswith("›") for p in parts), (rule.code, source)


def test_rule_sources_keep_the_norwegian_text():
    with translation.override("nb"):
        sources = {str(rule.source) for rule in RULE_LIST}
    assert "Færder kommune, nivåene 0, 1, 2A og 2B" in sources
    assert (
        "Søndre Land kommune, Rutine fraværsoppfølging (2025); "
        "Harstad kommune, rutine for fraværsoppfølging"
    ) in sources
    with translation.override("en"):
        english = {str(rule.source) for rule in RULE_LIST}
    assert "Færder municipality, levels 0, 1, 2A and 2B" in english


def test_rules_page_shows_sources_in_the_active_language(
    client_for, municipal_admin, municipality, marked_gettext
):
    url = reverse("municipality_rules", args=[municipality.pk])
    html = client_for(municipal_admin).get(url).content.decode()
    assert "‹Færder kommune, nivåene 0, 1, 2A og 2B›" in html
    assert "‹Søndre Land kommune, Rutine fraværsoppfølging (2025)›" in html
