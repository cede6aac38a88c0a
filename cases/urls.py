"""The cases app's pages, under the `cases` namespace: every pattern, by area (the
case page and its own steps, conversations and meetings, consent and PPT, the team's
board and deadlines, the team's meeting)."""

from django.urls import path

from cases.views import board, case, consent, meetings, semester, team_meeting

app_name = "cases"

urlpatterns = [
    path("skole/<int:school_id>/semester/", semester.semester_status_page, name="semester_status"),
    path(
        "skole/<int:school_id>/semester/pdf/",
        semester.semester_status_pdf,
        name="semester_status_pdf",
    ),
    path("saker/<uuid:case_uuid>/", case.case_detail, name="case"),
    path("saker/<uuid:case_uuid>/niva/", case.case_level, name="case_level"),
    path("saker/<uuid:case_uuid>/avslutt/", case.case_close, name="case_close"),
    path("saker/<uuid:case_uuid>/gjenapne/", case.case_reopen, name="case_reopen"),
    path("saker/<uuid:case_uuid>/saksansvarlig/", case.case_owner, name="case_owner"),
    path("saker/<uuid:case_uuid>/aktivitetsplikt/", case.case_duty, name="case_duty"),
    path("saker/<uuid:case_uuid>/notater/", case.case_note, name="case_note"),
    path("saker/<uuid:case_uuid>/innsynslogg/", case.case_access_log, name="case_access_log"),
    path("elever/<uuid:pupil_uuid>/sak/ny/", case.case_open, name="case_open"),
    path("saker/<uuid:case_uuid>/samtaler/ny/", meetings.conversation_new, name="conversation_new"),
    path("saker/<uuid:case_uuid>/moter/nytt/", meetings.meeting_new, name="meeting_new"),
    path(
        "saker/<uuid:case_uuid>/moter/<uuid:meeting_uuid>/", meetings.meeting_detail, name="meeting"
    ),
    path(
        "saker/<uuid:case_uuid>/moter/<uuid:meeting_uuid>/holdt/",
        meetings.meeting_held,
        name="meeting_held",
    ),
    path(
        "saker/<uuid:case_uuid>/moter/<uuid:meeting_uuid>/avlys/",
        meetings.meeting_cancel,
        name="meeting_cancel",
    ),
    path(
        "saker/<uuid:case_uuid>/moter/<uuid:meeting_uuid>/kalender.ics",
        meetings.meeting_calendar,
        name="meeting_ics",
    ),
    path("saker/<uuid:case_uuid>/kartlegging/ny/", meetings.mapping_new, name="mapping_new"),
    path("saker/<uuid:case_uuid>/oppgaver/ny/", meetings.task_new, name="task_new"),
    path(
        "saker/<uuid:case_uuid>/oppgaver/<int:task_id>/utfort/",
        meetings.task_done,
        name="task_done",
    ),
    path("saker/<uuid:case_uuid>/samtykke/ny/", consent.consent_new, name="consent_new"),
    path(
        "saker/<uuid:case_uuid>/samtykke/<int:consent_id>/trekk/",
        consent.consent_withdraw,
        name="consent_withdraw",
    ),
    path("saker/<uuid:case_uuid>/henvisning/ny/", consent.referral_new, name="referral_new"),
    path(
        "saker/<uuid:case_uuid>/henvisning/<int:referral_id>/avslutt/",
        consent.referral_end,
        name="referral_end",
    ),
    path("saker/<uuid:case_uuid>/deltakere/ny/", consent.participant_new, name="participant_new"),
    path(
        "saker/<uuid:case_uuid>/deltakere/<int:participant_id>/fjern/",
        consent.participant_remove,
        name="participant_remove",
    ),
    path("ppt/saker/", consent.ppt_cases, name="ppt_cases"),
    path("skole/<int:school_id>/saker/", board.case_board, name="board"),
    path(
        "skole/<int:school_id>/saker/<uuid:case_uuid>/saksansvarlig/",
        board.board_assign_owner,
        name="board_owner",
    ),
    path(
        "kommune/<int:municipality_id>/frister/", board.deadline_settings, name="deadline_settings"
    ),
    path("skole/<int:school_id>/teammote/", team_meeting.team_meetings, name="team_meetings"),
    path(
        "skole/<int:school_id>/teammote/<uuid:meeting_uuid>/",
        team_meeting.team_meeting,
        name="team_meeting",
    ),
    path(
        "skole/<int:school_id>/teammote/<uuid:meeting_uuid>/elev/<uuid:pupil_uuid>/sak/",
        team_meeting.team_meeting_open_case,
        name="team_meeting_open_case",
    ),
    path(
        "skole/<int:school_id>/teammote/<uuid:meeting_uuid>/sak/<uuid:case_uuid>/saksansvarlig/",
        team_meeting.team_meeting_owner,
        name="team_meeting_owner",
    ),
    path(
        "skole/<int:school_id>/teammote/<uuid:meeting_uuid>/sak/<uuid:case_uuid>/neste-steg/",
        team_meeting.team_meeting_next_step,
        name="team_meeting_next_step",
    ),
    path(
        "skole/<int:school_id>/teammote/<uuid:meeting_uuid>/sak/<uuid:case_uuid>/notat/",
        team_meeting.team_meeting_note,
        name="team_meeting_note",
    ),
    path(
        "skole/<int:school_id>/teammote/<uuid:meeting_uuid>/avslutt/",
        team_meeting.team_meeting_end,
        name="team_meeting_end",
    ),
    path(
        "skole/<int:school_id>/teammote/<uuid:meeting_uuid>/referat.pdf",
        team_meeting.team_meeting_pdf,
        name="team_meeting_pdf",
    ),
]
