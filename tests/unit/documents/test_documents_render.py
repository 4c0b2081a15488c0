"""PDF and DOCX files of documents, read back with pypdf and python-docx."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pypdf
import pytest

from jobraker_adapters.documents.render import FileDocumentRenderer
from jobraker_core.documents.model import ExportFormat

BODY = (
    "## Skills\n"
    "Python, Django, PostgreSQL\n"
    "\n"
    "## Experience\n"
    "### Senior Python Developer, Acme Ltd (2019-01 to present)\n"
    "- Built payment APIs — cutting latency by 40%.\n"
    "- Mentored 4 engineers in Zürich.\n"
    "Plain paragraph\x07 with a control character.\n"
)


def pdf_text(content: bytes) -> str:
    """All the text of a PDF."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_pdf_holds_the_title_headings_bullets_and_paragraphs():
    """Every line of the body is in the PDF's text, bullets marked, markup gone."""
    content = FileDocumentRenderer().render("Résumé for Backend Engineer", BODY, ExportFormat.PDF)
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    for expected in (
        "Résumé for Backend Engineer",
        "Skills",
        "Python, Django, PostgreSQL",
        "Senior Python Developer, Acme Ltd (2019-01 to present)",
        "• Built payment APIs — cutting latency by 40%.",
        "• Mentored 4 engineers in Zürich.",
        "Plain paragraph with a control character.",
    ):
        assert expected in text
    assert "##" not in text


def test_a_docx_holds_headings_bullets_and_paragraphs_with_their_styles():
    """Headings are Word headings, bullets are list paragraphs, every character kept."""
    content = FileDocumentRenderer().render("Cover letter", BODY + "Łódź 東京\n", ExportFormat.DOCX)
    document = docx.Document(io.BytesIO(content))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs[0] == ("Title", "Cover letter")
    assert ("Heading 1", "Skills") in paragraphs
    assert ("Heading 2", "Senior Python Developer, Acme Ltd (2019-01 to present)") in paragraphs
    assert ("List Bullet", "Mentored 4 engineers in Zürich.") in paragraphs
    assert ("Normal", "Łódź 東京") in paragraphs
    assert document.core_properties.title == "Cover letter"


def test_characters_the_builtin_font_lacks_are_substituted_in_a_pdf():
    """Without a Unicode font: ``ź`` loses its accent, ``Ł`` and CJK become ``?``, ``Ñ`` stays."""
    text = pdf_text(FileDocumentRenderer().render("T", "Łódź 東京 Ñandú\n", ExportFormat.PDF))
    assert "?ódz ?? Ñandú" in text


FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.skipif(not FONT.exists(), reason="no DejaVu Sans on this machine")
def test_a_unicode_font_keeps_every_character_in_a_pdf():
    """With a TrueType font given, the PDF's text has the characters as written."""
    renderer = FileDocumentRenderer(font_path=FONT)
    text = pdf_text(renderer.render("Résumé", "Łódź Ñandú\n- €5\n", ExportFormat.PDF))
    assert "Łódź Ñandú" in text
    assert "€5" in text
