"""Editorial quality of the offline briefing, measured by its own rules.

    .venv/bin/python -m bench.editorial

Two corpora, no database and no network beyond 127.0.0.1:
- the sample corpus (ingestion/sample, latest day): every article sorted by the rule
  classifier, each category's articles cut into sections of SECTION_SIZE sources, as
  a day's digest would give them;
- the 48 news pages of tests/data/articles, served as an RSS feed by the local feed
  server (devservers/feed_server.py), fetched and extracted as ingestion does, in
  sections of SECTION_SIZE.

Prints, per corpus: sections, excerpts, junk lines in the output (every quoted sentence
and impact line checked by newsletter.editorial.excerpts.JUNK; target 0), quotes carrying their
publisher and date (target 100%), impact lines whose article has fewer than
MIN_IMPACT_HITS different keywords of the area (target 0); then the classifier's top-1
accuracy on the hand labels (bench/classifier.py).
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


@dataclass
class Tally:
    sections: int = 0
    excerpts: int = 0
    attributed: int = 0
    attributed_impact: int = 0
    impact_lines: int = 0
    weak_impact: int = 0
    key_figures: int = 0
    junk: list[tuple[str, str]] = field(default_factory=list)  # (rule, line)

    def add(self, articles: list, language: str) -> None:
        from newsletter.editorial import excerpts

        content = excerpts.excerpt_content(articles, language=language)
        self.sections += 1
        self.key_figures += len(content["key_figures"])
        for item in content["excerpts"]:
            self.excerpts += 1
            self.attributed += bool(item["publisher"] and item["published"])
            self._check(item["text"])
        for area, line in content["impact"].items():
            self.impact_lines += 1
            self.attributed_impact += bool(line["publisher"] and line["published"])
            article = articles[line["citations"][0] - 1]
            text = f"{article.title}\n{article.text}"
            if len(excerpts.impact_hits(area, text)) < excerpts.MIN_IMPACT_HITS:
                self.weak_impact += 1
            self._check(line["text"])

    def _check(self, sentence: str) -> None:
        from newsletter.editorial import excerpts

        rule = excerpts.junk_reason(_MARKER.sub("", sentence).strip())
        if rule:
            self.junk.append((rule, sentence))


def sample_sections() -> list[tuple[list, str]]:
    """The sample corpus sorted into categories, in sections of SECTION_SIZE."""
    from bench.classifier import corpus_articles, default_categories
    from newsletter.drafting.classify import RuleClassifier

    categories = default_categories()
    rules = RuleClassifier(categories)
    by_category = defaultdict(list)
    unique = {id(a): a for a in corpus_articles().values()}.values()
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


def print_table(rows: dict[str, Tally], accuracy: float) -> None:
    print(
        f"{'corpus':<20}{'sections':>9}{'excerpts':>9}{'junk':>6}{'attributed':>12}"
        f"{'impact':>8}{'weak impact':>13}{'figures':>9}"
    )
    for name, t in rows.items():
        quotes = t.excerpts + t.impact_lines
        share = (t.attributed + t.attributed_impact) / quotes if quotes else 1.0
        print(
            f"{name:<20}{t.sections:>9}{t.excerpts:>9}{len(t.junk):>6}{share:>12.0%}"
            f"{t.impact_lines:>8}{t.weak_impact:>13}{t.key_figures:>9}"
        )
    print(f"\nclassifier top-1 accuracy on the hand labels: {accuracy:.1%}")
    print("targets: junk 0, attributed 100%, weak impact 0, accuracy >= 80%")
    for name, t in rows.items():
        for rule, line in t.junk:
            print(f"  junk in {name} ({rule}): {line[:120]}")


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings

    settings.INGEST_ALLOW_PRIVATE_HOSTS = True  # the feed server is on 127.0.0.1
    from bench import classifier

    rows = {
        "sample corpus": measure(sample_sections()),
        "48 benchmark pages": measure(benchmark_sections()),
    }
    print_table(rows, classifier.evaluate().accuracy)


if __name__ == "__main__":
    main()
