from cases.models import CaseAccessLog


def test_case_page_shows_case_to_contact_teacher_and_logs_read(client_for, case, contact_teacher):
    response = client_for(contact_teacher).get(f"/saker/{case.uuid}/")
    assert response.status_code == 200
    assert "Ola Nordmann" in response.content.decode()
    log = CaseAccessLog.objects.get(case=case)
    assert (log.user, log.basis, log.what) == (contact_teacher, "owner", "case_page")


def test_case_page_is_404_for_outsider_and_ppt_without_referral(
    client_for, case, outsider, ppt_advisor
):
    for user in (outsider, ppt_advisor):
        assert client_for(user).get(f"/saker/{case.uuid}/").status_code == 404
    assert not CaseAccessLog.objects.exists()
