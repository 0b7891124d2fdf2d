"""A digest section's content: its one format, its one writer check, its one reader.

``DigestSection.content`` holds one of three kinds (a missing "kind" is a briefing):

    briefing: {"kind": "briefing"  (stored without it),
               "topics": [str],
               "events": [{"text": str, "citations": [int]}],
               "impact": {"economy" | "politics_society" | "science_technology":
                          str, its citations written in it as [n]},
               "final_summary": [str],
               "stories": [story]}
    excerpts: {"kind": "excerpts",
               "topics": [str]  (plain titles, at most 4),
               "excerpts": [{"text": str, "publisher": str,
                             "published": "YYYY-MM-DD" or "", "citations": [int],
                             "story": int (optional), "follow_up": true (optional)}],
               "key_figures": [{"text": str, "citations": [int]}],
               "impact": {area: str}  (only the areas that qualify, may be {}),
               "stories": [story]}
    papers:   {"kind": "papers",   (a Papers edition section)
               "extracted": bool  (True: each paper line is its abstract's own
                                   sentence, quoted; the other parts are empty),
               "topics": [str], "trends": [str],
               "papers": [{"text": str, "citations": [int], "title": str (optional:
                           the paper's title, shown in bold before the text)}]  (one line per paper),
               "fields": [str]  (impact by field), "outlook": [str],
               "total": int  (papers of the category that day; the section cites
                              the best-ranked few, the rest are on the web)}
    story:    {"id": int (a Story), "citations": [int]  (its sources),
               "follow_up": true (optional), "new_facts": [str] (optional)}

"stories" (optional, in rank order) says which sources tell which story: an email
shows a section's first DIGEST_STORIES_PER_SECTION stories (``cap_stories``): the
items citing them, and the items that cite nothing.

Citations are source numbers written "[n]" in the text. ``normalise`` runs on every
write (summarizers, the editor's form) and on every read, so it is idempotent:
texts become one line of plain text; a citation that points at no source is
dropped (from the text and the list) and counted; every listed citation appears
in its text (appended when missing) and every [n] in a text is in its list. An
impact area that is absent or empty is left out. Anything else that does not fit
the shape above raises ``SectionContentError``, whose message says where.

Renderers call ``read`` for typed parts and ``pieces`` to split a text into text
and citation pieces, so every output links and prints citations the same way.

A section is written in its digest's language (``content``) and may hold the same
section in other languages (``translations``): each entry names the content it was
made from by a fingerprint, who made it ("llm": translated, "offline": excerpts
because translating failed) and its content in the format above, normalised against
the same sources. ``read(section, language)`` gives the translation while it still
matches the content; otherwise (none made, or the content was edited since) the
content as written, so a reader never gets a stale machine translation. Two entries
stand although the content changed: an editor's own ("by": "editor") and one kept on
purpose when no LLM could make it again (``"kept": true``); the desk marks both as
older than the content until an editor saves that language (newsletter.services.bilingual).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from newsletter.editorial import vocabulary

logger = logging.getLogger(__name__)

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
    BRIEFING: {"kind", "topics", "events", "impact", "final_summary", "stories"},
    EXCERPTS: {"kind", "topics", "excerpts", "key_figures", "impact", "stories"},
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
_STORY_KEYS = {"id", "citations", "follow_up", "new_facts"}


class SectionContentError(ValueError):
    """Stored or submitted section content that does not fit the format."""


# --- the typed parts renderers read ------------------------------------------


@dataclass(frozen=True)
class Cited:
    """A text whose citations all appear in it as [n]."""

    text: str
    citations: tuple[int, ...]
    # A Papers line's paper title, shown in bold before the text (offline lines).
    title: str = ""


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
    story: int | None = None
    follow_up: bool = False


@dataclass(frozen=True)
class StoryRef:
    """A story of the section: which sources tell it."""

    id: int
    citations: tuple[int, ...]
    follow_up: bool = False
    new_facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionContent:
    kind: str
    topics: tuple[str, ...] = ()
    events: tuple[Cited, ...] = ()
    impact: tuple[Impact, ...] = ()
    final_summary: tuple[str, ...] = ()
    excerpts: tuple[Excerpt, ...] = ()
    key_figures: tuple[Cited, ...] = ()
    stories: tuple[StoryRef, ...] = ()
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
            return self.with_stories(
                content,
                {
                    "kind": EXCERPTS,
                    "topics": self.strings(content.get("topics"), "topics")[
                        :MAX_EXCERPT_TOPICS
                    ],
                    "excerpts": self.items(
                        content.get("excerpts"), "excerpts", excerpt=True
                    ),
                    "key_figures": self.items(
                        content.get("key_figures"), "key_figures"
                    ),
                    "impact": self.impact(content.get("impact"), excerpt=True),
                },
            )
        # A briefing is stored without "kind", as every briefing before excerpts was.
        return self.with_stories(
            content,
            {
                "topics": self.strings(content.get("topics"), "topics"),
                "events": self.items(content.get("events"), "events"),
                "impact": self.impact(content.get("impact")),
                "final_summary": self.strings(
                    content.get("final_summary"), "final_summary"
                ),
            },
        )

    def with_stories(self, content: dict, result: dict) -> dict:
        """``result`` with the content's "stories" list checked, when it has one."""
        if content.get("stories") is None:
            return result
        value = content["stories"]
        if not isinstance(value, list):
            raise SectionContentError("stories is not a list")
        stories = []
        for index, item in enumerate(value):
            here = f"stories[{index}]"
            if not isinstance(item, dict):
                raise SectionContentError(f"{here} is not an object")
            unknown = sorted(set(item) - _STORY_KEYS)
            if unknown:
                raise SectionContentError(
                    f"{here} has unknown key(s): {', '.join(map(str, unknown))}"
                )
            if not _is_number(item.get("id")) or item["id"] < 1:
                raise SectionContentError(f"{here}.id is not a story number")
            citations = item.get("citations") or []
            if not isinstance(citations, list):
                raise SectionContentError(f"{here}.citations is not a list")
            story = {
                "id": item["id"],
                # The section's own numbering: a story's source that is gone is gone.
                "citations": [n for n in citations if self.is_valid(n)],
            }
            if item.get("follow_up") is True:
                story["follow_up"] = True
                story["new_facts"] = self.strings(
                    item.get("new_facts"), f"{here}.new_facts"
                )
            elif item.get("follow_up") not in (None, False):
                raise SectionContentError(f"{here}.follow_up is not true or false")
            stories.append(story)
        result["stories"] = stories
        return result

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
            "papers": self.items(content.get("papers"), "papers", titled=True),
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

    def items(
        self, value: object, where: str, *, excerpt: bool = False, titled: bool = False
    ) -> list[dict]:
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
            allowed = (
                {"text", "citations"}
                | (
                    {"publisher", "published", "story", "follow_up"}
                    if excerpt
                    else set()
                )
                | ({"title"} if titled else set())
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
                    **_story_marks(item, here),
                }
            if titled and item.get("title"):
                if not isinstance(item["title"], str):
                    raise SectionContentError(f"{here}.title is not a text")
                cited = {"title": _one_line(item["title"]), **cited}
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


def _story_marks(item: dict, where: str) -> dict:
    """An excerpt's optional story number and follow-up flag, checked."""
    marks = {}
    if item.get("story") is not None:
        if not _is_number(item["story"]) or item["story"] < 1:
            raise SectionContentError(f"{where}.story is not a story number")
        marks["story"] = item["story"]
    if item.get("follow_up") is True:
        marks["follow_up"] = True
    elif item.get("follow_up") not in (None, False):
        raise SectionContentError(f"{where}.follow_up is not true or false")
    return marks


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


def read(section, language: str | None = None) -> SectionContent:
    """The section's content as typed parts; SectionContentError when malformed.

    With ``language``, its translation into that language when there is a current
    one, else the content as written. Content written before this format was
    enforced is normalised here the same way, so every renderer sees the same parts.
    """
    entry = _current_translation(section, language)
    if entry is not None:
        return from_dict(entry["content"])
    return from_dict(normalise(section.content).content)


def written_offline(section, language: str | None = None) -> bool:
    """Whether what ``read(section, language)`` gives was made without an LLM."""
    entry = _current_translation(section, language)
    if entry is not None:
        return entry["by"] == OFFLINE
    return section.generated_by == OFFLINE


# Who made a translation entry.
TRANSLATED = "llm"
OFFLINE = "offline"
EDITOR = "editor"


def fingerprint(content: object) -> str:
    """Names one version of a section's content (key order does not matter)."""
    data = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:24]


def save_translation(
    section,
    language: str,
    content: object,
    *,
    by: str,
    source_count: int | None = None,
) -> Normalised:
    """Keep ``content`` as the section in ``language``, made from its current
    content (the caller saves the row). Checked like every write."""
    numbers = None if source_count is not None else _source_numbers(section)
    result = normalise(content, source_count=source_count, source_numbers=numbers)
    section.translations = {
        **(section.translations or {}),
        language: {
            "of": fingerprint(section.content),
            "by": by,
            "content": result.content,
        },
    }
    return result


def _current_translation(section, language: str | None) -> dict | None:
    """The translation entry for ``language`` made from the current content, normalised;
    None when there is none, it is stale, or it is malformed (logged)."""
    translations = getattr(section, "translations", None)
    if not language or not isinstance(translations, dict):
        return None
    entry = translations.get(language)
    if not isinstance(entry, dict) or not _is_current(entry, section):
        return None
    try:
        content = normalise(entry.get("content")).content
    except SectionContentError as exc:
        logger.error(
            "Section %s: its %s translation is malformed, the content as written "
            "is shown: %s",
            getattr(section, "pk", None),
            language,
            exc,
        )
        return None
    by = entry.get("by") if entry.get("by") in (OFFLINE, EDITOR) else TRANSLATED
    return {"by": by, "content": content}


def _is_current(entry: dict, section) -> bool:
    """Made from the content as it is; or an editor's own translation, or one kept
    on purpose after an edit (``"kept"``, newsletter.services.bilingual): both stand until an
    editor replaces them, and the desk shows them as older than the content."""
    if entry.get("by") == EDITOR or entry.get("kept"):
        return True
    return entry.get("of") == fingerprint(section.content)


def translation_is_stale(section, language: str) -> bool:
    """Whether the section's ``language`` entry was made from an earlier content."""
    entry = (getattr(section, "translations", None) or {}).get(language)
    return isinstance(entry, dict) and entry.get("of") != fingerprint(section.content)


def from_dict(content: dict) -> SectionContent:
    """Typed parts of content that ``normalise`` returned."""
    impact = tuple(
        Impact(area, excerpt_line(_excerpt(item)) if isinstance(item, dict) else item)
        for area, item in content.get("impact", {}).items()
    )
    stories = tuple(
        StoryRef(
            id=item["id"],
            citations=tuple(item["citations"]),
            follow_up=item.get("follow_up", False),
            new_facts=tuple(item.get("new_facts", ())),
        )
        for item in content.get("stories", ())
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
            stories=stories,
        )
    return SectionContent(
        kind=BRIEFING,
        topics=tuple(content["topics"]),
        events=tuple(_cited(e) for e in content["events"]),
        impact=impact,
        final_summary=tuple(content["final_summary"]),
        stories=stories,
    )


def cap_stories(content: SectionContent, limit: int) -> tuple[SectionContent, int]:
    """The content showing its first `limit` stories only, and how many it hides.

    An item stays when it cites a shown story's source or cites nothing; content
    without a stories list is returned whole.
    """
    hidden = content.stories[limit:]
    if not hidden:
        return content, 0
    shown = {n for story in content.stories[:limit] for n in story.citations}

    def keep(items):
        return tuple(
            item
            for item in items
            if not item.citations or shown.intersection(item.citations)
        )

    impact = tuple(
        i
        for i in content.impact
        if not (cited := citations_in(i.text)) or shown & set(cited)
    )
    return (
        replace(
            content,
            events=keep(content.events),
            excerpts=keep(content.excerpts),
            key_figures=keep(content.key_figures),
            impact=impact,
            stories=content.stories[:limit],
        ),
        len(hidden),
    )


def shown_sources(content: SectionContent) -> set[int] | None:
    """The source numbers of the stories ``content`` shows (None: all of them)."""
    if not content.stories:
        return None
    return {n for story in content.stories for n in story.citations}


def _excerpt(item: dict) -> Excerpt:
    published = item["published"]
    return Excerpt(
        text=item["text"],
        publisher=item["publisher"],
        published=date.fromisoformat(published) if published else None,
        citations=tuple(item["citations"]),
        story=item.get("story"),
        follow_up=item.get("follow_up", False),
    )


def _cited(item: dict) -> Cited:
    return Cited(item["text"], tuple(item["citations"]), item.get("title", ""))


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
    """The excerpt's text behind its lead: "Anthropic (Aug 21): …"; a follow-up to a
    story sent earlier says so first: "Follow-up · Anthropic (Aug 22): …"."""
    lead = excerpt_lead(excerpt)
    line = f"{lead}: {excerpt.text}" if lead else excerpt.text
    return f"{vocabulary.FOLLOW_UP} · {line}" if excerpt.follow_up else line
