"""The cases app's pages. Each area keeps its own list of patterns in its views
module; this module joins them under the `cases` namespace."""

from cases import views, views_board, views_consent, views_meetings

app_name = "cases"

urlpatterns = [
    *views.urlpatterns,
    *views_meetings.urlpatterns,
    *views_consent.urlpatterns,
    *views_board.urlpatterns,
]
