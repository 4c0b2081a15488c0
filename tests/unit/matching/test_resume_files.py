"""Reading uploaded résumé files.

PDF, DOCX and text by their bytes; every bad file refused with a reason (empty, image-only, image,
legacy Word, damaged, not text).
"""

from __future__ import annotations

import io
import zipfile

import pytest

from fixtures.resumes.documents import SAMPLE_TEXT, docx, image_only_pdf, text_pdf
from jobraker_adapters.resume_text import FileDocumentReader
from jobraker_core.errors import InvalidInput
from jobraker_core.matching.resume import ResumeFormat

READER = FileDocumentReader()


def test_a_text_pdf_is_read():
    """The text of a PDF's page comes back, and the format is PDF whatever the name says."""
    read = READER.read(text_pdf(), filename="cv.txt")
    assert read.media_type == ResumeFormat.PDF
    assert read.pages == 1
    assert "Senior Python Developer, Acme Ltd" in read.text


def test_a_docx_is_read():
    """The paragraphs of a DOCX come back in order."""
    read = READER.read(docx(), filename="cv.pdf")
    assert read.media_type == ResumeFormat.DOCX
    assert read.text.splitlines()[0] == "Jane Doe"
    assert "BSc Computer Science" in read.text


def test_plain_text_is_read_in_utf8_and_utf16():
    """UTF-8 (with or without a BOM) and UTF-16 with a BOM are text."""
    assert READER.read(SAMPLE_TEXT.encode()).text.startswith("Jane Doe")
    assert READER.read(b"\xef\xbb\xbf" + SAMPLE_TEXT.encode()).text.startswith("Jane Doe")
    assert READER.read(SAMPLE_TEXT.encode("utf-16")).media_type == ResumeFormat.TEXT


def test_an_image_only_pdf_is_refused_saying_it_has_no_text():
    """A scanned PDF has no text to read: 422 that says so, never an empty profile."""
    with pytest.raises(InvalidInput, match="no extractable text") as caught:
        READER.read(image_only_pdf())
    assert caught.value.field == "file"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "JPEG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "legacy Word"),
        (b"%PDF-1.4\nthis is not really a pdf", "could not be read|no pages"),
        (b"PK\x03\x04not a zip at all", "damaged"),
        (bytes(range(256)) * 4, "not a PDF, a DOCX or UTF-8 text"),
    ],
)
def test_bad_files_are_refused_with_the_reason(content, reason):
    """Each kind of unusable file gets its own explanation."""
    with pytest.raises(InvalidInput, match=reason):
        READER.read(content)


def test_a_zip_that_is_not_a_word_document_is_refused():
    """A ZIP archive without ``word/document.xml`` is not a DOCX."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(InvalidInput, match="not a Word"):
        READER.read(out.getvalue())


def test_a_damaged_pdf_never_leaks_a_library_error():
    """A PDF cut in half is an ``InvalidInput``, not a pypdf exception."""
    whole = text_pdf()
    with pytest.raises(InvalidInput):
        READER.read(whole[: len(whole) // 3])
