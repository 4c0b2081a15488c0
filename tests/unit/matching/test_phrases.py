"""The word-level helpers of requirement matching (``jobraker_core.matching.phrases``)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from jobraker_core.matching.phrases import _fold_keeping_symbols, terms


@given(st.one_of(st.text(alphabet=st.characters(max_codepoint=127)), st.text()))
def test_ascii_text_is_folded_as_the_unicode_path_would(text):
    """The ASCII shortcut (plain lower case) gives what NFKD, mark removal and casefold give."""
    decomposed = unicodedata.normalize("NFKD", text)
    long_way = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    assert _fold_keeping_symbols(text) == long_way


def test_terms_keep_symbols_stem_and_drop_function_words():
    """A remembered answer is the same answer: stems, C# kept apart from C, no stop words."""
    first = terms("Managing C# and C++ services for the Café")
    assert first == terms("Managing C# and C++ services for the Café")
    assert {"c#", "c++", "manag", "servic", "cafe"} <= first
    assert "the" not in first
    assert "for" not in first
