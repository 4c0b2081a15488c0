"""Turning posting text (often HTML) into safe plain text, and folding strings for comparison."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser
from typing import Final

_BLOCK_TAGS: Final = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "blockquote",
        "pre",
        "hr",
        "dl",
        "dt",
        "dd",
        "main",
        "nav",
        "aside",
        "figure",
        "figcaption",
        "address",
        "details",
        "summary",
    }
)
_CELL_TAGS: Final = frozenset({"td", "th"})
_DROP_TAGS: Final = frozenset(
    {"script", "style", "head", "title", "noscript", "template", "iframe", "svg"}
)
_TAG_HINT = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|<[!?]")  # a tag, comment, doctype or PI
_MARKUP_OPEN = re.compile(r"<(?=[a-zA-Z/!?])")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Escaped markup is unwrapped one layer per pass: HTML, entity-escaped HTML and doubly escaped
# HTML all come out clean within this many passes (the last pass only confirms).
_MAX_PASSES: Final = 4


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
        elif self._dropping:
            return
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n- " if tag == "li" else "\n")
        elif tag in _CELL_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closed ``<br/>`` is one line break, and a self-closed ``<svg/>`` hides nothing.
        if tag not in _DROP_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_TAGS:
            self._dropping = max(0, self._dropping - 1)
        elif not self._dropping and tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def _strip_once(text: str) -> str:
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


def _defuse(text: str) -> str:
    """Put a space after every ``<`` that would open markup, so no tag can survive."""
    return _MARKUP_OPEN.sub("< ", text)


def to_plain_text(text: str) -> str:
    """Return ``text`` as plain text, whether it arrives as HTML or not.

    HTML tags are removed (scripts and styles with their content), entities decoded, control
    characters dropped and whitespace tidied (one blank line at most between paragraphs). Plain
    text passes through with only its whitespace tidied.

    Markup that arrives escaped (``&lt;p&gt;``, even twice) is unwrapped and removed too, so the
    result never contains a tag: any ``<`` left that would open markup gets a space after it.
    The function is idempotent: its output is its own plain text.
    """
    for _ in range(_MAX_PASSES):
        cleaned = _strip_once(text)
        if cleaned == text:
            return _defuse(cleaned)
        text = cleaned
    # Escaped more deeply than any real feed: stop unwrapping and make what is left inert.
    return _defuse(text.replace("&", "\uff06"))


def one_line(text: str) -> str:
    """Return ``text`` as plain text on a single line (for titles, company names, places)."""
    return " ".join(to_plain_text(text).split())


_NON_WORD = re.compile(r"[\W_]+")


def _strip_marks(text: str) -> str:
    if text.isascii():  # NFKD leaves ASCII as it is, and ASCII has no combining marks
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Fold ``text`` for comparison, keeping the letters and digits of every script.

    Compatibility forms and accents are stripped (``é`` → ``e``, ``ﬁ`` → ``fi``), case is folded
    (``ß`` → ``ss``), and every run of punctuation, symbols or spaces becomes one space.
    """
    folded = _strip_marks(_strip_marks(text).casefold())
    return _NON_WORD.sub(" ", folded).strip()
