"""A digest section's content: its one format, its one writer check, its one reader.

``DigestSection.content`` holds one of two kinds (a missing "kind" is a briefing):

    briefing: {"kind": "briefing"  (stored without it),
               "topics": [str],
               "events": [{"text": str, "citations": [int]}],
               "impact": {"economy" | "politics_society" | "science_technology": str},
               "final_summary": [str]}
    excerpts: {"kind": "excerpts",
               "topics": [str]  (plain titles, at most 4),
               "excerpts": [{"text": str, "publisher": str,
                             "published": "YYYY-MM-DD" or "", "citations": [int]}],
               "key_figures": [{"text": str, "citations": [int]}],
               "impact": {area: str}  (only the areas that qualify, may be {})}
    papers:   {"kind": "papers",   (a Papers edition section)
               "extracted": bool  (True: each paper line is its abstract's own
                                   sentence, quoted; the other parts are empty),
               "topics": [str], "trends": [str],
               "papers": [{"text": str, "citations": [int]}]  (one line per paper),
               "fields": [str]  (impact by field), "outlook": [str],
               "total": int  (papers of the category that day; the section cites
                              the best-ranked few, the rest are on the web)}

Citations are source numbers written "[n]" in the text. ``normalise`` runs on every
write (summarizers, the editor's form) and on every read, so it is idempotent:
texts become one line of plain text; a citation that points at no source is
dropped (from the text and the list) and counted; every listed citation appears
in its text (appended when missing) and every [n] in a text is in its list. An
impact area that is absent or empty is left out. Anything else that does not fit
the shape above raises ``SectionContentError``, whose message says where.

Renderers call ``read`` for typed parts and ``pieces`` to split a text into text
and citation pieces, so every output links and prints citations the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from newsletter import vocabulary

BRIEFING = "briefing"
EXCERPTS = "excerpts"
PAPERS = "papers"
KINDS = (BRIEFING, EXCERPTS, PAPERS)
IMPACT_AREAS = ("economy", "politics_society", "science_technology")
MAX_EXCERPT_TOPICS = 4

# "[3]", "[1, 2]" and "[ 4 ]" are citations; "[1][2]" is their written form.
CITATION = re.compile(r"\[\s*(\d{1,4}(?:\s*,\s*\d{1,4})*)\s*\]")
# Invisible characters (zero-width, bidi controls, C0/C1 controls) are never content.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,])")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_KEYS = {
    BRIEFING: {"kind", "topics", "events", "impact", "final_summary"},
    EXCERPTS: {"kind", "topics", "excerpts", "key_figures", "impact"},
    PAPERS: {
        "kind",
        "extracted",
        "topics",
        "trends",
        "papers",
        "fields",
        "outlook",
        "total",
    },
}


class SectionContentError(ValueError):
    """Stored or submitted section content that does not fit the format."""


# --- the typed parts renderers read ------------------------------------------


@dataclass(frozen=True)
class Cited:
    """A text whose citations all appear in it as [n]."""

    text: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Impact:
    area: str  # one of IMPACT_AREAS
    text: str


@dataclass(frozen=True)
class Excerpt:
    text: str
    publisher: str
    published: date | None
    citations: tuple[int, ...]


@dataclass(frozen=True)
class SectionContent:
    kind: str
    topics: tuple[str, ...] = ()
    events: tuple[Cited, ...] = ()
    impact: tuple[Impact, ...] = ()
    final_summary: tuple[str, ...] = ()
    excerpts: tuple[Excerpt, ...] = ()
    key_figures: tuple[Cited, ...] = ()
    # The papers kind.
    trends: tuple[str, ...] = ()
    papers: tuple[Cited, ...] = ()
    fields: tuple[str, ...] = ()
    outlook: tuple[str, ...] = ()
    extracted: bool = False
    total: int = 0

    @property
    def is_excerpts(self) -> bool:
        return self.kind == EXCERPTS

    @property
    def is_papers(self) -> bool:
        return self.kind == PAPERS

    def more_papers(self, shown: int) -> int:
        """Papers of the category not in the section (listed on the web)."""
        return max(0, self.total - shown)


@dataclass(frozen=True)
class Normalised:
    content: dict
    # Each citation dropped because it points at no source, in order met.
    dropped: tuple[object, ...] = ()

    @property
    def removed(self) -> int:
        return len(self.dropped)


@dataclass(frozen=True)
class Piece:
    """Part of a text: plain ``text``, or a ``citation`` number (text is "[n]")."""

    text: str
    citation: int | None = None


# --- writing -----------------------------------------------------------------


def normalise(
    content: object,
    *,
    source_count: int | None = None,
    source_numbers: Iterable[int] | None = None,
) -> Normalised:
    """The content in its stored form; raises SectionContentError when malformed.

    Valid citations are 1..source_count, or exactly ``source_numbers``; with
    neither, any number is kept (the reader's case: a stored [n] whose source is
    gone stays visible as text, renderers link only the sources they have).
    """
    if source_numbers is None and source_count is not None:
        source_numbers = range(1, source_count + 1)
    valid = None if source_numbers is None else frozenset(source_numbers)
    checker = _Checker(valid)
    return Normalised(checker.content(content), tuple(checker.dropped))


def save_content(
    section, content: object, *, source_count: int | None = None
) -> Normalised:
    """Set ``section.content`` to the normalised content (the caller saves the row).

    Without ``source_count`` the section's stored sources are the valid citations.
    """
    numbers = None
    if source_count is None:
        numbers = _source_numbers(section)
    result = normalise(content, source_count=source_count, source_numbers=numbers)
    section.content = result.content
    return result


class _Checker:
    def __init__(self, valid: frozenset[int] | None):
        self.valid = valid
        self.dropped: list[object] = []

    def is_valid(self, number: object) -> bool:
        if not _is_number(number):
            return False
        return number >= 1 if self.valid is None else number in self.valid

    def content(self, content: object) -> dict:
        if not isinstance(content, dict):
            raise SectionContentError(
                f"content is {type(content).__name__}, not an object"
            )
        kind = content.get("kind", BRIEFING)
        if kind not in KINDS:
            raise SectionContentError(
                f"kind {kind!r} is unknown (expected one of {', '.join(KINDS)})"
            )
        unknown = sorted(set(content) - _KEYS[kind])
        if unknown:
            raise SectionContentError(
                f"unknown key(s) in {kind} content: {', '.join(map(str, unknown))}"
            )
        # Checked in the order they are read, so the first error named is the first.
        if kind == PAPERS:
            return self.papers(content)
        if kind == EXCERPTS:
            return {
                "kind": EXCERPTS,
                "topics": self.strings(content.get("topics"), "topics")[
                    :MAX_EXCERPT_TOPICS
                ],
                "excerpts": self.items(
                    content.get("excerpts"), "excerpts", excerpt=True
                ),
                "key_figures": self.items(content.get("key_figures"), "key_figures"),
                "impact": self.impact(content.get("impact"), excerpt=True),
            }
        # A briefing is stored without "kind", as every briefing before excerpts was.
        return {
            "topics": self.strings(content.get("topics"), "topics"),
            "events": self.items(content.get("events"), "events"),
            "impact": self.impact(content.get("impact")),
            "final_summary": self.strings(
                content.get("final_summary"), "final_summary"
            ),
        }

    def papers(self, content: dict) -> dict:
        extracted = content.get("extracted", False)
        if not isinstance(extracted, bool):
            raise SectionContentError("extracted is not true or false")
        total = content.get("total", 0)
        if not _is_number(total) or total < 0:
            raise SectionContentError("total is not a count")
        return {
            "kind": PAPERS,
            "extracted": extracted,
            "topics": self.strings(content.get("topics"), "topics"),
            "trends": self.strings(content.get("trends"), "trends"),
            "papers": self.items(content.get("papers"), "papers"),
            "fields": self.strings(content.get("fields"), "fields"),
            "outlook": self.strings(content.get("outlook"), "outlook"),
            "total": total,
        }

    def strings(self, value: object, where: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise SectionContentError(f"{where} is not a list of texts")
        result = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise SectionContentError(f"{where}[{index}] is not a text")
            text, _ = self.text(item)
            if text:
                result.append(text)
        return result

    def impact(self, value: object, *, excerpt: bool = False) -> dict[str, str | dict]:
        """Area -> text; for excerpts an area may hold an attributed excerpt instead,
        so its publisher and date are written in the reader's language when read."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise SectionContentError("impact is not an object")
        unknown = sorted(set(value) - set(IMPACT_AREAS))
        if unknown:
            raise SectionContentError(
                f"impact has unknown area(s): {', '.join(map(str, unknown))}"
            )
        result = {}
        for area in IMPACT_AREAS:
            item = value.get(area)
            if item is None:
                continue
            if excerpt and isinstance(item, dict):
                quoted = self.items([item], f"impact.{area}", excerpt=True)
                if quoted:
                    result[area] = quoted[0]
                continue
            if not isinstance(item, str):
                raise SectionContentError(f"impact.{area} is not a text")
            text, _ = self.text(item)
            if text:
                result[area] = text
        return result

    def items(self, value: object, where: str, *, excerpt: bool = False) -> list[dict]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise SectionContentError(f"{where} is not a list")
        result = []
        for index, item in enumerate(value):
            here = f"{where}[{index}]"
            if isinstance(item, str) and not excerpt:
                item = {"text": item}  # an event written as bare text
            if not isinstance(item, dict):
                raise SectionContentError(f"{here} is not an object")
            allowed = {"text", "citations"} | (
                {"publisher", "published"} if excerpt else set()
            )
            unknown = sorted(set(item) - allowed)
            if unknown:
                raise SectionContentError(
                    f"{here} has unknown key(s): {', '.join(map(str, unknown))}"
                )
            if not isinstance(item.get("text"), str):
                raise SectionContentError(f"{here}.text is not a text")
            cited = self.cited(item["text"], item.get("citations"), here)
            if cited is None:
                continue
            if excerpt:
                cited = {
                    "text": cited["text"],
                    "publisher": self.publisher(item.get("publisher"), here),
                    "published": _published(item.get("published"), here),
                    "citations": cited["citations"],
                }
            result.append(cited)
        return result

    def cited(self, text: str, listed: object, where: str) -> dict | None:
        if listed is None:
            listed = []
        if not isinstance(listed, list):
            raise SectionContentError(f"{where}.citations is not a list")
        bad_in_text: list[int] = []
        text, in_text = self.text(text, bad=bad_in_text)
        if not text:
            return None
        kept = []
        for number in listed:
            if self.is_valid(number):
                kept.append(number)
            elif not (_is_number(number) and number in bad_in_text):
                # A bad number both in the text and the list is one bad citation.
                self.dropped.append(number)
        citations = sorted(set(kept) | set(in_text))
        missing = [n for n in citations if n not in in_text]
        if missing:
            text = f"{text} " + "".join(f"[{n}]" for n in missing)
        return {"text": text, "citations": citations}

    def publisher(self, value: object, where: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise SectionContentError(f"{where}.publisher is not a text")
        return _one_line(value)

    def text(self, text: str, *, bad: list | None = None) -> tuple[str, list[int]]:
        """One line of plain text with only valid citations, and those citations.

        Citations to no source are counted in ``dropped`` and added to ``bad``.
        """
        found: list[int] = []
        removed: list[int] = []

        def keep(match: re.Match) -> str:
            numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
            kept = [n for n in numbers if self.is_valid(n)]
            removed.extend(n for n in numbers if not self.is_valid(n))
            found.extend(kept)
            return "".join(f"[{n}]" for n in dict.fromkeys(kept)) or " "

        line = CITATION.sub(keep, _one_line(text))
        if removed:
            # The gap a removed marker leaves must not stay before punctuation.
            line = _SPACE_BEFORE_STOP.sub(r"\1", _SPACES.sub(" ", line)).strip()
            self.dropped.extend(removed)
            if bad is not None:
                bad.extend(removed)
        return line, list(dict.fromkeys(found))


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def _is_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _published(value: object, where: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise SectionContentError(f"{where}.published {value!r} is not YYYY-MM-DD")


# --- reading -----------------------------------------------------------------


def read(section) -> SectionContent:
    """The section's content as typed parts; SectionContentError when malformed.

    Content written before this format was enforced is normalised here the same
    way, so every renderer sees the same parts.
    """
    return from_dict(normalise(section.content).content)


def from_dict(content: dict) -> SectionContent:
    """Typed parts of content that ``normalise`` returned."""
    impact = tuple(
        Impact(area, excerpt_line(_excerpt(item)) if isinstance(item, dict) else item)
        for area, item in content.get("impact", {}).items()
    )
    if content.get("kind") == PAPERS:
        return SectionContent(
            kind=PAPERS,
            topics=tuple(content["topics"]),
            trends=tuple(content["trends"]),
            papers=tuple(_cited(p) for p in content["papers"]),
            fields=tuple(content["fields"]),
            outlook=tuple(content["outlook"]),
            extracted=content["extracted"],
            total=content["total"],
        )
    if content.get("kind", BRIEFING) == EXCERPTS:
        return SectionContent(
            kind=EXCERPTS,
            topics=tuple(content["topics"]),
            impact=impact,
            excerpts=tuple(_excerpt(e) for e in content["excerpts"]),
            key_figures=tuple(_cited(k) for k in content["key_figures"]),
        )
    return SectionContent(
        kind=BRIEFING,
        topics=tuple(content["topics"]),
        events=tuple(_cited(e) for e in content["events"]),
        impact=impact,
        final_summary=tuple(content["final_summary"]),
    )


def _excerpt(item: dict) -> Excerpt:
    published = item["published"]
    return Excerpt(
        text=item["text"],
        publisher=item["publisher"],
        published=date.fromisoformat(published) if published else None,
        citations=tuple(item["citations"]),
    )


def _cited(item: dict) -> Cited:
    return Cited(item["text"], tuple(item["citations"]))


def _source_numbers(section) -> list[int]:
    if not section.pk:
        return []
    # .all() so a prefetch of sources is used when the caller made one.
    return [source.number for source in section.sources.all()]


def pieces(text: str) -> list[Piece]:
    """``text`` split into plain pieces and one piece per cited number, in order."""
    result: list[Piece] = []
    position = 0
    for match in CITATION.finditer(text):
        if match.start() > position:
            result.append(Piece(text[position : match.start()]))
        for number in re.findall(r"\d+", match.group(1)):
            result.append(Piece(f"[{int(number)}]", int(number)))
        position = match.end()
    if position < len(text):
        result.append(Piece(text[position:]))
    return result


def citations_in(text: str) -> list[int]:
    """The numbers cited in ``text``, in order, each once."""
    return list(
        dict.fromkeys(p.citation for p in pieces(text) if p.citation is not None)
    )


def excerpt_lead(excerpt: Excerpt) -> str:
    """What an excerpt is prefixed with, in the active language.

    "Anthropic (8월 21일)", "Anthropic (Aug 21)"; the publisher or the date alone
    when only one is known.
    """
    day = vocabulary.month_day(excerpt.published) if excerpt.published else ""
    if excerpt.publisher and day:
        return f"{excerpt.publisher} ({day})"
    return excerpt.publisher or day


def excerpt_line(excerpt: Excerpt) -> str:
    """The excerpt's text behind its lead: "Anthropic (Aug 21): …"."""
    lead = excerpt_lead(excerpt)
    return f"{lead}: {excerpt.text}" if lead else excerpt.text
