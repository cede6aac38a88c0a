import os
import subprocess
import sys

import pytest
from django.urls import reverse


def test_login_page_is_public_and_norwegian(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="nb"' in html and "Logg inn" in html


def test_login_with_bad_password_says_so(client, contact_teacher):
    response = client.post(reverse("login"), {"username": "kontakt@nordby.no", "password": "x"})
    assert response.status_code == 200
    assert "Feil brukernavn eller passord" in response.content.decode()
    assert 'value="kontakt@nordby.no"' in response.content.decode()


def test_login_then_contact_teacher_lands_on_their_classes(client, contact_teacher, group):
    response = client.post(
        reverse("login"),
        {"username": "kontakt@nordby.no", "password": "pw-Test-123!"},
        follow=True,
    )
    html = response.content.decode()
    assert "Mine klasser (kontaktlærer)" in html
    assert reverse("register", args=[group.pk]) in html


def test_login_takes_the_address_however_it_is_capitalised(client, contact_teacher):
    response = client.post(
        reverse("login"), {"username": " Kontakt@Nordby.no ", "password": "pw-Test-123!"}
    )
    assert response.status_code == 302
    # The password is still exact.
    client.logout()
    response = client.post(
        reverse("login"), {"username": "Kontakt@Nordby.no", "password": "PW-test-123!"}
    )
    assert response.status_code == 200


def test_logout_needs_post_and_ends_the_session(client_for, contact_teacher):
    client = client_for(contact_teacher)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_subject_teacher_start_page(client_for, subject_teacher, group):
    html = client_for(subject_teacher).get(reverse("home")).content.decode()
    assert "Klasser jeg underviser" in html and "Registrer timefravær" in html
    assert "Mine klasser" not in html


def test_leader_start_page_lists_school_groups_only(client_for, leader, group, other_group):
    response = client_for(leader).get(reverse("home"))
    assert response.context["school_groups"] == [group]
    assert reverse("imports") in response.content.decode()


def test_ppt_start_page_shows_no_pupils_only_the_referred_cases_link(
    client_for, ppt_advisor, pupil
):
    response = client_for(ppt_advisor).get(reverse("home"))
    html = response.content.decode()
    assert reverse("cases:ppt_cases") in html
    assert pupil.last_name not in html


def test_user_without_roles_gets_guidance(db, client_for):
    from tests.conftest import make_user

    html = client_for(make_user()).get(reverse("home")).content.decode()
    assert "Du har ingen roller" in html


def test_english_is_selectable(client_for, contact_teacher):
    client = client_for(contact_teacher)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in html
    assert "Log out" in html


def test_nynorsk_is_selectable(client_for, contact_teacher):
    client = client_for(contact_teacher)
    client.post(reverse("set_language"), {"language": "nn", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert 'lang="nn"' in html
    assert "Logg ut" in html


def test_admin_is_for_superusers_only(client_for, leader):
    client = client_for(leader)
    leader.is_staff = True
    leader.save(update_fields=["is_staff"])
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_opens_for_superuser(db, client_for):
    from tests.conftest import make_user

    admin = make_user(is_staff=True, is_superuser=True)
    assert client_for(admin).get("/admin/").status_code == 200


def test_health_is_public(db, client):
    assert client.get(reverse("health")).json() == {"status": "ok"}


def test_pages_send_a_strict_content_security_policy(client_for, contact_teacher):
    response = client_for(contact_teacher).get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_forms_carry_csrf_tokens(client_for, contact_teacher, pupil):
    html = client_for(contact_teacher).get(reverse("pupil", args=[pupil.uuid])).content.decode()
    assert html.count('name="csrfmiddlewaretoken"') >= 4


def _settings_subprocess(env_extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(env_extra)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
            "'fravaer.settings'; django.setup()",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DEBUG": "maybe", "SECRET_KEY": "x" * 50}, "DEBUG"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50, "EMAIL_PORT": "twenty"}, "EMAIL_PORT"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50, "DATABASE_URL": "nonsense://"}, "DATABASE_URL"),
        (
            {"DEBUG": "false", "SECRET_KEY": "x" * 50, "TRUSTED_PROXY_COUNT": "-1"},
            "TRUSTED_PROXY_COUNT",
        ),
    ],
)
def test_bad_environment_fails_at_start_naming_the_variable(env, name):
    result = _settings_subprocess(env)
    assert result.returncode != 0
    assert name in result.stderr


def test_check_deploy_is_clean_with_production_variables():
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "k3y-" + "q8Zr#w" * 10,
        "ALLOWED_HOSTS": "fravaer.example.no",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "STATIC_MANIFEST": "true",
        "SECURE_SSL_REDIRECT": "true",
    }
    skip = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    full_env = {k: v for k, v in os.environ.items() if k not in skip}
    full_env.update(env)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_bokmal_is_the_default_whatever_the_browser_asks(client_for, contact_teacher):
    client = client_for(contact_teacher)
    html = client.get(reverse("home"), headers={"Accept-Language": "en-US,en;q=0.9"}).content
    assert b'lang="nb"' in html


def test_language_can_be_chosen_before_logging_in(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/logg-inn/"})
    assert response.status_code == 302
    assert b'lang="en"' in client.get(reverse("login")).content
    assert b"Log in" in client.get(reverse("login")).content
