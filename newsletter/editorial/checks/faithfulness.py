"""Is each line of a briefing backed by the sources it cites?

A line of 주요 사건 (events) or 영향 분석 (impact) must cite its sources, and the names
and numbers it states must be in those sources, not merely somewhere in the section:
a figure from source 2 cited as [1] is a wrong attribution. Topics and the final summary
cite nothing by rule; they are checked against all of the section's sources, or
against the ones they cite when they do.

- numbers are compared as values (``quantities``: 2억 5천만 달러 = $250 million);
- Latin-script names must appear in a cited source, or their Hangul spelling must
  (``transliteration``), and known Hangul names (엔비디아) must appear in a cited
  source in either script; in English text a capitalised word that starts a sentence
  is only checked when it looks like a name (a digit or a second capital: GPT-5).

``check`` returns one ``Flag`` per line with problems, each problem written so it can
be handed back to the model as it stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from newsletter.editorial import excerpts, sections
from newsletter.editorial.checks import quantities, transliteration
from newsletter.editorial.text import clean_text

if TYPE_CHECKING:
    from ingestion.models import Article

EVENTS = "events"
IMPACT = "impact"
TOPICS = "topics"
FINAL_SUMMARY = "final_summary"
PAPER_LINES = "papers"
# The parts whose every line must cite its sources.
CITING_PARTS = (EVENTS, IMPACT, PAPER_LINES)
# A Papers section's parts in reading order; only its paper lines must cite.
PAPERS_PARTS = ("topics", "trends", PAPER_LINES, "fields", "outlook")

# Abbreviations of the trade that name nothing in particular: no source needs to write
# "LLM" for a line to say it.
COMMON_TERMS = frozenset(
    "ai agi llm llms gpu gpus cpu npu tpu api apis ceo cto cfo it ml nlp ui ux os pc "
    "iot vr ar xr saas b2b b2c ipo r&d m&a q&a faq".split()
)
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.\-+'’][A-Za-z0-9]+)*")
_MIXED_TOKEN = re.compile(r"[\uac00-\ud7a3A-Za-z0-9]+")


@dataclass(frozen=True)
class Line:
    """One line of a briefing: where it is (part and index or area) and what it says."""

    part: str
    key: int | str
    text: str

    @property
    def citations(self) -> list[int]:
        return sections.citations_in(self.text)

    @property
    def label(self) -> str:
        return f"{self.part}.{self.key}" if self.part == IMPACT else self.part


@dataclass
class Flag:
    line: Line
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """A source's text as the checks read it: lower case, and its quantities."""

    text: str
    quantities: tuple[quantities.Quantity, ...]

    @classmethod
    def of(cls, article: Article) -> Source:
        # The model is told who publishes a source and when: "22일" may come from there.
        text = clean_text(
            f"{excerpts.publisher(article)} {excerpts.published(article)}\n"
            f"{article.title}\n{article.feed_summary}\n{article.text}"
        )
        return cls(text.lower(), tuple(quantities.quantities(text)))

    @classmethod
    def of_text(cls, text: str) -> Source:
        """Our own line as a source: what a translation of it may state."""
        text = clean_text(sections.CITATION.sub(" ", text))
        return cls(text.lower(), tuple(quantities.quantities(text)))


def lines(content: dict) -> list[Line]:
    """Every line of a stored briefing or Papers section, in reading order."""
    if content.get("kind") == sections.PAPERS:
        return [
            Line(part, i, item["text"] if isinstance(item, dict) else item)
            for part in PAPERS_PARTS
            for i, item in enumerate(content.get(part) or [])
        ]
    return [
        *(Line(TOPICS, i, t) for i, t in enumerate(content["topics"])),
        *(Line(EVENTS, i, e["text"]) for i, e in enumerate(content["events"])),
        *(Line(IMPACT, area, t) for area, t in content["impact"].items()),
        *(Line(FINAL_SUMMARY, i, t) for i, t in enumerate(content["final_summary"])),
    ]


def sources_of(articles: Sequence[Article]) -> dict[int, Source]:
    """The section's sources by number (1..n, in the order given)."""
    return {n: Source.of(a) for n, a in enumerate(articles, start=1)}


def check(content: dict, sources: dict[int, Source], *, language: str) -> list[Flag]:
    """A Flag for each line of ``content`` with a problem, in reading order."""
    flags = []
    for line in lines(content):
        problems = line_problems(line, sources, language=language)
        if problems:
            flags.append(Flag(line, problems))
    return flags


def describe(flag: Flag) -> str:
    """A flagged line as editors read it in a section's notes."""
    return f'{flag.line.label} "{flag.line.text}" ({"; ".join(flag.problems)})'


def line_problems(
    line: Line, sources: dict[int, Source], *, language: str
) -> list[str]:
    cited = [n for n in line.citations if n in sources]
    if not cited and line.part in CITING_PARTS:
        return ["it cites no source"]
    numbers = cited or list(sources)
    where = (
        "the cited source"
        + ("s " if len(cited) > 1 else " ")
        + "".join(f"[{n}]" for n in cited)
        if cited
        else "any source of this section"
    )
    backing = [sources[n] for n in numbers]
    return [
        f"{claim} is not in {where}"
        for claim in unsupported(line.text, backing, language=language)
    ]


def unsupported(text: str, backing: Sequence[Source], *, language: str) -> list[str]:
    """The numbers and names of ``text`` that none of ``backing`` holds, each once."""
    text = sections.CITATION.sub(" ", text)
    known = [q for source in backing for q in source.quantities]
    haystack = "\n".join(source.text for source in backing)
    flagged: dict[str, None] = {}
    for claim in quantities.quantities(text):
        if not quantities.supported(claim, known):
            flagged[claim.written.strip() or f"{claim.value:g}"] = None
    for name in _names(text, language=language):
        if not _name_in(name, haystack):
            flagged[name] = None
    return list(flagged)


def _names(text: str, *, language: str) -> list[str]:
    """The names ``text`` states: known Hangul names, mixed words read in Latin
    (오픈AI → OpenAI is checked as "openai"), and Latin words."""
    found: dict[str, None] = dict.fromkeys(transliteration.hangul_names(text))
    mixed_spans = []
    for token in _MIXED_TOKEN.finditer(text):
        latin = transliteration.romanised(token.group(0))
        if latin is not None:
            found[token.group(0)] = None
            mixed_spans.append(token.span())
    for match in _LATIN_WORD.finditer(text):
        if any(start <= match.start() < end for start, end in mixed_spans):
            continue
        word = match.group(0)
        if re.fullmatch(r"[A-Za-z]", word) or word.lower() in COMMON_TERMS:
            continue  # a lone letter (Q, a) or a term of the trade names nothing
        if language != "ko" and not _looks_like_english_name(text, match):
            continue
        found[word] = None
    return list(found)


def _looks_like_english_name(text: str, match: re.Match) -> bool:
    word = match.group(0)
    if not word[0].isupper():
        return False
    before = text[: match.start()]
    starts_sentence = not before.strip() or re.search(r"[.!?:]\s*$", before)
    looks_like_name = any(c.isdigit() for c in word) or any(
        c.isupper() for c in word[1:]
    )
    return not starts_sentence or looks_like_name


def _name_in(name: str, haystack: str) -> bool:
    latin = transliteration.romanised(name)
    if latin is not None:
        return transliteration.name_in(latin, haystack) or name.lower() in haystack
    if transliteration.name_in(name, haystack):
        return True
    # GPT-5.1 is backed by a source that writes "GPT" and "5.1" apart.
    parts = [p for p in re.split(r"[.\-+'’]", name.lower()) if p]
    return len(parts) > 1 and all(
        re.search(r"(?<![a-z0-9])" + re.escape(p), haystack) for p in parts
    )


def translation_flags(
    original: dict,
    translated: dict,
    sources: dict[int, Source],
    *,
    language: str,
) -> list[Flag]:
    """A Flag for each line of ``translated`` stating a name or number that is in
    neither the line it translates (same part and place in ``original``) nor the
    sources that line cites (all of the section's, for a line citing none)."""
    before = {(line.part, line.key): line.text for line in lines(original)}
    flags = []
    for line in lines(translated):
        cited = [n for n in line.citations if n in sources] or list(sources)
        backing = [Source.of_text(before.get((line.part, line.key), ""))]
        backing += [sources[n] for n in cited]
        claims = unsupported(line.text, backing, language=language)
        if claims:
            problems = [
                f"{claim} is in neither the original line nor its sources"
                for claim in claims
            ]
            flags.append(Flag(line, problems))
    return flags
