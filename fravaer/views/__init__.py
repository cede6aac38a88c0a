"""The fravaer app's pages, one module per page or concern; `fravaer/urls.py` lists
every pattern."""
