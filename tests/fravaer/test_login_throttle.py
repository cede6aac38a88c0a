"""Login throttling (django-axes): an account or a client address that fails too often
is refused, even with the right password, for a cool-off after its last failure."""

import os
import runpy

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_user

PASSWORD = "pw-Test-123!"
PROXY = "172.18.0.1"  # the reverse proxy's address as the web process sees it


def _login(client, username, password, *, address="203.0.113.7", forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


def _fail(client, username, times, **where):
    for _ in range(times):
        _login(client, username, "wrong-password", **where)


def test_forty_wrong_passwords_then_the_right_one_is_refused(client, contact_teacher):
    _fail(client, "kontakt@nordby.no", 40)
    response = _login(client, "kontakt@nordby.no", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert 'lang="nb"' in html and "Innloggingen er sperret en stund" in html
    assert "15 minutter" in html
    assert client.get(reverse("home")).status_code == 302  # not logged in


def test_the_right_password_after_fewer_failures_than_the_limit_logs_in(client, contact_teacher):
    _fail(client, "kontakt@nordby.no", settings.AXES_FAILURE_LIMIT - 1)
    assert _logged_in(_login(client, "kontakt@nordby.no", PASSWORD))


def test_an_account_locks_from_every_address_however_it_is_capitalised(client, contact_teacher):
    for n, name in enumerate(["Kontakt@nordby.no", " KONTAKT@NORDBY.NO", "kontakt@Nordby.no"]):
        _fail(client, name, 2, address=f"198.51.100.{n + 1}")
    response = _login(client, "kontakt@nordby.no", PASSWORD, address="192.0.2.200")
    assert response.status_code == 429


def test_an_address_locks_for_every_account(client, contact_teacher, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _fail(client, f"nobody{n}@nordby.no", 1)
    assert _login(client, "kontakt@nordby.no", PASSWORD).status_code == 429
    # The same account from another address is not locked.
    assert _logged_in(_login(client, "kontakt@nordby.no", PASSWORD, address="192.0.2.9"))


def test_one_address_may_fail_more_often_than_one_account(client, contact_teacher):
    """A school's staff share one public address: a few people mistyping, or one pupil
    guessing, must not lock everyone at the school out."""
    failures = settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1
    assert failures >= 2 * settings.AXES_FAILURE_LIMIT
    per_account = settings.AXES_FAILURE_LIMIT - 1
    for n in range(0, failures, per_account):
        _fail(client, f"colleague{n}@nordby.no", min(per_account, failures - n))
    assert _logged_in(_login(client, "kontakt@nordby.no", PASSWORD))


def test_the_lock_lifts_after_the_cool_off(client, contact_teacher):
    _fail(client, "kontakt@nordby.no", settings.AXES_FAILURE_LIMIT)
    assert _login(client, "kontakt@nordby.no", PASSWORD).status_code == 429
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timezone.timedelta(minutes=1)
    with time_machine.travel(later, tick=True):
        assert _logged_in(_login(client, "kontakt@nordby.no", PASSWORD))


def test_a_forged_forwarded_for_neither_dodges_nor_resets_the_address_lock(
    client, contact_teacher, settings
):
    """Without trusted proxies (the default), X-Forwarded-For is the client's own text."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _fail(client, f"nobody{n}@nordby.no", 1, forwarded=f"192.0.2.{n + 1}")
    response = _login(client, "kontakt@nordby.no", PASSWORD, forwarded="192.0.2.250")
    assert response.status_code == 429


def _proxy_settings(monkeypatch, count: int) -> dict:
    """The client-address settings fravaer/settings.py makes of TRUSTED_PROXY_COUNT."""
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", str(count))
    values = runpy.run_path(os.path.join(settings.BASE_DIR, "fravaer", "settings.py"))
    return {name: value for name, value in values.items() if "IPWARE" in name}


def test_behind_a_proxy_the_lock_follows_the_address_the_proxy_saw(
    client, contact_teacher, settings, monkeypatch
):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    with override_settings(**_proxy_settings(monkeypatch, 1)):
        # The proxy appends the address it saw; what the client sent stays in front.
        for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
            _fail(
                client,
                f"nobody{n}@nordby.no",
                1,
                address=PROXY,
                forwarded=f"192.0.2.{n + 1}, 203.0.113.66",
            )
        for forwarded in ["192.0.2.99, 203.0.113.66", "203.0.113.66"]:
            response = _login(
                client, "kontakt@nordby.no", PASSWORD, address=PROXY, forwarded=forwarded
            )
            assert response.status_code == 429
        # Another client behind the same proxy is not locked.
        other = _login(
            client, "kontakt@nordby.no", PASSWORD, address=PROXY, forwarded="203.0.113.77"
        )
        assert _logged_in(other)


@pytest.mark.parametrize("count", [1, 2])
def test_the_trusted_proxies_decide_which_forwarded_address_counts(rf, monkeypatch, count):
    from axes.helpers import get_client_ip_address

    chain = ["192.0.2.1", "203.0.113.66", "198.51.100.2"]  # forged, client, first proxy
    request = rf.post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=", ".join(chain[: count + 1]))
    with override_settings(**_proxy_settings(monkeypatch, count)):
        assert get_client_ip_address(request) == "203.0.113.66"
    # Without trusted proxies the header is ignored.
    with override_settings(**_proxy_settings(monkeypatch, 0)):
        assert get_client_ip_address(request) == PROXY


def test_admin_login_is_throttled_too(client, db):
    admin = make_user("admin@nordby.no", is_staff=True, is_superuser=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": admin.username, "password": "wrong"})
    response = client.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 429
