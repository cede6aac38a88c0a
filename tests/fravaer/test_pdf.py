"""fravaer.pdf: documents load our own static files and nothing else, and come out
tagged, in the reader's language, with our fonts embedded."""

import datetime as dt
import io

import pypdf
import pytest

from fravaer import pdf


def _html(body: str, language: str = "nb") -> str:
    html = pdf.render_html(
        "pdf/base.html",
        {"school_name": "Bakkeby skole", "generated_on": dt.date(2026, 12, 7)},
        language=language,
    )
    return html.replace("<main>", "<main>" + body)


def _fonts(reader: pypdf.PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.css",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        pdf.STATIC_BASE + "../../etc/passwd",
        pdf.STATIC_BASE + "pdf/../../manage.py",
        pdf.STATIC_BASE + "no/such/file.css",
        "https://static.fravaer.invalid.example.com/pdf/document.css",
    ],
)
def test_fetcher_refuses_everything_but_static_files(url):
    fetcher = pdf.static_only_fetcher()
    with pytest.raises(ValueError):
        fetcher.fetch(url)


def test_fetcher_serves_a_static_file():
    response = pdf.static_only_fetcher().fetch(pdf.STATIC_BASE + pdf.DOCUMENT_CSS)
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def test_external_images_in_a_document_load_nothing(monkeypatch):
    asked: list[str] = []
    real = pdf.static_path_for

    def spy(url):
        asked.append(url)
        return real(url)

    monkeypatch.setattr(pdf, "static_path_for", spy)
    body = (
        '<p>Hei</p><img src="http://127.0.0.1:9/x.png" alt="">'
        '<img src="file:///etc/passwd" alt=""><link rel="stylesheet" href="https://example.com/a.css">'
    )
    data = pdf.html_to_pdf(_html(body))
    reader = pypdf.PdfReader(io.BytesIO(data))
    # Asked, refused: no image made it into the document.
    assert "http://127.0.0.1:9/x.png" in asked and "file:///etc/passwd" in asked
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        assert not [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
    assert "root:" not in reader.pages[0].extract_text()


def test_document_is_tagged_in_the_readers_language_with_our_font():
    for language, expected in (("nb", "nb"), ("nn", "nn"), ("en", "en")):
        data = pdf.html_to_pdf(_html("<p>Fravær æøå ÆØÅ</p>", language))
        reader = pypdf.PdfReader(io.BytesIO(data))
        root = reader.trailer["/Root"]
        assert root["/Lang"] == expected
        assert bool(root["/MarkInfo"]["/Marked"])
        assert "/StructTreeRoot" in root
        assert any(name.endswith("+Inter") for name in _fonts(reader))
        assert "Fravær æøå ÆØÅ" in reader.pages[0].extract_text()


def test_pdf_response_is_an_uncached_attachment():
    response = pdf.pdf_response(b"%PDF-1.7", "samarbeidsavtale-2026-12-07.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="samarbeidsavtale-2026-12-07.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_font_configuration_is_kept_per_thread_and_reused():
    """One FontConfiguration per thread, kept between documents (our fonts are decoded
    once), and never shared between threads (Pango's font maps are not thread-safe)."""
    import threading

    first = pdf._font_config()
    assert pdf._font_config() is first
    pdf.html_to_pdf(_html("<p>Ett</p>"))
    pdf.html_to_pdf(_html("<p>To</p>"))
    assert pdf._font_config() is first

    seen = []
    thread = threading.Thread(target=lambda: seen.append(pdf._font_config()))
    thread.start()
    thread.join()
    assert seen and seen[0] is not first


def test_documents_render_in_parallel_threads_with_our_font():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        pdfs = list(pool.map(lambda n: pdf.html_to_pdf(_html(f"<p>Dokument {n}</p>")), range(4)))
    for n, data in enumerate(pdfs):
        reader = pypdf.PdfReader(io.BytesIO(data))
        assert f"Dokument {n}" in reader.pages[0].extract_text()
        assert any("Inter" in name for name in _fonts(reader))
