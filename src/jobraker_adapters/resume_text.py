"""``FileDocumentReader``: the text of an uploaded résumé file.

The text of an uploaded résumé (PDF via pypdf, DOCX via python-docx, plain text), told apart by its
bytes, never by its name.

Every failure is an ``InvalidInput`` on the field ``file`` that says what is wrong, so the person
can fix it: an empty file, an image, a legacy Word ``.doc``, an encrypted or damaged PDF, a PDF
whose pages carry no text (a scan), a DOCX that is not one. pypdf and python-docx exceptions never
escape.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from typing import Final

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.text import to_plain_text
from jobraker_core.matching.resume import MAX_RESUME_CHARS, ResumeFormat, ResumeText

_IMAGES: Final = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"RIFF", "a RIFF (WebP) image"),
)
_OLE: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MIN_PRINTABLE: Final = 0.9
_BLANK_LINES: Final = re.compile(r"\n{3,}")
NO_TEXT: Final = (
    "the PDF has no extractable text (it looks scanned or image-only); upload a PDF with "
    "selectable text, a DOCX or a plain-text file"
)


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, field="file")


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()[:MAX_RESUME_CHARS]


def _decode_text(content: bytes) -> str | None:
    """The bytes as text (UTF-8, or UTF-16 with a BOM), or None when they are not text."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig",)
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:20_000]
        printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in sample)
        if sample and printable / len(sample) >= _MIN_PRINTABLE:
            return text
    return None


class FileDocumentReader:
    """The ``DocumentReader`` of Jobraker: PDF, DOCX and plain text (see the module docstring)."""

    def read(self, content: bytes, *, filename: str | None = None) -> ResumeText:
        """Return the file's text and real media type, or raise ``InvalidInput`` saying why not."""
        del filename  # the bytes decide; a name can lie
        if not content or not content.strip():
            raise _invalid("the file is empty")
        if content.startswith(b"%PDF-") or content[:1024].lstrip().startswith(b"%PDF-"):
            return self._pdf(content)
        if content.startswith(b"PK\x03\x04"):
            return self._docx(content)
        if content.startswith(_OLE):
            raise _invalid("this is a legacy Word (.doc) file; save it as DOCX or PDF")
        for signature, kind in _IMAGES:
            if content.startswith(signature):
                raise _invalid(
                    f"this is {kind}, not a résumé document; upload a PDF, DOCX or plain-text file"
                )
        text = _decode_text(content)
        if text is None:
            raise _invalid("the file is not a PDF, a DOCX or UTF-8 text")
        cleaned = _tidy(to_plain_text(text) if "<" in text else text)
        if not cleaned:
            raise _invalid("the file has no text")
        return ResumeText(cleaned, ResumeFormat.TEXT)

    @staticmethod
    def _pdf(content: bytes) -> ResumeText:
        import pypdf  # noqa: PLC0415 - loaded only when a PDF arrives
        from pypdf.errors import PyPdfError  # noqa: PLC0415

        # pypdf logs (and warns about) every oddity of a damaged file; what matters is raised.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        try:
            reader = pypdf.PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted:
                try:
                    decrypted = reader.decrypt("")
                except (PyPdfError, NotImplementedError) as error:
                    raise _invalid("the PDF is encrypted; upload an unprotected copy") from error
                if not decrypted:
                    raise _invalid("the PDF is password-protected; upload an unprotected copy")
            pages = [page.extract_text() or "" for page in reader.pages]
        except InvalidInput:
            raise
        except (
            PyPdfError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            RecursionError,
            OSError,
            NotImplementedError,
            AssertionError,
            ZeroDivisionError,
            UnicodeError,
        ) as error:
            raise _invalid("the PDF could not be read; it may be damaged") from error
        if not pages:
            raise _invalid("the PDF has no pages")
        text = _tidy("\n\n".join(pages))
        if not text:
            raise _invalid(NO_TEXT)
        return ResumeText(text, ResumeFormat.PDF, pages=len(pages))

    @staticmethod
    def _docx(content: bytes) -> ResumeText:
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "word/document.xml" not in archive.namelist():
                    raise _invalid("the file is a ZIP archive but not a Word (DOCX) document")
        except zipfile.BadZipFile as error:
            raise _invalid("the file looks like a DOCX but the archive is damaged") from error
        import docx  # noqa: PLC0415 - loaded only when a DOCX arrives
        from docx.opc.exceptions import PackageNotFoundError  # noqa: PLC0415

        try:
            document = docx.Document(io.BytesIO(content))
            parts: list[str] = [paragraph.text for paragraph in document.paragraphs]
            for table in document.tables:
                for row in table.rows:
                    cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells))
                    parts.append(" | ".join(c for c in cells if c))
        except (
            PackageNotFoundError,
            KeyError,
            ValueError,
            zipfile.BadZipFile,
            AttributeError,
            TypeError,
        ) as error:
            raise _invalid("the DOCX could not be read; it may be damaged") from error
        except Exception as error:  # lxml's XMLSyntaxError and other parser errors
            if type(error).__module__.startswith(("lxml", "docx")):
                raise _invalid("the DOCX could not be read; it may be damaged") from error
            raise
        text = _tidy("\n".join(parts))
        if not text:
            raise _invalid("the DOCX has no text")
        return ResumeText(text, ResumeFormat.DOCX)
