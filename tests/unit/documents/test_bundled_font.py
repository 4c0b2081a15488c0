"""PDFs of the composed renderer keep non-Latin-1 characters: the bundled Source Sans Pro font."""

from __future__ import annotations

import io

import pypdf

from jobraker_adapters.container import build_memory_container
from jobraker_core.documents.model import ExportFormat


def _text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_container_renderer_keeps_lodz_and_zurich_in_a_pdf():
    """Łódź and Zürich survive a PDF round trip, in headings and in the body."""
    renderer = build_memory_container().document_renderer()
    content = renderer.render(
        "Résumé — Łódź", "## Zürich, Łódź\n- Kraków → Москва, Ελλάδα, €5\n", ExportFormat.PDF
    )
    text = _text(content)
    assert "Résumé — Łódź" in text
    assert "Zürich, Łódź" in text
    assert "• Kraków → Москва, Ελλάδα, €5" in text


def test_characters_the_font_lacks_become_question_marks_not_gaps():
    """A CJK name, which Source Sans Pro cannot draw, is marked with ``?`` rather than dropped."""
    renderer = build_memory_container().document_renderer()
    text = _text(renderer.render("T", "東京 Łódź\n", ExportFormat.PDF))
    assert "?? Łódź" in text
