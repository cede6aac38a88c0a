"""The plans app's part of the semester status (filled in below)."""


def semester_panel(request, **page):
    return None
