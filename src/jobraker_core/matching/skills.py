"""Skills and job titles: the taxonomy, one extractor for postings and résumés, title matching.

Everything here is pure (standard library and attrs) and deterministic: the same taxonomy and the
same text always give the same mentions, in the same order. The taxonomy itself is data (O*NET
technology names, ESCO skills, curated synonyms); adapters build it, the core never reads files.

How extraction works, in short:

- text is cut into tokens that keep what matters in tech names (``C++``, ``C#``, ``.NET``), with
  accents stripped and case folded, each token pointing back at its characters in the source;
- aliases are matched leftmost-longest over those tokens, never across a sentence or line break,
  so "machine learning engineer" yields *machine learning* and not *machine*;
- an alias that is also an everyday word or a single letter ("Go", "R", "C", "Excel", "LESS") is
  *guarded*: it must be written exactly as the alias is (case included), must not be glued to a
  hyphen or ampersand ("C-level", "R&D", "go-to-market"), and must sit in a clear context: near
  another technology or a word such as "programming", in a bulleted list of technologies, or
  (for words of three letters or more and acronyms, unless the taxonomy marks them *strict*)
  in the middle of an ordinary sentence rather than at its start or in a Title Case heading;
- each mention is *required* (True), *nice to have* (False) or unknown (None) from the nearest
  cue in its sentence ("must have", "is a plus", "preferred", ...) or else from the section it
  sits in ("Requirements:", "Nice to have:", ...).
"""

from __future__ import annotations

import bisect
import enum
import functools
import math
import re
import unicodedata
from typing import TYPE_CHECKING, Final

import attrs

from jobraker_core.errors import InvalidInput
from jobraker_core.jobs.text import fold

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

# ------------------------------------------------------------------------------------- tokens


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


_TOKEN = re.compile(r"(?:(?<![a-z0-9.])\.(?=[a-z]))?[a-z0-9]+(?:[+#]++(?![a-z0-9]))?")
_GAP = re.compile(r"[ \t./\-_'\u2019&]{0,3}")


@attrs.frozen
class _Token:
    """One token of a text: its folded form and the characters it came from."""

    norm: str
    start: int
    end: int


def _shadow(text: str) -> tuple[str, list[int] | None]:
    """Fold ``text`` character by character; return it and where each folded character came from.

    ASCII text folds to its lower case with the same offsets (``None`` stands for "identity").
    Other characters lose their accents and compatibility forms (``é`` -> ``e``, ``ﬁ`` ->
    ``fi``) as in :func:`jobraker_core.jobs.text.fold`; what is left that is not an ASCII letter
    or digit becomes a space (the taxonomy's aliases are written in Latin script).
    """
    if text.isascii():
        return text.lower(), None
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            chars.append(char.lower())
            origin.append(index)
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        for folded in base:
            if unicodedata.combining(folded):
                continue
            chars.append(folded if folded.isascii() and folded.isalnum() else " ")
            origin.append(index)
    return "".join(chars), origin


def _tokens(text: str) -> list[_Token]:
    shadow, origin = _shadow(text)
    if origin is None:
        return [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(shadow)]
    return [
        _Token(m.group(), origin[m.start()], origin[m.end() - 1] + 1)
        for m in _TOKEN.finditer(shadow)
    ]


def alias_key(alias: str) -> str:
    """Return the lookup key of an alias: its tokens, folded, joined by single spaces.

    ``"Node.js"``, ``"node js"`` and ``"NODE-JS"`` share the key ``"node js"``; ``"C++"``,
    ``"C#"`` and ``".NET"`` keep their symbols (``"c++"``, ``"c#"``, ``".net"``).
    """
    return " ".join(token.norm for token in _tokens(alias))


# ------------------------------------------------------------------------------------- values


class SkillKind(enum.StrEnum):
    """Where a canonical skill comes from: a named technology (O*NET, curated) or an ESCO skill."""

    TECHNOLOGY = "technology"
    ESCO = "esco"


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _skills(values: Iterable[Skill]) -> tuple[Skill, ...]:
    return tuple(values)


def _keys(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


def _non_empty(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise InvalidInput(f"skill {attribute.name} must not be empty", field=attribute.name)


def _aliases(instance: Skill, _: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]) -> None:
    for alias in value:
        if not alias_key(alias):
            raise InvalidInput(
                f"skill {instance.id!r} has an alias with no letters or digits: {alias!r}",
                field="aliases",
            )


@attrs.frozen
class Skill:
    """A canonical skill: how it is shown, where it comes from, and how texts may name it.

    ``aliases`` are the surface forms the extractor looks for (the name is usually one of them);
    ``esco_labels`` are the ESCO preferred labels the skill corresponds to, if any; ``hot`` marks
    an O*NET "hot" or "in demand" technology.
    """

    id: str = attrs.field(validator=_non_empty)
    name: str = attrs.field(validator=_non_empty)
    kind: SkillKind
    aliases: tuple[str, ...] = attrs.field(converter=_strings, validator=_aliases)
    esco_labels: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    hot: bool = False


@attrs.frozen(eq=False)
class SkillTaxonomy:
    """The canonical skills and the index of their aliases.

    Every alias key belongs to exactly one skill. ``guarded`` holds the alias keys (see
    :func:`alias_key`) that are everyday words: they count only written exactly as an alias and
    away from the start of a sentence or a Title Case heading, or next to another technology.
    ``strict`` keys count only next to another technology or a word such as "programming".
    Single letters and two-letter words are always guarded, and strict unless all capitals.
    """

    skills: tuple[Skill, ...] = attrs.field(converter=_skills)
    guarded: frozenset[str] = attrs.field(default=frozenset(), converter=_keys)
    strict: frozenset[str] = attrs.field(default=frozenset(), converter=_keys)
    _by_id: dict[str, Skill] = attrs.field(init=False, repr=False)
    _index: dict[str, Skill] = attrs.field(init=False, repr=False)
    _surfaces: dict[str, frozenset[str]] = attrs.field(init=False, repr=False)
    _longest: dict[str, int] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        """Index the skills by id and their aliases by key, refusing duplicates of either."""
        by_id: dict[str, Skill] = {}
        index: dict[str, Skill] = {}
        surfaces: dict[str, set[str]] = {}
        longest: dict[str, int] = {}
        for skill in self.skills:
            if skill.id in by_id:
                raise InvalidInput(f"two skills share the id {skill.id!r}", field="skills")
            by_id[skill.id] = skill
            for alias in skill.aliases:
                tokens = _tokens(alias)
                key = " ".join(token.norm for token in tokens)
                owner = index.setdefault(key, skill)
                if owner is not skill:
                    raise InvalidInput(
                        f"alias {alias!r} names both {owner.id!r} and {skill.id!r}", field="skills"
                    )
                surfaces.setdefault(key, set()).add(" ".join(alias.split()))
                first = tokens[0].norm
                longest[first] = max(longest.get(first, 0), len(tokens))
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_surfaces", {k: frozenset(v) for k, v in surfaces.items()})
        object.__setattr__(self, "_longest", longest)

    def __len__(self) -> int:
        """Return how many canonical skills there are."""
        return len(self.skills)

    def __iter__(self) -> Iterator[Skill]:
        """Iterate over the canonical skills in their stored order."""
        return iter(self.skills)

    def get(self, skill_id: str) -> Skill | None:
        """Return the skill with this id, or None."""
        return self._by_id.get(skill_id)

    def find(self, name: str) -> Skill | None:
        """Return the skill one of whose aliases is ``name`` (compared by :func:`alias_key`)."""
        return self._index.get(alias_key(name))

    def is_guarded(self, key: str) -> bool:
        """Tell whether an alias key needs a clear context to count as a mention."""
        return (
            key in self.guarded or key in self.strict or (len(key) <= 2 and key.isalpha())  # noqa: PLR2004
        )

    def esco_labels(self) -> tuple[str, ...]:
        """Return every ESCO label some skill corresponds to, sorted, without repeats."""
        return tuple(sorted({label for skill in self.skills for label in skill.esco_labels}))

    def _lookup(self, key: str) -> Skill | None:
        return self._index.get(key)

    def _surface_forms(self, key: str) -> frozenset[str]:
        return self._surfaces.get(key, frozenset())

    def _max_tokens(self, first: str) -> int:
        return self._longest.get(first, 0)


def _span(instance: SkillMention, _: attrs.Attribute[int], value: int) -> None:
    if not 0 <= instance.start < value:
        raise InvalidInput("a mention must cover at least one character", field="end")
    if len(instance.text) != value - instance.start:
        raise InvalidInput("a mention's text must be the characters it covers", field="text")


@attrs.frozen
class SkillMention:
    """A skill named in a text, with its evidence and what the text says about requiring it.

    ``text`` is ``source[start:end]``; ``required`` is True (required), False (nice to have) or
    None (the text does not say).
    """

    skill: Skill
    start: int
    end: int = attrs.field(validator=_span)
    text: str
    required: bool | None = None


@attrs.frozen
class RankedLabel:
    """One ESCO label ranked for a text.

    ``evidence`` is the mention that named it, if one did; otherwise the label was found by word
    overlap and ``score`` is below 1.
    """

    label: str
    score: float
    evidence: SkillMention | None = None


# ------------------------------------------------------------------------------ requirements

_REQUIRED, _NICE = True, False

# Cues are regular expressions over the original text (case-insensitive), each with what it
# means and whether it reaches forward ("must have: X"), backward ("X is a plus") or both.
_FORWARD, _BACKWARD = 1, 2
_CUES: tuple[tuple[str, bool, int], ...] = (
    (r"not (?:strictly )?(?:required|mandatory|necessary|essential)", _NICE, _BACKWARD),
    (
        r"(?:would|will) be (?:a |an )?(?:plus|bonus|advantage|great|nice|beneficial)",
        _NICE,
        _BACKWARD,
    ),
    (
        r"(?:is|are) (?:a |an )?(?:big |huge |definite |strong )?(?:plus|bonus|advantage)",
        _NICE,
        _BACKWARD,
    ),
    (r"(?:a|an) (?:big |huge |definite |strong )?(?:plus|bonus|advantage)", _NICE, _BACKWARD),
    (
        r"advantageous|desirable|desired|preferred|preferable|optional|helpful|beneficial",
        _NICE,
        _BACKWARD,
    ),
    (r"nice[ -]to[ -]haves?|good[ -]to[ -]have", _NICE, _BACKWARD),
    (
        (
            r"ideally|preferably|bonus points? (?:for|if)|extra (?:credit|points) (?:for|if)"
            r"|(?:it(?:'|\u2019)?s|it is) a plus if"
        ),
        _NICE,
        _FORWARD,
    ),
    (r"(?:is|are) (?:required|mandatory|essential|necessary|a must)", _REQUIRED, _BACKWARD),
    (r"required|mandatory|essential|necessary|a must|prerequisites?", _REQUIRED, _BACKWARD),
    (
        (
            r"must[ -]haves?|must (?:have|be|know|possess|bring)|must|we require|requires?"
            r"|requiring|you(?:'|\u2019)?ll need|you need|you will need|need to have|needs? to"
            r"|at least|minimum(?: of)?"
        ),
        _REQUIRED,
        _FORWARD,
    ),
)
_CUE = re.compile(
    "|".join(f"(?P<c{i}>\\b(?:{pattern})\\b)" for i, (pattern, _, _) in enumerate(_CUES)),
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"(?:^|[,;:(\-\u2013\u2014\u2022*]|\band|\bbut|\bor)\s*$", re.IGNORECASE)

_NICE_HEADERS = _phrases(
    "nice to have|nice to haves|good to have|preferred|desirable|desired|bonus|bonus points|"
    "pluses|plus|optional|extra credit|would be nice|it s a plus|added advantage|"
    "advantageous"
)
_REQUIRED_HEADERS = _phrases(
    "requirements|required|requirement|must have|must haves|qualifications|what you need|"
    "what you ll need|what you will need|what we need|what we re looking for|"
    "what we are looking for|who you are|you have|you bring|what you bring|your profile|"
    "about you|your skills|essential|essentials|mandatory|prerequisites|the ideal candidate|"
    "you should have|you must have|we expect|we require"
)
_OTHER_HEADERS = _phrases(
    "about us|about the role|about the job|the role|responsibilities|what you ll do|"
    "what you will do|your tasks|tasks|benefits|perks|what we offer|we offer|job description|"
    "description|overview|company|who we are|location|salary|compensation|how to apply|"
    "our stack|tech stack"
)
_BULLET = re.compile(r"^[\s#*\-\u2022\u00b7>+]*")


def _phrase_in(folded: str, phrases: Iterable[str]) -> bool:
    """Tell whether one of ``phrases`` occurs in ``folded`` as whole words."""
    padded = f" {folded} "
    return any(f" {phrase} " in padded for phrase in phrases)


def _header_meaning(folded: str) -> tuple[bool, bool | None]:
    """Return (is a known header, what it says about requirement) for a folded header text."""
    if _phrase_in(folded, _NICE_HEADERS):
        return True, _NICE
    if _phrase_in(folded, _REQUIRED_HEADERS):
        return True, _REQUIRED
    return _phrase_in(folded, _OTHER_HEADERS), None


@attrs.frozen
class _Line:
    start: int
    state: bool | None  # what the line's section (or its own inline heading) says


def _lines(text: str) -> list[_Line]:
    """Cut ``text`` into lines, each with the requirement its section or inline heading implies."""
    lines: list[_Line] = []
    section: bool | None = None
    position = 0
    for raw in text.split("\n"):
        start = position
        position += len(raw) + 1
        bullet = _BULLET.match(raw)
        content = raw[bullet.end() if bullet else 0 :]
        head, colon, rest = content.partition(":")
        head_folded = _fold(head)
        words = len(head_folded.split())
        state = section
        if colon and 0 < words <= 6:  # noqa: PLR2004 - a heading is a few words
            known, meaning = _header_meaning(head_folded)
            if not rest.strip():
                section = state = meaning  # "Requirements:" opens a section, "Benefits:" ends one
            elif known:
                state = meaning  # "Nice to have: Go" speaks for its own line only
        elif 0 < words <= 5 and not re.search(r"[.!?,;]\s*$", content):  # noqa: PLR2004
            known, meaning = _header_meaning(head_folded)
            if known:
                section = state = meaning
        lines.append(_Line(start, state))
    return lines


@attrs.frozen
class _Cue:
    start: int
    end: int
    meaning: bool
    reach: int


def _cues(text: str, start: int, end: int) -> list[_Cue]:
    cues: list[_Cue] = []
    for match in _CUE.finditer(text, start, end):
        index = int(next(name for name, value in match.groupdict().items() if value)[1:])
        _, meaning, reach = _CUES[index]
        if _CLAUSE_START.search(text[start : match.start()]):
            reach = _FORWARD  # "Preferred: Go", "..., nice to have Go" speak of what follows
        cues.append(_Cue(match.start(), match.end(), meaning, reach))
    return cues


def _requirement(cues: Sequence[_Cue], start: int, end: int) -> bool | None:
    best: tuple[int, bool] | None = None
    for cue in cues:
        if cue.reach & _FORWARD and cue.end <= start:
            distance = start - cue.end
        elif cue.reach & _BACKWARD and cue.start >= end:
            distance = cue.start - end
        else:
            continue
        if best is None or distance < best[0]:
            best = (distance, cue.meaning)
    return None if best is None else best[1]


# ---------------------------------------------------------------------------------- extractor

_SENTENCE_END = re.compile(r"\n|[.!?;](?=\s|$)|[\u2022\u25cf\u25aa]|\s[*\u00b7]\s")
_TECH_CUES = _words(
    "programming program programs programmer programmers language languages lang code coding "
    "coded developer developers development develop software backend frontend fullstack stack "
    "framework frameworks library libraries scripting script scripts compiler runtime "
    "microservices api apis sdk statistical statistics ide engineer engineers"
)
_INLINE_BULLETS = ("\u2022", "\u00b7", "\u25aa", "\u25cf")
_LIST_ITEM = re.compile(r"\s*(?:[-*+\u2022\u00b7\u25aa\u25cf]|\d{1,2}[.)])\s*")
_CONTEXT_WINDOW = 4
_CUE_WINDOW = 3
_BLOCKERS = "-&'\u2019"


@attrs.frozen
class _Match:
    skill: Skill
    key: str
    first: int  # token indexes, end exclusive
    last: int
    segment: int
    guarded: bool


HUMAN_LANGUAGES: Final = frozenset(
    """
    english french german spanish italian portuguese dutch swedish norwegian danish finnish
    icelandic polish czech slovak hungarian romanian bulgarian greek turkish russian ukrainian
    serbian croatian slovenian estonian latvian lithuanian arabic hebrew persian farsi urdu
    hindi bengali punjabi tamil telugu marathi gujarati kannada malayalam chinese mandarin
    cantonese japanese korean vietnamese thai indonesian malay tagalog filipino swahili amharic
    yoruba hausa zulu afrikaans catalan basque galician irish welsh albanian armenian georgian
    kazakh uzbek nepali sinhala khmer burmese mongolian latin esperanto
    """.split()  # noqa: SIM905 - a word list reads better as prose
)
"""Human languages, folded: they belong to a profile's languages, not to its skills."""
_LANGUAGE_FILLER: Final = frozenset(
    """
    language languages spoken written speak speaks speaking write writes writing read reading
    understand understanding interact verbally use fluent fluency fluently native nativ bilingual
    proficient proficiency business professional working conversational level mother tongue and
    or in both skills skill a1 a2 b1 b2 c1 c2 excellent good strong full plus
    """.split()  # noqa: SIM905
)


def is_language(text: str) -> bool:
    """Whether ``text`` names human languages and nothing else ("English", "fluent Spanish").

    "Natural language processing", "SAS language" or "sign language" are not.
    """
    words = _fold(text).split()
    return any(w in HUMAN_LANGUAGES for w in words) and all(
        w in HUMAN_LANGUAGES or w in _LANGUAGE_FILLER for w in words
    )


class SkillExtractor:
    """Finds the canonical skills a job posting or a résumé names, with evidence spans.

    Deterministic and pure: build it once per taxonomy and reuse it; it keeps no state between
    calls other than a lazily built word index for :meth:`rank_esco`.

    Human languages are ESCO skills ("English", "understand spoken Spanish"), but a person's
    languages are not their skills: :meth:`extract` leaves them out (the résumé parser reads them
    into ``CandidateProfile.languages``); :meth:`rank_esco`, which labels text with ESCO's own
    vocabulary, keeps them.
    """

    def __init__(self, taxonomy: SkillTaxonomy) -> None:
        """Prepare an extractor over ``taxonomy``."""
        self._taxonomy = taxonomy
        self._lexical: _LexicalIndex | None = None
        self._languages = frozenset(skill.id for skill in taxonomy if is_language(skill.name))

    @property
    def taxonomy(self) -> SkillTaxonomy:
        """The taxonomy this extractor matches against."""
        return self._taxonomy

    def extract(self, text: str, *, languages: bool = False) -> tuple[SkillMention, ...]:
        """Return every skill mention in ``text`` (plain text), in order of appearance.

        Spans index into ``text`` exactly as given; run HTML through
        :func:`jobraker_core.jobs.text.to_plain_text` first. Human languages are left out unless
        ``languages`` is True.
        """
        tokens = _tokens(text)
        if not tokens:
            return ()
        bounds = [m.end() for m in _SENTENCE_END.finditer(text)]
        segments = [bisect.bisect_right(bounds, token.start) for token in tokens]
        matches = self._match(text, tokens, segments)
        matches = self._confirm_guarded(text, tokens, segments, matches)
        found = self._with_requirements(text, tokens, matches, bounds)
        if languages or not self._languages:
            return found
        return tuple(m for m in found if m.skill.id not in self._languages)

    def distinct(self, text: str) -> tuple[SkillMention, ...]:
        """Return one mention per skill (its first), in order of first appearance.

        A skill is required if any mention says so, else nice to have if any mention says so.
        """
        first: dict[str, SkillMention] = {}
        verdicts: dict[str, bool | None] = {}
        for mention in self.extract(text):
            skill_id = mention.skill.id
            first.setdefault(skill_id, mention)
            known = verdicts.get(skill_id)
            if mention.required is True or (known is None and mention.required is False):
                verdicts[skill_id] = mention.required
        return tuple(attrs.evolve(m, required=verdicts.get(i)) for i, m in first.items())

    def rank_esco(
        self, text: str, limit: int = 20, *, mentions: bool = True
    ) -> tuple[RankedLabel, ...]:
        """Rank ESCO labels for ``text``, best first, at most ``limit`` of them.

        Labels of the skills the text names come first (longer, earlier mentions before shorter,
        later ones), then labels sharing the most informative words with it, so a text that names
        no skill still gets a ranking whenever it shares a word with some label. With
        ``mentions=False`` the ranking is by shared words alone.
        """
        ranked: dict[str, RankedLabel] = {}
        for mention in self.extract(text, languages=True) if mentions else ():
            words = len(_tokens(mention.text))
            score = 2.0 + min(words, 9) / 10 - mention.start / (100 * (len(text) + 1))
            for label in mention.skill.esco_labels:
                known = ranked.get(label)
                if known is None or known.score < score:
                    ranked[label] = RankedLabel(label, score, mention)
        if self._lexical is None:
            self._lexical = _LexicalIndex(self._taxonomy.esco_labels())
        for label, score in self._lexical.rank(text, limit + len(ranked)):
            if label not in ranked:
                ranked[label] = RankedLabel(label, score)
        ordered = sorted(ranked.values(), key=lambda r: (-r.score, r.label))
        return tuple(ordered[:limit])

    # -------------------------------------------------------------------------------- matching

    def _match(self, text: str, tokens: list[_Token], segments: list[int]) -> list[_Match]:
        taxonomy = self._taxonomy
        matches: list[_Match] = []
        i = 0
        while i < len(tokens):
            longest = min(taxonomy._max_tokens(tokens[i].norm), len(tokens) - i)  # noqa: SLF001
            found = None
            for size in range(longest, 0, -1):
                last = i + size
                if segments[last - 1] != segments[i]:
                    continue
                key = " ".join(token.norm for token in tokens[i:last])
                skill = taxonomy._lookup(key)  # noqa: SLF001
                if skill is None or not self._glued(text, tokens, i, last):
                    continue
                guarded = taxonomy.is_guarded(key)
                if guarded and not self._well_formed(
                    text, key, tokens[i].start, tokens[last - 1].end
                ):
                    continue
                found = _Match(skill, key, i, last, segments[i], guarded)
                break
            if found is None:
                i += 1
            else:
                matches.append(found)
                i = found.last
        return matches

    @staticmethod
    def _glued(text: str, tokens: list[_Token], first: int, last: int) -> bool:
        """Tell whether the tokens of a multi-token alias are joined only by spaces or . / - _."""
        return all(
            _GAP.fullmatch(text, tokens[k].end, tokens[k + 1].start) for k in range(first, last - 1)
        )

    def _well_formed(self, text: str, key: str, start: int, end: int) -> bool:
        """Tell whether a guarded alias is written exactly as an alias and stands on its own."""
        surface = " ".join(text[start:end].split())
        if surface not in self._taxonomy._surface_forms(key):  # noqa: SLF001
            return False
        after = text[end : end + 2]
        if len(after) == 2 and after[0] in _BLOCKERS and after[1].isalnum():  # noqa: PLR2004
            return False
        before = text[max(0, start - 2) : start]
        return not (len(before) == 2 and before[1] in _BLOCKERS and before[0].isalnum())  # noqa: PLR2004

    def _confirm_guarded(
        self, text: str, tokens: list[_Token], segments: list[int], matches: list[_Match]
    ) -> list[_Match]:
        """Keep a guarded match only where the context makes the skill reading clear."""
        if not any(m.guarded for m in matches):
            return matches
        segment_first: dict[int, int] = {}
        capitals: dict[int, list[int]] = {}
        for index, (token, segment) in enumerate(zip(tokens, segments, strict=True)):
            if segment_first.setdefault(segment, index) != index and token.norm[0].isalpha():
                # capitals after the first word: "Excel In Every Task" is a heading
                counts = capitals.setdefault(segment, [0, 0])
                counts[0] += text[token.start].isupper()
                counts[1] += 1
        kept: list[_Match] = []
        for match in matches:
            if not match.guarded:
                kept.append(match)
                continue
            surface = text[tokens[match.first].start : tokens[match.last - 1].end]
            letters = sum(ch.isalpha() for ch in surface)
            acronym = letters >= 2 and surface.isupper()  # noqa: PLR2004
            strict = match.key in self._taxonomy.strict
            if not strict and (letters >= 3 or acronym):  # noqa: PLR2004 - not "Go", "R"
                upper, words = capitals.get(match.segment, [0, 0])
                title_case = words >= 2 and upper >= 0.6 * words  # noqa: PLR2004
                starts_segment = match.first == segment_first[match.segment]
                if not title_case and not starts_segment:
                    kept.append(match)
                    continue
            if self._supported(text, tokens, segments, matches, match):
                kept.append(match)
        return kept

    @staticmethod
    def _supported(
        text: str, tokens: list[_Token], segments: list[int], matches: list[_Match], match: _Match
    ) -> bool:
        """Tell whether a technology or a programming word stands near a guarded match.

        Near means a few tokens away in the same sentence, or, for a match that is a whole
        list item ("- Go"), an item of the list just before or after it ("- Kafka").
        """

        def alone(m: _Match) -> bool:
            return (m.first == 0 or segments[m.first - 1] != m.segment) and (
                m.last == len(tokens) or segments[m.last] != m.segment
            )

        start = tokens[match.first].start
        prefix = text[text.rfind("\n", 0, start) + 1 : start]
        item = alone(match) and (
            _LIST_ITEM.fullmatch(prefix) is not None or prefix.rstrip().endswith(_INLINE_BULLETS)
        )
        for other in matches:
            if other is match:
                continue
            if not (other.guarded or other.skill.kind is SkillKind.TECHNOLOGY):
                continue
            if other.segment == match.segment:
                distance = max(other.first - match.last, match.first - other.last) + 1
                if distance <= (2 if other.guarded else _CONTEXT_WINDOW):
                    return True
            elif (
                item
                and abs(other.segment - match.segment) == 1
                and (not other.guarded or alone(other))  # "- Excel" next to "- Word"
            ):
                return True
        low = max(0, match.first - _CUE_WINDOW)
        high = min(len(tokens), match.last + _CUE_WINDOW)
        return any(
            tokens[k].norm in _TECH_CUES and segments[k] == match.segment
            for k in range(low, high)
            if not match.first <= k < match.last
        )

    @staticmethod
    def _with_requirements(
        text: str, tokens: list[_Token], matches: list[_Match], bounds: list[int]
    ) -> tuple[SkillMention, ...]:
        if not matches:
            return ()
        lines = _lines(text)
        line_starts = [line.start for line in lines]
        cues_by_segment: dict[int, list[_Cue]] = {}
        mentions: list[SkillMention] = []
        for match in matches:
            start, end = tokens[match.first].start, tokens[match.last - 1].end
            cues = cues_by_segment.get(match.segment)
            if cues is None:
                seg_start = bounds[match.segment - 1] if match.segment else 0
                seg_end = bounds[match.segment] if match.segment < len(bounds) else len(text)
                cues = cues_by_segment[match.segment] = _cues(text, seg_start, seg_end)
            required = _requirement(cues, start, end)
            if required is None:
                required = lines[bisect.bisect_right(line_starts, start) - 1].state
            mentions.append(SkillMention(match.skill, start, end, text[start:end], required))
        return tuple(mentions)


# ------------------------------------------------------------------------- lexical fallback

_STOPWORDS = _words(
    "a about above across after again against all also am an and any are as at be because been "
    "before being below between both but by can could did do does doing down during each either "
    "etc few for from further had has have having he her here hers him his how i if in into is it "
    "its itself just me more most my no nor not now of off on once only or other our ours out over "
    "own per same she should so some such than that the their theirs them then there these they "
    "this those through to too under until up upon us very via was we were what when where which "
    "while who whom why will with within without would you your yours e g eg ie i e "
    # job-advert filler that names no skill
    "ability able abilities experience experienced experiences knowledge skill skills strong "
    "good great excellent solid proven deep year years plus preferred required requirement "
    "requirements must ideally candidate candidates role position job team looking seek seeking "
    "opportunity want join including include includes using use used well highly"
)


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _porter(word)


def _terms(text: str) -> list[str]:
    return [_stem(t.norm) for t in _tokens(text) if t.norm not in _STOPWORDS]


class _LexicalIndex:
    """ESCO labels ranked by the informative words they share with a text.

    A label scores ``coverage * sqrt(matched)`` where ``matched`` is the summed inverse document
    frequency of its (stemmed) words found in the text and ``coverage`` the share of its own
    weight that was matched: labels the text spells out completely come first, longer (more
    specific) ones before shorter ones.
    """

    def __init__(self, labels: Sequence[str]) -> None:
        self._labels = list(labels)
        self._terms: list[frozenset[str]] = []
        postings: dict[str, list[int]] = {}
        for number, label in enumerate(self._labels):
            terms = frozenset(_terms(label)) or frozenset(_stem(t.norm) for t in _tokens(label))
            self._terms.append(terms)
            for term in terms:
                postings.setdefault(term, []).append(number)
        total = len(self._labels)
        self._idf = {t: math.log((total + 1) / (len(p) + 0.5)) for t, p in postings.items()}
        self._postings = postings
        self._weight = [sum(self._idf[t] for t in terms) for terms in self._terms]

    def rank(self, text: str, limit: int) -> list[tuple[str, float]]:
        query = set(_terms(text))
        candidates: set[int] = set()
        for term in query:
            candidates.update(self._postings.get(term, ()))
        scored: list[tuple[float, str]] = []
        for number in candidates:
            terms = self._terms[number]
            matched = sum(self._idf[t] for t in terms if t in query)
            if matched <= 0 or not self._weight[number]:
                continue
            coverage = matched / self._weight[number]
            score = coverage * math.sqrt(matched)
            scored.append((score / (1 + score), self._labels[number]))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [(label, score) for score, label in scored[:limit]]


# ----------------------------------------------------------------------------- Porter stemmer
# M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980: the original algorithm.

_VOWELS = frozenset("aeiou")


def _consonant(word: str, i: int) -> bool:
    char = word[i]
    if char in _VOWELS:
        return False
    if char == "y":
        return i == 0 or not _consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    count, i, size = 0, 0, len(stem)
    while i < size and _consonant(stem, i):
        i += 1
    while i < size:
        while i < size and not _consonant(stem, i):
            i += 1
        if i >= size:
            break
        while i < size and _consonant(stem, i):
            i += 1
        count += 1
    return count


def _has_vowel(stem: str) -> bool:
    return any(not _consonant(stem, i) for i in range(len(stem)))


def _double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _consonant(word, len(word) - 1)  # noqa: PLR2004


def _cvc(word: str) -> bool:
    return (
        len(word) >= 3  # noqa: PLR2004
        and _consonant(word, len(word) - 3)
        and not _consonant(word, len(word) - 2)
        and _consonant(word, len(word) - 1)
        and word[-1] not in "wxy"
    )


_STEP2 = (
    ("ational", "ate"),
    ("tional", "tion"),
    ("enci", "ence"),
    ("anci", "ance"),
    ("izer", "ize"),
    ("abli", "able"),
    ("alli", "al"),
    ("entli", "ent"),
    ("eli", "e"),
    ("ousli", "ous"),
    ("ization", "ize"),
    ("ation", "ate"),
    ("ator", "ate"),
    ("alism", "al"),
    ("iveness", "ive"),
    ("fulness", "ful"),
    ("ousness", "ous"),
    ("aliti", "al"),
    ("iviti", "ive"),
    ("biliti", "ble"),
)
_STEP3 = (
    ("icate", "ic"),
    ("ative", ""),
    ("alize", "al"),
    ("iciti", "ic"),
    ("ical", "ic"),
    ("ful", ""),
    ("ness", ""),
)
_STEP4 = (
    "al",
    "ance",
    "ence",
    "er",
    "ic",
    "able",
    "ible",
    "ant",
    "ement",
    "ment",
    "ent",
    "ion",
    "ou",
    "ism",
    "ate",
    "iti",
    "ous",
    "ive",
    "ize",
)


def _replace(word: str, rules: Sequence[tuple[str, str]]) -> str:
    for suffix, replacement in rules:
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            return stem + replacement if _measure(stem) > 0 else word
    return word


def _porter(word: str) -> str:  # noqa: C901, PLR0912 - the algorithm's steps, as published
    if len(word) <= 2 or not word.isalpha():  # noqa: PLR2004
        return word
    # step 1a
    if word.endswith(("sses", "ies")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    # step 1b
    trimmed = False
    if word.endswith("eed"):
        if _measure(word[:-3]) > 0:
            word = word[:-1]
    elif word.endswith("ed") and _has_vowel(word[:-2]):
        word, trimmed = word[:-2], True
    elif word.endswith("ing") and _has_vowel(word[:-3]):
        word, trimmed = word[:-3], True
    if trimmed:
        if word.endswith(("at", "bl", "iz")):
            word += "e"
        elif _double_consonant(word) and word[-1] not in "lsz":
            word = word[:-1]
        elif _measure(word) == 1 and _cvc(word):
            word += "e"
    # step 1c
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    word = _replace(word, _STEP2)
    word = _replace(word, _STEP3)
    # step 4
    for suffix in _STEP4:
        if word.endswith(suffix):
            stem = word[: -len(suffix)]
            if _measure(stem) > 1 and (suffix != "ion" or stem.endswith(("s", "t"))):
                word = stem
            break
    # step 5
    if word.endswith("e"):
        stem = word[:-1]
        measure = _measure(stem)
        if measure > 1 or (measure == 1 and not _cvc(stem)):
            word = stem
    if _measure(word) > 1 and _double_consonant(word) and word.endswith("l"):
        word = word[:-1]
    return word


# ------------------------------------------------------------------------------------- titles


class Seniority(enum.StrEnum):
    """How senior a job title says the role is."""

    INTERN = "intern"
    JUNIOR = "junior"
    MID = "mid"
    SENIOR = "senior"
    LEAD = "lead"
    EXECUTIVE = "executive"


_SENIORITY_WORDS: tuple[tuple[str, Seniority], ...] = (
    ("intern", Seniority.INTERN),
    ("interns", Seniority.INTERN),
    ("internship", Seniority.INTERN),
    ("trainee", Seniority.INTERN),
    ("apprentice", Seniority.INTERN),
    ("working student", Seniority.INTERN),
    ("werkstudent", Seniority.INTERN),
    ("praktikant", Seniority.INTERN),
    ("junior", Seniority.JUNIOR),
    ("jr", Seniority.JUNIOR),
    ("entry level", Seniority.JUNIOR),
    ("graduate", Seniority.JUNIOR),
    ("new grad", Seniority.JUNIOR),
    ("mid level", Seniority.MID),
    ("mid senior", Seniority.MID),
    ("mid", Seniority.MID),
    ("intermediate", Seniority.MID),
    ("senior", Seniority.SENIOR),
    ("sr", Seniority.SENIOR),
    ("experienced", Seniority.SENIOR),
    ("lead", Seniority.LEAD),
    ("principal", Seniority.LEAD),
    ("team lead", Seniority.LEAD),
    ("tech lead", Seniority.LEAD),
    ("distinguished", Seniority.LEAD),
    ("head of", Seniority.EXECUTIVE),
    ("head", Seniority.EXECUTIVE),
    ("director", Seniority.EXECUTIVE),
    ("vp", Seniority.EXECUTIVE),
    ("vice president", Seniority.EXECUTIVE),
    ("chief", Seniority.EXECUTIVE),
    ("cto", Seniority.EXECUTIVE),
    ("ceo", Seniority.EXECUTIVE),
    ("cfo", Seniority.EXECUTIVE),
    ("coo", Seniority.EXECUTIVE),
    ("cio", Seniority.EXECUTIVE),
    ("cmo", Seniority.EXECUTIVE),
)
_NUMERALS = {
    "i": Seniority.JUNIOR,
    "ii": Seniority.MID,
    "iii": Seniority.SENIOR,
    "iv": Seniority.LEAD,
    "v": Seniority.LEAD,
    "1": Seniority.JUNIOR,
    "2": Seniority.MID,
    "3": Seniority.SENIOR,
}
_STAFF_ROLES = _words(
    "engineer engineers developer developers scientist scientists designer designers architect "
    "architects analyst analysts researcher"
)
_GENDER_TAG = re.compile(
    r"\(\s*(?:[mwfhdxi]\s*[/|,*]\s*){1,3}[mwfhdxi]\s*\)|\b[mwfhdx](?:\s*/\s*[mwfhdx]){1,3}\b"
    r"|\(\s*(?:all genders?|gn\*?|m/w/d|mwd|d/f/m|f/m/d|h/f|f/h|w/m/d|m/f/x|m/f)\s*\)"
    r"|\ball genders?\b|\*in\b|/-?in\b|:in\b",
    re.IGNORECASE,
)
_TITLE_STOP = _words("a an and the of for in at on to with")


_ASCII_NON_WORD = re.compile(r"[\W_]+", re.ASCII)


def _fold(text: str) -> str:
    """:func:`jobraker_core.jobs.text.fold`, with a fast path for ASCII text (most titles)."""
    if text.isascii():
        return _ASCII_NON_WORD.sub(" ", text.lower()).strip()
    return fold(text)


def _title_words(title: str) -> list[str]:
    return _fold(_GENDER_TAG.sub(" ", title)).split()


def seniority_of(title: str) -> Seniority | None:
    """Return the seniority a job title states ("Senior", "Jr.", "Lead", "II", "Head of", ...).

    None when it states none; the highest level named wins ("Senior Lead" is LEAD).
    """
    words = _title_words(title)
    found: list[Seniority] = []
    padded = f" {' '.join(words)} "
    for phrase, level in _SENIORITY_WORDS:
        if f" {phrase} " in padded:
            found.append(level)
    if "staff" in words and _STAFF_ROLES.intersection(words):
        found.append(Seniority.LEAD)
    if len(words) > 1 and words[-1] in _NUMERALS:
        found.append(_NUMERALS[words[-1]])
    order = list(Seniority)
    return max(found, key=order.index) if found else None


_STRIPPABLE = _words(
    "senior sr junior jr lead principal staff intern internship trainee mid level entry "
    "experienced graduate i ii iii iv v 1 2 3 remote hybrid onsite contract temporary "
    "freelance part full time permanent"
)


def _singular(word: str) -> str:
    """Return a plural English noun in the singular ("nurses" -> "nurse"); else ``word``."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):  # noqa: PLR2004
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def _title_key(words: Sequence[str]) -> str:
    return " ".join(_singular(w) for w in words if w not in _TITLE_STOP)


@attrs.frozen
class NormalisedTitle:
    """A job title mapped to an O*NET occupation.

    ``code`` and ``title`` name the occupation, ``matched`` is the alternate title that matched,
    ``score`` says how well (1.0 exact, lower for a partial word match), and ``seniority`` is
    what the title said about seniority.
    """

    code: str
    title: str
    matched: str
    score: float
    seniority: Seniority | None = None


class TitleNormaliser:
    """Maps free job titles to canonical O*NET occupation titles through O*NET alternate titles.

    Gender tags ("(m/w/d)", "(all genders)"), seniority words ("Senior", "Jr.", "II"),
    employment words ("Remote", "Contract") and trailing qualifiers ("- Payments team",
    "| Berlin") are folded away before looking the title up. A title that matches no alternate
    title exactly is matched by its words (weighted by rarity, unknown words counting fully
    against the match), and not at all below ``threshold``. An alternate title that several
    occupations share ("Teacher") goes to the occupation whose own title and alternate titles
    use its words most.
    """

    def __init__(
        self,
        occupations: Mapping[str, str],
        alternates: Iterable[tuple[str, str]],
        *,
        threshold: float = 0.75,
    ) -> None:
        """Index ``alternates``, (code, title) pairs, of ``occupations``, code → title."""
        self._occupations = dict(occupations)
        self._threshold = threshold
        self._exact: dict[str, tuple[str, str]] = {}
        for code, title in sorted(self._occupations.items()):
            self._exact.setdefault(_title_key(_title_words(title)), (code, title))
        by_key: dict[str, dict[str, str]] = {}
        term_sets: dict[str, list[set[str]]] = {}
        for code, alternate in alternates:
            key = _title_key(_title_words(alternate))
            if key and code in self._occupations:
                by_key.setdefault(key, {}).setdefault(code, alternate)
                term_sets.setdefault(code, []).append(set(key.split()))
        titles = {c: set(_title_key(_title_words(t)).split()) for c, t in self._occupations.items()}
        for key, owners in sorted(by_key.items()):
            if key in self._exact:
                continue
            if len(owners) == 1:
                code = next(iter(owners))
            else:
                terms = set(key.split())

                def fit(code: str, terms: set[str] = terms) -> tuple[int, int, str]:
                    uses = sum(1 for t in term_sets.get(code, ()) if terms <= t)
                    return (-len(terms & titles[code]), -uses, code)

                code = min(owners, key=fit)
            self._exact[key] = (code, owners[code])
        self._keys = sorted(self._exact)
        postings: dict[str, list[int]] = {}
        for number, key in enumerate(self._keys):
            for term in set(key.split()):
                postings.setdefault(term, []).append(number)
        total = len(self._keys) or 1
        self._idf = {t: math.log((total + 1) / (len(p) + 0.5)) for t, p in postings.items()}
        self._unknown = math.log((total + 1) / 0.5)
        self._postings = postings

    def normalise(self, title: str) -> NormalisedTitle | None:
        """Return the O*NET occupation ``title`` most likely names, or None when none fits."""
        seniority = seniority_of(title)
        candidates = self._candidates(title)
        for words in candidates:
            hit = self._exact.get(_title_key(words))
            if hit is not None:
                return self._result(hit, 1.0, seniority)
        best: tuple[float, str] | None = None
        for words in candidates:
            found = self._closest(words)
            if found is not None and (best is None or found[0] > best[0]):
                best = found
        if best is None or best[0] < self._threshold:
            return None
        return self._result(self._exact[best[1]], round(best[0], 3), seniority)

    def _result(
        self, hit: tuple[str, str], score: float, seniority: Seniority | None
    ) -> NormalisedTitle:
        code, matched = hit
        return NormalisedTitle(code, self._occupations[code], matched, score, seniority)

    @staticmethod
    def _candidates(title: str) -> list[list[str]]:
        cleaned = _GENDER_TAG.sub(" ", title)
        pieces = [cleaned, re.sub(r"\([^)]*\)|\[[^]]*\]", " ", cleaned)]
        head = re.split(
            r"\s*[-\u2013\u2014|@]\s+|\s+[-\u2013\u2014|@]\s*|,|\||\(|\bat\b",
            pieces[-1],
            maxsplit=1,
        )[0]
        pieces.append(head)
        candidates: list[list[str]] = []
        for piece in pieces:
            words = _fold(piece).split()
            stripped = [w for w in words if w not in _STRIPPABLE]
            for option in (words, stripped):
                if option and option not in candidates:
                    candidates.append(option)
        return candidates

    def _closest(self, words: Sequence[str]) -> tuple[float, str] | None:
        query = list(dict.fromkeys(_title_key(words).split()))
        if not query:
            return None
        weights = {t: self._idf.get(t, self._unknown) for t in query}
        query_weight = sum(weights.values())
        candidates: set[int] = set()
        for term in query:
            candidates.update(self._postings.get(term, ()))
        best: tuple[float, str] | None = None
        head = query[-1]
        for number in candidates:
            key = self._keys[number]
            terms = set(key.split())
            shared = sum(weights[t] for t in query if t in terms)
            own = sum(self._idf[t] for t in terms)
            score = 2 * shared / (query_weight + own)
            # the last word of a title names the job ("nurse" in "ICU nurse"): it must agree
            score = min(1.0, score + 0.1) if key.split()[-1] == head else score * 0.8
            if best is None or score > best[0] or (score == best[0] and key < best[1]):
                best = (score, key)
        return best
