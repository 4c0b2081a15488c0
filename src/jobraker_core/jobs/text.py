"""Turning posting text (often HTML) into safe plain text, and folding strings for comparison."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
     "section", "article", "header", "footer", "blockquote", "pre", "hr"}
)
_DROP_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template", "iframe", "svg"})
_TAG_HINT = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _TextExtractor(HTMLParser):
    """Collects the text nodes of a document, dropping scripts, styles and every attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        del attrs
        if tag in _DROP_TAGS:
            self._dropping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def to_plain_text(text: str) -> str:
    """Return ``text`` as plain text: HTML tags removed (scripts and styles with their content),
    entities decoded, control characters dropped and whitespace tidied. Plain text passes through
    with only its whitespace tidied."""
    if _TAG_HINT.search(text):
        parser = _TextExtractor()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    else:
        text = html.unescape(text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def one_line(text: str) -> str:
    """Return ``text`` as plain text on a single line (for titles, company names, places)."""
    return " ".join(to_plain_text(text).split())


_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Fold ``text`` for comparison: accents stripped, lower case, punctuation to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", ascii_only.lower()).strip()
