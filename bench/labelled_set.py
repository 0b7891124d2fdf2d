"""The relevance labelled set: real items, each marked AI news or not, with its category.

tests/data/labels/relevance.csv lists items of the corpora we have: the Hacker News and
Digg Technology days of ``../shared/corpus/feeds/tech-days/``, the AI-lab feeds of
``../shared/corpus/feeds/ai-labs/``, the arXiv days of ``../shared/corpus/feeds/arxiv/``
(their non-AI computer-science listings too) and the sample's Korean feed. Each row
names the feed file it comes from (``corpus``); the text is read from there, so the CSV
holds labels, not articles. ``label`` is ``ai`` or ``not-ai``; ``category`` is the
edition's slug a person gave it (empty: not scored for category); ``confuser`` marks a
non-AI item that a keyword rule would take for AI news (an AI word in its title or
opening: "agent", "model", "training", "inference", "alignment", "GPU", a lab's name,
or a keyword of an AI category such as "market" or "security").

967 rows: 633 AI (411 News, 222 Papers), 334 not AI (303 News, 31 Papers), 247 of them
confusers. Every distinct item of the tech-days, AI-lab and Korean sample feeds that a
reader could label is here (the rest are link-only discussion pages or could be argued
either way); the sample's other snapshots are the AI-lab feeds again under other URLs,
so they add nothing. The arXiv days hold more: 253 of their papers are labelled.

One reader labelled them from the title and the opening, as an AI-news editor would:
"AI" means substantially about AI (models, their makers, uses, chips, policy,
research); a story that only mentions it is not. Items a reader could argue either way
(an essay on the unit economics of software, a voice app whose page has no text) were left
out rather than guessed. From arXiv: the non-AI listings (cs.IT, cs.GT, cs.CE, cs.GR)
not cross-listed to AI, the AI papers whose titles use "align" in any sense, and 206
more papers of the language, vision and AI listings, each with its Papers category.

A second reader filed the 411 AI News rows again, blind to the first reader's
categories, from the same title and opening and the categories' descriptions
(tests/data/labels/categories_second_reader.csv): one category each, marked sure or
naming the other category they would accept. The two readers agree on 341 of 411
(0.830), on every row the second marked sure (149), and 402 of the first reader's
categories are the second's or their alternative: most disagreements are between two
defensible categories (business or policy, business or LLM, business or inference).

Held out: the rows whose id's hash falls in the last quarter (``held_out``, 230 rows). The
shipped models are trained on other rows only (those of the set's first 709 rows), so the
held-out figures describe them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "labels" / "relevance.csv"
# A second reader's categories of the AI News rows, made blind to the first's.
SECOND_READER = ROOT / "tests" / "data" / "labels" / "categories_second_reader.csv"
SAMPLE_FEEDS = ROOT / "ingestion" / "sample" / "data" / "feeds"
HELD_OUT_QUARTER = 3


@dataclass
class Item:
    id: str
    url: str
    title: str
    text: str
    edition: str
    label: str
    category: str
    confuser: bool
    corpus: str = ""

    @property
    def arxiv_category(self) -> str:
        """The listing an arXiv row comes from (arxiv/<day>/cs.CL.xml: cs.CL)."""
        return Path(self.corpus).stem if self.corpus.startswith("arxiv/") else ""

    @property
    def is_ai(self) -> bool:
        return self.label == "ai"

    @property
    def held_out(self) -> bool:
        return held_out(self.id)


def held_out(item_id: str) -> bool:
    digest = hashlib.sha256(item_id.encode()).digest()
    return digest[0] % 4 == HELD_OUT_QUARTER


def corpus_dir() -> Path:
    """The shared corpus: CORPUS_DIR, else ``shared/corpus/feeds`` beside the checkout
    (a worktree sits one level deeper)."""
    if os.environ.get("CORPUS_DIR"):
        return Path(os.environ["CORPUS_DIR"])
    for parent in (ROOT.parent, ROOT.parent.parent):
        candidate = parent / "shared" / "corpus" / "feeds"
        if candidate.is_dir():
            return candidate
    raise SystemExit("no corpus: set CORPUS_DIR to .../shared/corpus/feeds")


def labelled_rows() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def _feed_entries(corpus: str) -> dict[str, tuple[str, str]]:
    """(title, text) of a feed file's entries, by URL and by title."""
    from ingestion.feeds import html_to_text, parse_feed

    if corpus.startswith("sample:"):
        path = SAMPLE_FEEDS / corpus.removeprefix("sample:")
    else:
        path = corpus_dir() / corpus
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    entries = {}
    for entry in parse_feed(raw, url=str(path)).entries:
        value = (entry.title, html_to_text(entry.content))
        for key in (entry.url, entry.guid, entry.title):
            if key:
                entries.setdefault(key, value)
    return entries


@dataclass(frozen=True)
class SecondReading:
    """Another reader's category of an AI News row: ``sure`` when they saw no other
    defensible category, else ``alternative`` names the one they would accept."""

    category: str
    sure: bool
    alternative: str

    def accepts(self, slug: str) -> bool:
        return slug in (self.category, self.alternative)


def second_readings() -> dict[str, SecondReading]:
    """The second reader's category of each AI News row, by the row's id."""
    with SECOND_READER.open(encoding="utf-8", newline="") as handle:
        return {
            row["id"]: SecondReading(
                row["category"], row["sure"] == "1", row["alternative"]
            )
            for row in csv.DictReader(handle)
        }


def load_items() -> list[Item]:
    items = []
    for row in labelled_rows():
        entries = _feed_entries(row["corpus"])
        found = entries.get(row["url"]) or entries.get(row["title"])
        if found is None:
            raise SystemExit(f"{row['id']} ({row['url']}) is not in {row['corpus']}")
        items.append(
            Item(
                id=row["id"],
                url=row["url"],
                title=found[0],
                text=found[1],
                edition=row["edition"],
                label=row["label"],
                category=row["category"],
                confuser=row.get("confuser") == "1",
                corpus=row["corpus"],
            )
        )
    return items
