"""The cases app's pages, one module per area (the case page, meetings, consent and
PPT, the board); `cases/urls.py` lists every pattern."""
