"""Changing one's password, and a new one by e-mail (Django's views, our templates)."""

import re

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.conftest import make_user

PASSWORD = "pw-Test-123!"
NEW_PASSWORD = "Sommerferie-i-Lofoten-26"


def _can_log_in(client, username, password) -> bool:
    client.logout()
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


# Change


def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_header_links_to_password_change(client_for, contact_teacher):
    html = client_for(contact_teacher).get(reverse("home")).content.decode()
    assert f'href="{reverse("password_change")}"' in html


def test_password_fields_point_at_help_texts_that_exist(client_for, contact_teacher):
    html = client_for(contact_teacher).get(reverse("password_change")).content.decode()
    described = re.findall(r'aria-describedby="([^"]+)"', html)
    assert described
    for target in described:
        assert f'id="{target}"' in html, target


def test_password_change_takes_the_new_password(client_for, contact_teacher):
    client = client_for(contact_teacher)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Passordet er byttet" in response.content.decode()
    # Still logged in here.
    assert client.get(reverse("home")).status_code == 200
    assert _can_log_in(client, "kontakt@nordby.no", NEW_PASSWORD)
    assert not _can_log_in(client, "kontakt@nordby.no", PASSWORD)


def test_password_change_refuses_a_wrong_old_password_in_norwegian(client_for, contact_teacher):
    response = client_for(contact_teacher).post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    html = response.content.decode()
    assert "Dette må rettes før det kan lagres" in html and "incorrectly" not in html
    contact_teacher.refresh_from_db()
    assert contact_teacher.check_password(PASSWORD)


def test_a_too_short_password_is_refused_in_norwegian(client_for, contact_teacher):
    response = client_for(contact_teacher).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Kx9#", "new_password2": "Kx9#"},
    )
    errors = " ".join(response.context["form"].errors["new_password2"])
    assert "for kort" in errors and "8 tegn" in errors
    assert "short" not in response.content.decode()


def test_every_password_validator_speaks_norwegian(db):
    user = make_user("ola.nordmann@nordby.no")
    for password in ["1234", "ola.nordmann", "password123"]:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            for message in exc.messages:
                assert re.search(r"\b(password|too|is|must)\b", message) is None, message
        else:
            raise AssertionError(f"{password!r} was accepted")


# Reset by e-mail


def _reset_link(message) -> str:
    links = re.findall(r"https?://\S+", message.body)
    assert len(links) == 1
    assert links[0].startswith(settings.SITE_URL + "/")
    return links[0][len(settings.SITE_URL) :]


def test_password_reset_pages_are_public(client):
    assert client.get(reverse("password_reset")).status_code == 200
    assert client.get(reverse("password_reset_done")).status_code == 200
    assert client.get(reverse("password_reset_complete")).status_code == 200


def test_the_login_page_links_to_the_reset(client):
    html = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in html


def test_password_reset_by_e_mail_end_to_end(client, contact_teacher):
    response = client.post(reverse("password_reset"), {"email": "Kontakt@Nordby.no"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [contact_teacher.email]
    assert "Nytt passord" in message.subject
    # The link only: no name, no address, no password in the text.
    assert contact_teacher.first_name not in message.body
    assert contact_teacher.email not in message.body
    link = _reset_link(message)

    # Django swaps the token for a session key before showing the form.
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")
    assert _can_log_in(client, "kontakt@nordby.no", NEW_PASSWORD)

    # The link works once.
    client.logout()
    again = client.get(link, follow=True)
    assert not again.context["validlink"]
    assert "Lenken virker ikke lenger" in again.content.decode()


def test_password_reset_answers_the_same_for_an_unknown_address(client, contact_teacher):
    known = client.post(reverse("password_reset"), {"email": "kontakt@nordby.no"})
    unknown = client.post(reverse("password_reset"), {"email": "ingen@nordby.no"})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mail.outbox] == [["kontakt@nordby.no"]]


def test_password_reset_reaches_a_teacher_the_import_created_without_a_password(client, db):
    """The README: a contact teacher the roster import creates has no usable password
    and signs in after a password reset."""
    teacher = make_user("ny.laerer@nordby.no")
    teacher.set_unusable_password()
    teacher.save(update_fields=["password"])
    client.post(reverse("password_reset"), {"email": "ny.laerer@nordby.no"})
    link = _reset_link(mail.outbox[0])
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert _can_log_in(client, "ny.laerer@nordby.no", NEW_PASSWORD)


def test_password_reset_sends_nothing_to_an_inactive_user(client, db):
    make_user("sluttet@nordby.no", is_active=False)
    client.post(reverse("password_reset"), {"email": "sluttet@nordby.no"})
    assert mail.outbox == []
