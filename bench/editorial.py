"""Editorial quality of the offline briefing, measured by its own rules.

    .venv/bin/python -m bench.editorial [--save FILE] [--judge FILE]

Three corpora, no database and no network beyond 127.0.0.1:
- the demo day (ingestion/sample, 2026-08-22): each feed item's page read from the
  corpus and extracted as ingestion does (Hacker News marked as an aggregator, as the
  demo marks it), the articles published in the day's 36-hour window sorted by the
  rule classifier, grouped into stories and told one excerpt per story, as the demo's
  digest tells them;
- the sample corpus (latest day, feed text only): each category's articles cut into
  sections of SECTION_SIZE sources;
- the 48 news pages of tests/data/articles, served as an RSS feed by the local feed
  server (devservers/feed_server.py), fetched and extracted as ingestion does, in
  sections of SECTION_SIZE.

Prints, per corpus: sections, excerpts, junk lines in the output (every quoted sentence,
impact line and key figure checked by newsletter.editorial.excerpts.JUNK; target 0), quotes
carrying their publisher and date (target 100%), quotes whose speaker is an aggregator
("Hacker News (8월 21일): …"; target 0), impact lines whose article has fewer than
MIN_IMPACT_HITS different keywords of the area (target 0), key figures and how many are
whole clauses (``whole_clause``: a capitalised sentence with a stop, a number with a
unit after its subject; target all), stories told by their source line alone (no
sentence of theirs could be quoted, so the section quotes nothing of them; an older
content that quoted such a story's title counts here too, not as junk); then the classifier's top-1 accuracy on the hand
labels (bench/classifier.py).

``--save FILE`` writes the demo day's section contents as JSON; ``--judge FILE`` judges
such a file instead of building them, so contents written by an earlier version of the
code are measured by today's rules (before/after figures in docs/architecture.md).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "tests" / "data" / "articles"
SECTION_SIZE = 8
_MARKER = re.compile(r"\s*\[\d+\]")


# The aggregators of the corpora: never the speaker of a quote.
AGGREGATORS = {"Hacker News"}
# A key figure: a number with a unit (the same units newsletter.editorial.excerpts knows).
_FIGURE = re.compile(
    r"\d[\d,]*(?:\.\d+)?\s?(?:%|percent|x\b|times|billion|million|trillion|tokens?"
    r"|parameters?|GPUs?|hours?|minutes?|seconds?|ms|days?|weeks?|languages?|억|조|만|달러"
    r"|원|배|개|명|건|시간|분|초|퍼센트|GB|TB)",
    re.IGNORECASE,
)
_KOREAN_END = re.compile(r"(?:다|요|음|함|됨)[.!]?[\"”’')]*$")


def whole_clause(text: str) -> bool:
    """A figure read alone is a whole fact: a sentence that starts as one and ends
    with a stop, its number (with a unit) after its subject. Judged here, apart from
    the code that picks figures, so earlier output is measured the same way."""
    text = _MARKER.sub("", text).strip()
    match = _FIGURE.search(text)
    if match is None or not re.search(r"[^\W\d_]{2,}", text[: match.start()]):
        return False
    if re.search(r"[\uac00-\ud7a3]", text):
        return bool(_KOREAN_END.search(text))
    starts = text[:1].isupper() or text[:1] in "\"“‘'"
    return starts and text[-1:] in ".!\"”’'" and len(text.split()) >= 5


@dataclass
class Tally:
    sections: int = 0
    excerpts: int = 0
    attributed: int = 0
    attributed_impact: int = 0
    aggregator_speaks: list[str] = field(default_factory=list)
    impact_lines: int = 0
    weak_impact: int = 0
    key_figures: int = 0
    torn_figures: list[str] = field(default_factory=list)
    headlines: int = 0  # stories told by their title: no quotable sentence
    junk: list[tuple[str, str]] = field(default_factory=list)  # (rule, line)

    def add(self, articles: list, language: str) -> None:
        from newsletter.editorial import excerpts

        self.add_content(
            excerpts.excerpt_content(articles, language=language), articles
        )

    def add_content(
        self, content: dict, articles: list | None = None, titles=(), stories: int = 0
    ) -> None:
        """Count one section's content; `articles` (its sources) check impact lines;
        a story without an excerpt (of the section's `stories`, else of its stored
        "stories"), or whose excerpt is one of `titles`, is told by its headline
        alone."""
        self.sections += 1
        self._titles = {t.strip() for t in titles}
        told = stories or len(content.get("stories", []))
        self.headlines += max(told - len(content["excerpts"]), 0)
        for figure in content["key_figures"]:
            self.key_figures += 1
            if not whole_clause(figure["text"]):
                self.torn_figures.append(figure["text"])
            self._check(figure["text"])
        for item in content["excerpts"]:
            self.excerpts += 1
            self._quote(item)
        for area, line in content["impact"].items():
            self.impact_lines += 1
            self.attributed_impact += bool(line["publisher"] and line["published"])
            self._quote(line, counted=False)
            if articles is not None:
                self._weak(area, articles[line["citations"][0] - 1])

    def _quote(self, item: dict, *, counted: bool = True) -> None:
        self.attributed += counted and bool(item["publisher"] and item["published"])
        if item["publisher"] in AGGREGATORS:
            self.aggregator_speaks.append(f"{item['publisher']}: {item['text']}")
        if _MARKER.sub("", item["text"]).strip() in getattr(self, "_titles", ()):
            self.headlines += 1
            return
        self._check(item["text"])

    def _weak(self, area: str, article) -> None:
        from newsletter.editorial import excerpts

        text = f"{article.title}\n{article.text}"
        if len(excerpts.impact_hits(area, text)) < excerpts.MIN_IMPACT_HITS:
            self.weak_impact += 1

    def _check(self, sentence: str) -> None:
        from newsletter.editorial import excerpts

        rule = excerpts.junk_reason(_MARKER.sub("", sentence).strip())
        if rule:
            self.junk.append((rule, sentence))


DEMO_DAY = "2026-08-22"
WINDOW_HOURS = 36


def demo_day_articles() -> list:
    """The demo day's news as ingestion stores it: each item's page extracted (the
    site's own name kept), published in the 36 hours up to the day's end."""
    import datetime as dt

    from django.utils import timezone

    from ingestion import sample
    from ingestion.extract import extract_article
    from ingestion.feeds import html_to_text, parse_feed

    end = timezone.make_aware(dt.datetime.fromisoformat(DEMO_DAY) + dt.timedelta(1))
    start = end - dt.timedelta(hours=WINDOW_HOURS)
    articles = []
    for spec in sample.FEEDS:
        path = sample.DATA_DIR / "feeds" / DEMO_DAY / f"{spec.file}.xml.gz"
        feed = parse_feed(gzip.decompress(path.read_bytes()), url=str(path))
        source = _source(spec)
        for entry in feed.entries:
            if entry.published_at and not start <= entry.published_at < end:
                continue
            page = sample.DATA_DIR / "pages" / f"{entry.url.rsplit('/', 1)[1]}.gz"
            html = gzip.decompress(page.read_bytes()) if page.is_file() else b""
            found = extract_article(html, url=entry.guid) if html else None
            articles.append(_article(source, entry, found, html_to_text(entry.content)))
    return articles


def _source(spec):
    from ingestion.models import Source

    source = Source(name=spec.name, url=f"https://{spec.file}.invalid/")
    # Earlier versions of the code have no such field: --judge compares them.
    source.is_aggregator = getattr(spec, "is_aggregator", False)
    return source


def _article(source, entry, found, feed_text: str):
    from ingestion.models import Article

    article = Article(
        url=(found.canonical_url if found and found.canonical_url else entry.guid),
        title=entry.title,
        text=_clean(found.text if found else feed_text),
        language=(found.language if found else "") or source.language or "en",
        published_at=entry.published_at,
        source=source,
    )
    article.site_name = getattr(found, "site_name", "")
    return article


def _clean(text: str) -> str:
    try:
        from ingestion.aggregators import without_discussion_links
    except ImportError:  # an earlier version of the code
        return text
    return without_discussion_links(text)


def demo_day_contents(language: str = "ko") -> list[dict]:
    """The demo day's sections as the offline digest tells them: one excerpt per
    story, stories in rank order within each in-digest category."""
    from bench.classifier import default_categories
    from newsletter.drafting.classify import RuleClassifier
    from newsletter.editorial import excerpts, stories

    rules = RuleClassifier(default_categories())
    by_category = defaultdict(list)
    for article in demo_day_articles():
        category = rules.label(article).category
        if category.in_digest:
            by_category[category.slug].append(article)
    contents = []
    for slug, articles in by_category.items():
        times = [stories.published_at(a) for a in articles]
        groups = stories.group_texts([stories.article_text(a) for a in articles], times)
        ordered = [articles[i] for group in groups for i in group]
        numbers, start = [], 1
        for group in groups:
            numbers.append(tuple(range(start, start + len(group))))
            start += len(group)
        told = [excerpts.StoryGroup(None, n) for n in numbers]
        content = excerpts.story_excerpt_content(ordered, told, language=language)
        titles = [a.title for a in ordered]
        contents.append(
            {
                "category": slug,
                "content": content,
                "titles": titles,
                "stories": len(told),
            }
        )
    return contents


def sample_sections() -> list[tuple[list, str]]:
    """The sample corpus sorted into categories, in sections of SECTION_SIZE."""
    from bench.classifier import corpus_articles, default_categories
    from ingestion import sample
    from newsletter.drafting.classify import RuleClassifier

    categories = default_categories()
    rules = RuleClassifier(categories)
    by_category = defaultdict(list)
    unique = {id(a): a for a in corpus_articles().values()}.values()
    # As the demo marks them: an aggregator's items speak for their own sites.
    aggregators = {spec.name for spec in sample.FEEDS if spec.is_aggregator}
    for article in unique:
        article.source.is_aggregator = article.source.name in aggregators
    for article in sorted(unique, key=lambda a: a.url):
        label = rules.label(article)
        if label.category.in_digest:
            by_category[label.category.slug].append(article)
    return [
        (chunk, "ko")
        for articles in by_category.values()
        for chunk in _chunks(articles, SECTION_SIZE)
    ]


def benchmark_sections() -> list[tuple[list, str]]:
    """The 48 benchmark pages, fetched through an RSS feed on 127.0.0.1."""
    from devservers.feed_server import FeedServer
    from ingestion import fetch
    from ingestion.extract import extract_article
    from ingestion.feeds import parse_feed
    from ingestion.models import Article, Source

    truth = json.loads((ARTICLES / "ground-truth.json").read_text())
    articles = []
    with FeedServer() as server, fetch.make_client() as client:
        items = []
        for key, item in truth.items():
            html = gzip.decompress((ARTICLES / "html" / f"{key}.html.gz").read_bytes())
            link = server.add(
                f"/p/{key}.html", html, content_type="text/html", gzip_body=True
            )
            items.append((link, item["url"]))
        feed_url = server.add("/feed.xml", _rss(items))
        feed = parse_feed(fetch.fetch(feed_url, client=client).content, url=feed_url)
        source = Source(name="Benchmark pages", url=feed_url)
        for entry in feed.entries:
            body = fetch.fetch(entry.url, client=client).content
            extracted = extract_article(body, url=entry.guid)
            if extracted is None:
                continue
            articles.append(
                Article(
                    url=entry.guid,
                    title=extracted.title or entry.title,
                    text=extracted.text,
                    language=extracted.language,
                    published_at=extracted.published_at or entry.published_at,
                    source=source,
                )
            )
    return [(chunk, "en") for chunk in _chunks(articles, SECTION_SIZE)]


def _rss(items: list[tuple[str, str]]) -> str:
    from django.utils import timezone

    now = format_datetime(timezone.now())
    entries = "".join(
        f"<item><title>Page {n}</title><link>{escape(link)}</link>"
        f"<guid>{escape(real)}</guid><pubDate>{now}</pubDate></item>"
        for n, (link, real) in enumerate(items, start=1)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Benchmark pages'
        f"</title><link>http://127.0.0.1/</link>{entries}</channel></rss>"
    )


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def measure(sections: list[tuple[list, str]]) -> Tally:
    tally = Tally()
    for articles, language in sections:
        tally.add(articles, language)
    return tally


def print_table(rows: dict[str, Tally], accuracy: float | None) -> None:
    print(
        f"{'corpus':<20}{'sections':>9}{'excerpts':>9}{'junk':>6}{'attributed':>12}"
        f"{'aggregator speaks':>19}{'impact':>8}{'weak impact':>13}"
        f"{'figures':>9}{'whole':>7}{'titles':>8}"
    )
    for name, t in rows.items():
        quotes = t.excerpts + t.impact_lines
        share = (t.attributed + t.attributed_impact) / quotes if quotes else 1.0
        whole = t.key_figures - len(t.torn_figures)
        print(
            f"{name:<20}{t.sections:>9}{t.excerpts:>9}{len(t.junk):>6}{share:>12.0%}"
            f"{len(t.aggregator_speaks):>19}{t.impact_lines:>8}{t.weak_impact:>13}"
            f"{t.key_figures:>9}{whole:>7}{t.headlines:>8}"
        )
    if accuracy is not None:
        print(f"\nclassifier top-1 accuracy on the hand labels: {accuracy:.1%}")
    print(
        "targets: junk 0, attributed 100%, aggregator speaks 0, weak impact 0, "
        "every figure whole, accuracy >= 80%"
    )
    for name, t in rows.items():
        for rule, line in t.junk:
            print(f"  junk in {name} ({rule}): {line[:120]}")
        for line in t.aggregator_speaks:
            print(f"  aggregator as speaker in {name}: {line[:120]}")
        for line in t.torn_figures:
            print(f"  torn figure in {name}: {line[:120]}")


def judge(contents: list[dict]) -> Tally:
    tally = Tally()
    for section in contents:
        tally.add_content(
            section["content"],
            titles=section.get("titles", ()),
            stories=section.get("stories", 0),
        )
    return tally


def main() -> None:
    import argparse

    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--save", help="write the demo day's contents to this JSON file"
    )
    parser.add_argument("--judge", help="judge the contents in this JSON file only")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings

    if args.judge:
        contents = json.loads(Path(args.judge).read_text(encoding="utf-8"))
        print_table({"demo day (saved)": judge(contents)}, None)
        return
    contents = demo_day_contents()
    if args.save:
        Path(args.save).write_text(
            json.dumps(contents, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    settings.INGEST_ALLOW_PRIVATE_HOSTS = True  # the feed server is on 127.0.0.1
    from bench import classifier

    rows = {
        f"demo day {DEMO_DAY}": judge(contents),
        "sample corpus": measure(sample_sections()),
        "48 benchmark pages": measure(benchmark_sections()),
    }
    print_table(rows, classifier.evaluate().accuracy)


if __name__ == "__main__":
    main()
