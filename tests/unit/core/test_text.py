"""Posting text: HTML to plain text, one-line fields, and folding for comparison."""

import re
import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.jobs.text import fold, one_line, to_plain_text

MARKUP = re.compile(r"<[A-Za-z/!?]")
KEPT_TAGS = [
    "p",
    "div",
    "b",
    "i",
    "em",
    "span",
    "a",
    "ul",
    "ol",
    "br",
    "h1",
    "h3",
    "table",
    "tr",
    "td",
    "section",
    "strong",
    "font",
    "blink",
    "x-custom",
]
DROPPED_TAGS = ["script", "style", "svg", "title", "noscript", "template", "iframe"]
ATTRIBUTES = [
    "",
    ' class="x"',
    " href='https://x.example/a>b'",
    ' onclick="alert(1)"',
    " data-x=1",
    ' title="<b>"',
    " hidden",
]
ENTITIES = [
    "&amp;",
    "&lt;",
    "&gt;",
    "&lt;b&gt;",
    "&lt;/p&gt;",
    "&#60;",
    "&#x3c;i&#x3e;",
    "&nbsp;",
    "&eacute;",
    "&amp;lt;script&amp;gt;",
    "&quot;",
    "&",
    "&#0;",
]


@st.composite
def tags(draw, names: list[str], *, declarations: bool = True) -> str:
    """One piece of markup: an opening, closing or self-closed tag, or a comment or declaration."""
    name = draw(st.sampled_from(names))
    name = draw(st.sampled_from([name, name.upper()]))
    attribute = draw(st.sampled_from(ATTRIBUTES))
    pieces = [f"<{name}{attribute}>", f"</{name}>", f"<{name}{attribute}/>"]
    if declarations:
        pieces += ["<!-- note -->", "<!DOCTYPE html>", "<?xml version='1.0'?>", "<![CDATA[x]]>"]
    return draw(st.sampled_from(pieces))


texts = st.text(
    alphabet=string.ascii_letters + string.digits + " \n\t\r.,;:!?'\"()-#=/<>&", max_size=20
)
html_ish = st.lists(
    st.one_of(tags(KEPT_TAGS + DROPPED_TAGS), texts, st.sampled_from(ENTITIES)), max_size=25
).map("".join)
words = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=10)


@given(html_ish)
def test_output_never_contains_a_tag(html):
    """No ``<`` in the output opens markup, whatever mix of tags, text and entities came in."""
    assert not MARKUP.search(to_plain_text(html))


@given(st.lists(st.one_of(tags(KEPT_TAGS, declarations=False), words), max_size=20))
def test_text_between_tags_survives_in_order(pieces):
    """Stripping tags keeps every character of the text between them, in order."""
    text = "".join(p for p in pieces if not p.startswith("<"))
    assert "".join(to_plain_text("".join(pieces)).split()) == text


@given(html_ish)
def test_idempotent_on_markup(html):
    """Plain text is its own plain text, for HTML-ish input."""
    once = to_plain_text(html)
    assert to_plain_text(once) == once


@given(st.text())
def test_idempotent_on_any_text(text):
    """Plain text is its own plain text, for any string at all."""
    once = to_plain_text(text)
    assert to_plain_text(once) == once


@given(st.text(alphabet=string.ascii_letters + string.digits + " \n.,;:!?'\"()-#=/>*%$@"))
def test_plain_text_is_untouched_except_whitespace(text):
    """Text without markup characters keeps its words and lines; only spacing is tidied."""
    expected = re.sub(
        r"\n{3,}", "\n\n", "\n".join(" ".join(line.split()) for line in text.split("\n"))
    ).strip()
    assert to_plain_text(text) == expected


def test_scripts_and_styles_are_dropped_with_their_content():
    """Script, style and other invisible elements vanish with everything inside them."""
    html = (
        "<head><title>Careers</title><style>p { color: red }</style></head>"
        "<p>Join us</p><script>alert('x') </script><svg><text>logo</text></svg>"
        "<noscript>enable js</noscript><template><li>hidden</li></template>today"
    )
    assert to_plain_text(html) == "Join us\ntoday"


def test_entities_are_decoded_in_html_and_in_plain_text():
    """Named and numeric entities become characters, with or without tags around."""
    assert to_plain_text("<p>Tom &amp; Jerry &eacute;t&#233; &#x2764;</p>") == "Tom & Jerry été ❤"
    assert to_plain_text("R&amp;D &gt; sales") == "R&D > sales"


def test_escaped_markup_is_removed_too():
    """HTML that arrives entity-escaped (even twice) is unwrapped and stripped."""
    assert to_plain_text("&lt;p&gt;Hello&lt;/p&gt;") == "Hello"
    assert to_plain_text("<div>&amp;lt;b&amp;gt;Bold&amp;lt;/b&amp;gt;</div>") == "Bold"


def test_absurdly_deep_escaping_is_left_inert():
    """Escaping deeper than any feed does is not unwrapped further but cannot form markup."""
    deep = "&amp;amp;amp;amp;lt;b&amp;amp;amp;amp;gt;x"
    once = to_plain_text(deep)
    assert not MARKUP.search(once)
    assert "&" not in once
    assert to_plain_text(once) == once


def test_comments_and_declarations_are_removed():
    """Comments, doctypes and processing instructions are markup, even with no tag around."""
    assert to_plain_text("<!-- tracking -->Hello<?php echo 1 ?>") == "Hello"
    assert to_plain_text("<!DOCTYPE html>Hello") == "Hello"


def test_paragraphs_lines_and_list_items_are_kept():
    """Block elements become line breaks, with one blank line at most between paragraphs."""
    html = (
        "<h1>Role</h1><p>First  para.</p>\n\n\n<p>Second<br>line</p>"
        "<ul><li>Python</li><li>SQL</li></ul>"
    )
    assert to_plain_text(html) == "Role\n\nFirst para.\n\nSecond\nline\n\n- Python\n\n- SQL"


def test_self_closed_line_breaks_are_single():
    """``<br/>`` breaks one line, like ``<br>``."""
    assert to_plain_text("a<br/>b<br>c") == "a\nb\nc"


def test_table_cells_stay_separate_words():
    """Adjacent table cells do not run their words together."""
    assert to_plain_text("<table><tr><td>Salary</td><td>£50k</td></tr></table>") == "Salary £50k"


def test_a_bare_less_than_sign_stays_readable():
    """A comparison keeps its ``<``; one that could open a tag gets a space after it."""
    assert to_plain_text("pay < 50k") == "pay < 50k"
    assert to_plain_text("if a<b then") == "if a< b then"


def test_control_characters_and_carriage_returns_are_dropped():
    """Control characters vanish and CRLF line ends become newlines."""
    assert to_plain_text("a\x00b\x07c\r\nd\re") == "abc\nd\ne"


@pytest.mark.parametrize("blank", ["", "   ", "\n\n", "<p> </p>", "<script>x</script>", "&nbsp;"])
def test_text_with_nothing_visible_becomes_empty(blank):
    """Markup or whitespace with no visible text yields the empty string."""
    assert to_plain_text(blank) == ""


def test_one_line_joins_lines_and_strips_markup():
    """one_line gives a single line of plain text."""
    assert (
        one_line("<h1>Senior\n  Python</h1>\tDeveloper &amp; Lead")
        == "Senior Python Developer & Lead"
    )


@given(html_ish)
def test_one_line_is_one_idempotent_line(html):
    """one_line never contains a line break, and applying it twice changes nothing."""
    line = one_line(html)
    assert "\n" not in line
    assert line == line.strip()
    assert "  " not in line
    assert one_line(line) == line


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Café Crème", "cafe creme"),
        ("Straße", "strasse"),
        ("ﬁnance", "finance"),
        ("C++/C#  Developer!!", "c c developer"),
        ("  Senior—Engineer  ", "senior engineer"),
        ("Программист", "программист"),
        ("İstanbul", "istanbul"),
        ("snake_case", "snake case"),
        ("🚀", ""),
    ],
)
def test_fold_strips_accents_case_and_punctuation(text, folded):
    """Fold keeps letters and digits of every script, without accents, case or punctuation."""
    assert fold(text) == folded


@given(st.text())
def test_fold_is_idempotent_and_tidy(text):
    """A folded string folds to itself and has single spaces between words only."""
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == " ".join(folded.split())


@given(st.text(alphabet=string.ascii_letters + "éèêàâäöüçñ "))
def test_fold_ignores_case(text):
    """Upper and lower case fold alike."""
    assert fold(text.upper()) == fold(text.lower()) == fold(text)


def _fold_the_long_way(text):
    """``fold`` as specified, with no shortcut for ASCII: NFKD, marks dropped, casefold."""

    def strip(value):
        decomposed = unicodedata.normalize("NFKD", value)
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch))

    return re.sub(r"[\W_]+", " ", strip(strip(text).casefold())).strip()


@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127)), st.text()))
def test_fold_takes_its_ascii_shortcut_without_changing_the_result(text):
    """ASCII text skips the Unicode normalisation (it would change nothing): same result."""
    assert fold(text) == _fold_the_long_way(text)
