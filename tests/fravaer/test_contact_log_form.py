"""The contact log's error summary lists the fields in the order the page shows them."""

from __future__ import annotations

import re

from django.urls import reverse


def test_contact_log_error_summary_follows_the_page_order(client_for, contact_teacher, pupil):
    response = client_for(contact_teacher).post(
        reverse("contact_log", args=[pupil.uuid]),
        {"contacted_at": "", "channel": "phone", "counterpart": "guardian", "summary": ""},
    )
    html = response.content.decode()
    summary, form = html.split('<div class="form-grid">', 1)
    linked = re.findall(r'<li><a class="ds-link" href="#([^"]+)">', summary)
    assert linked == ["id_contacted_at", "id_outcome", "id_summary"]
    on_page = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', form)
    assert [i for i in on_page if i in linked] == linked
