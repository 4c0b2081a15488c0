"""``FileDocumentRenderer``: a document as a PDF (fpdf2) or a DOCX (python-docx) file.

The body's light markup (``## `` heading, ``### `` sub-heading, ``- `` bullet, blank line between
paragraphs) becomes the file's headings, bullets and paragraphs; the text is otherwise kept as
written. Control characters (which neither format can hold) are dropped.

PDF text uses the built-in Helvetica with the Windows-1252 encoding unless a Unicode TrueType font
is given (``font_path``, and ``bold_font_path`` for headings): then every character the font has
is drawn with it. A character outside Windows-1252 (or the font) is written as its closest Latin
form (accents stripped: ``ł`` → ``l``), or ``?`` when it has none (a CJK name, say); the DOCX
keeps every character. ``bundled_font_renderer`` uses Source Sans Pro (SIL OFL 1.1), installed
with the ``font-source-sans-pro`` package: Latin (with its extended ranges), Greek and Cyrillic.
"""

from __future__ import annotations

import io
import re
import unicodedata
from functools import partial
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Final

from docx import Document as DocxDocument
from docx.shared import Pt
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import TTFFont

from jobraker_core.documents.model import ExportFormat
from jobraker_core.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable

_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADING: Final = "## "
_SUBHEADING: Final = "### "
_BULLET: Final = re.compile(r"^\s*[-*\u2022]\s+")
_PDF_ENCODING: Final = "cp1252"
_LINE_HEIGHT: Final = 5.5
_FONT_PACKAGE: Final = "font_source_sans_pro"


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _blocks(body: str) -> list[tuple[str, str]]:
    """The body as (kind, text) blocks: heading, subheading, bullet, paragraph, gap."""
    blocks: list[tuple[str, str]] = []
    for raw in _clean(body).split("\n"):
        line = raw.rstrip()
        if not line.strip():
            blocks.append(("gap", ""))
        elif line.startswith(_SUBHEADING):
            blocks.append(("subheading", line[len(_SUBHEADING) :].strip()))
        elif line.startswith(_HEADING):
            blocks.append(("heading", line[len(_HEADING) :].strip()))
        elif _BULLET.match(line):
            blocks.append(("bullet", _BULLET.sub("", line).strip()))
        else:
            blocks.append(("paragraph", line.strip()))
    return blocks


def _substitute(text: str, has: Callable[[str], bool]) -> str:
    """``text`` with each character ``has`` refuses as its closest Latin form, else ``?``."""
    out: list[str] = []
    for char in text:
        if has(char):
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(has(c) for c in base) else "?")
    return "".join(out)


def _glyphs(pdf: FPDF, key: str) -> set[int]:
    """The code points the TrueType font added under ``key`` can draw."""
    font = pdf.fonts[key]
    return set(font.cmap) if isinstance(font, TTFFont) else set()


def _in_cp1252(char: str) -> bool:
    try:
        char.encode(_PDF_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _latin(text: str) -> str:
    """``text`` in Windows-1252: closest Latin form of what it lacks, else ``?``."""
    return _substitute(text, _in_cp1252)


def _bundled_font(name: str) -> Path:
    """The path of a TrueType file of the installed Source Sans Pro package."""
    with as_file(files(_FONT_PACKAGE) / "files" / name) as path:
        return Path(path)


def bundled_font_renderer() -> FileDocumentRenderer:
    """A renderer whose PDFs draw Unicode text with the installed Source Sans Pro."""
    return FileDocumentRenderer(
        _bundled_font("SourceSansPro-Regular.ttf"), _bundled_font("SourceSansPro-Bold.ttf")
    )


class FileDocumentRenderer:
    """``DocumentRenderer`` writing PDF with fpdf2 and DOCX with python-docx."""

    def __init__(self, font_path: Path | None = None, bold_font_path: Path | None = None) -> None:
        """Draw PDF text with the TrueType font at ``font_path`` (None: built-in Helvetica).

        Headings use ``bold_font_path`` when given, else the same font.
        """
        self._font_path = font_path
        self._bold_font_path = bold_font_path or font_path

    def render(self, title: str, body: str, format: ExportFormat) -> bytes:  # noqa: A002 - the port's word
        """The file's bytes."""
        if format is ExportFormat.PDF:
            return self._pdf(title, body)
        return self._docx(title, body)

    # ---------------------------------------------------------------------------------- PDF

    def _pdf(self, title: str, body: str) -> bytes:
        pdf = FPDF(format="A4")
        pdf.set_margins(20, 18, 20)
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.set_title(_clean(title))
        pdf.set_creator("Jobraker")
        family = "helvetica"
        text: Callable[[str], str] = _latin
        if self._font_path is not None:
            pdf.add_font("body", "", str(self._font_path))
            pdf.add_font("body", "B", str(self._bold_font_path))
            family = "body"
            glyphs = _glyphs(pdf, "body") & _glyphs(pdf, "bodyB")
            text = partial(_substitute, has=lambda char: ord(char) in glyphs)
        else:
            pdf.core_fonts_encoding = _PDF_ENCODING
        pdf.add_page()
        width = pdf.epw
        pdf.set_font(family, "B", 16)
        pdf.multi_cell(width, 8, text(_clean(title)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        for kind, content in _blocks(body):
            if kind == "gap":
                pdf.ln(2)
                continue
            if kind == "heading":
                pdf.ln(2)
                pdf.set_font(family, "B", 13)
                pdf.multi_cell(width, 7, text(content), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            elif kind == "subheading":
                pdf.set_font(family, "B", 11)
                pdf.multi_cell(width, 6, text(content), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            elif kind == "bullet":
                pdf.set_font(family, "", 10.5)
                pdf.set_x(pdf.l_margin + 4)
                pdf.multi_cell(
                    width - 4,
                    _LINE_HEIGHT,
                    text(f"\u2022 {content}"),
                    new_x=XPos.LMARGIN,
                    new_y=YPos.NEXT,
                )
            else:
                pdf.set_font(family, "", 10.5)
                pdf.multi_cell(
                    width, _LINE_HEIGHT, text(content), new_x=XPos.LMARGIN, new_y=YPos.NEXT
                )
        try:
            return bytes(pdf.output())
        except (ValueError, RuntimeError) as error:  # pragma: no cover - fpdf2's own refusals
            raise InvalidInput(f"the document cannot be laid out as PDF: {error}") from error

    # --------------------------------------------------------------------------------- DOCX

    @staticmethod
    def _docx(title: str, body: str) -> bytes:
        document = DocxDocument()
        document.core_properties.title = _clean(title)
        document.core_properties.author = "Jobraker"
        style = document.styles["Normal"]
        style.font.size = Pt(10.5)
        document.add_heading(_clean(title), level=0)
        for kind, content in _blocks(body):
            if kind == "gap":
                continue
            if kind == "heading":
                document.add_heading(content, level=1)
            elif kind == "subheading":
                document.add_heading(content, level=2)
            elif kind == "bullet":
                document.add_paragraph(content, style="List Bullet")
            else:
                document.add_paragraph(content)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
