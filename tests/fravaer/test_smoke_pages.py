from django.urls import reverse


def test_contact_teacher_pages_render(client_for, contact_teacher, pupil, group):
    client = client_for(contact_teacher)
    assert client.get(reverse("home")).status_code == 200
    r = client.get(reverse("register", args=[group.pk]) + "?dato=2026-11-17")
    assert r.status_code == 200, r.content[:2000]
    assert "Ola Nordmann" in r.content.decode()
    r = client.get(reverse("pupil", args=[pupil.uuid]))
    assert r.status_code == 200
    r = client.get(reverse("group", args=[group.pk]))
    assert r.status_code == 200
    r = client.get(reverse("contact_log", args=[pupil.uuid]))
    assert r.status_code == 200
