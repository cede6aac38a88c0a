"""PDF documents, rendered by WeasyPrint from our HTML templates with print CSS.

One door for every document (the plans' agreement, minutes, consent form and
evaluation report; the overviews' exports):

- `render_pdf(template, context, language=...)` renders the template in the reader's
  language (`<html lang>` is set from it), tagged as PDF/UA-1 with the title from
  `<title>`, fonts embedded from our own static files.
- Loading is deny-by-default (`static_only_fetcher`): a document may load our own
  static files by a path relative to `STATIC_BASE` (e.g. `pdf/document.css`), and
  nothing else: no http(s), no `file://`, no `data:`. User text is escaped by the
  templates, and even a URL that got in would load nothing.
- `pdf_response(pdf, filename)` answers a download: an attachment, never cached.
  File names carry no personal data (the document kind and a date).

The views that serve documents ask the access module and write the case's access log
before they call these; this module decides nothing about who may read.

WeasyPrint is imported lazily: its native libraries (Pango) are needed only by the
processes that render documents.
"""

from __future__ import annotations

import logging
import posixpath
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

# The base the documents' relative URLs resolve against. `.invalid` can never resolve
# (RFC 2606); the fetcher serves it from the static files and refuses all else.
STATIC_BASE = "https://static.fravaer.invalid/"

# The stylesheet every document links (templates/pdf/base.html).
DOCUMENT_CSS = "pdf/document.css"


class RefusedURL(ValueError):
    """A document tried to load something other than our own static files."""


def static_path_for(url: str) -> str | None:
    """The static file (an absolute path on disk) that `url` names, or None: only
    `STATIC_BASE` + a relative path without `..` that the staticfiles finders know."""
    if not url.startswith(STATIC_BASE):
        return None
    rel = unquote(urlsplit(url).path).lstrip("/")
    norm = posixpath.normpath(rel)
    if not rel or norm.startswith("..") or norm != rel or "\\" in rel:
        return None
    found = finders.find(norm)
    return found if isinstance(found, str) else None


def static_only_fetcher():
    """A WeasyPrint URL fetcher that serves `static_path_for` and refuses the rest."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = static_path_for(url)
            if path is None:
                # Logged without the URL: it may come from user text.
                logger.warning("pdf: refused to load a resource outside our static files")
                raise RefusedURL("refused")
            with open(path, "rb") as fh:
                body = fh.read()
            return URLFetcherResponse(url, body=body, headers={"Content-Type": _mime(path)})

    return StaticOnlyFetcher(allowed_protocols=("https",), allow_redirects=False)


def _mime(path: str) -> str:
    for ext, mime in (
        (".css", "text/css"),
        (".woff2", "font/woff2"),
        (".woff", "font/woff"),
        (".svg", "image/svg+xml"),
        (".png", "image/png"),
    ):
        if path.endswith(ext):
            return mime
    return "application/octet-stream"


def render_html(template: str, context: dict[str, Any], *, language: str) -> str:
    """The document's HTML, in `language` (the template sets `<html lang>`)."""
    with translation.override(language):
        return render_to_string(template, {**context, "document_language": language})


_fonts = threading.local()


def _font_config():
    """One WeasyPrint font configuration per thread, kept between documents: it holds
    our fonts decoded from WOFF2 (about half a second per document otherwise; the
    PDF benchmark, `manage.py bench_pdf`). Per thread, as Pango's font maps are not
    shared safely between threads."""
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_fonts, "config", None) is None:
        _fonts.config = FontConfiguration()
    return _fonts.config


def html_to_pdf(html: str) -> bytes:
    """Turn a document's HTML into a tagged PDF (PDF/UA-1), loading only static files."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=STATIC_BASE, url_fetcher=static_only_fetcher())
    return document.write_pdf(font_config=_font_config(), pdf_variant="pdf/ua-1", pdf_tags=True)


def render_pdf(template: str, context: dict[str, Any], *, language: str) -> bytes:
    return html_to_pdf(render_html(template, context, language=language))


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """A download: `Content-Disposition: attachment`, never stored by a browser or a
    proxy. `filename` must carry no personal data (the kind and a date)."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, no_store=True, no_cache=True, max_age=0)
    response["X-Content-Type-Options"] = "nosniff"
    return response
