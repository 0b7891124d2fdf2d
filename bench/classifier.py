"""Offline classifier accuracy against hand labels.

    .venv/bin/python -m bench.classifier
    .venv/bin/python -m bench.classifier relevance [--train]   (see bench.relevance)

tests/data/labels/articles.csv holds articles of the sample corpus (ingestion/sample),
each labelled by a person who read its title and opening: one default category per
article. The articles' text comes from the corpus feeds (their full content:encoded),
so no database or network is needed. Prints top-1 accuracy, per-category recall and a
confusion matrix (rows: true category, columns: predicted).
"""

from __future__ import annotations

import csv
import gzip
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "labels" / "articles.csv"


@dataclass
class Result:
    total: int
    correct: int
    confusion: Counter  # (true slug, predicted slug) -> count
    misses: list[tuple[str, str, str]]  # (title, true, predicted)
    # The rows the category model never saw (not a training row of bench.labelled_set):
    # most of these articles are in that set too, and its training rows were fitted on.
    unseen: int = 0
    unseen_correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def labelled_rows() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def corpus_articles() -> dict:
    """Unsaved Articles of the latest sample snapshot, by real URL and by title.

    The labels were made on that day's demo; an aggregator's guid is not always the
    page's canonical URL, hence the title as a second key.
    """
    from ingestion import sample
    from ingestion.feeds import html_to_text, parse_feed
    from ingestion.models import Article, Source

    articles = {}
    for snapshot in sample.SNAPSHOTS[-1:]:
        for spec in sample.FEEDS:
            path = sample.DATA_DIR / "feeds" / snapshot / f"{spec.file}.xml.gz"
            feed = parse_feed(gzip.decompress(path.read_bytes()), url=str(path))
            source = Source(name=spec.name, url=f"https://{spec.file}.invalid/")
            for entry in feed.entries:
                url = entry.guid or entry.url
                articles[url] = articles[entry.title] = Article(
                    url=url,
                    title=entry.title,
                    text=html_to_text(entry.content),
                    language=spec.language,
                    published_at=entry.published_at,
                    source=source,
                )
    return articles


def default_categories(edition: str = "news") -> list:
    from newsletter.defaults import DEFAULT_CATEGORIES, PAPERS_CATEGORIES
    from newsletter.models import Category

    specs = PAPERS_CATEGORIES if edition == "papers" else DEFAULT_CATEGORIES
    return [
        Category(pk=index, position=index * 10, edition=edition, **spec)
        for index, spec in enumerate(specs, start=1)
    ]


def evaluate() -> Result:
    from newsletter.drafting.classify import RuleClassifier

    rules = RuleClassifier(default_categories())
    articles = corpus_articles()
    confusion: Counter = Counter()
    misses = []
    rows = labelled_rows()
    for row in rows:
        row["key"] = row["url"] if row["url"] in articles else row["title"]
    missing = [row["url"] for row in rows if row["key"] not in articles]
    if missing:
        raise SystemExit(f"{len(missing)} labelled URL(s) not in the corpus: {missing}")
    trained_on = _training_titles()
    unseen = unseen_correct = 0
    for row in rows:
        predicted = rules.label(articles[row["key"]]).category.slug
        confusion[(row["category"], predicted)] += 1
        if predicted != row["category"]:
            misses.append((row["title"], row["category"], predicted))
        if row["title"].strip().lower() not in trained_on:
            unseen += 1
            unseen_correct += predicted == row["category"]
    correct = sum(n for (true, pred), n in confusion.items() if true == pred)
    return Result(len(rows), correct, confusion, misses, unseen, unseen_correct)


def _training_titles() -> set[str]:
    """Titles of the labelled set's training rows (what the category model saw),
    from its CSV alone: no corpus needed."""
    from bench import labelled_set

    return {
        row["title"].strip().lower()
        for row in labelled_set.labelled_rows()
        if not labelled_set.held_out(row["id"])
    }


def print_report(result: Result) -> None:
    slugs = [c.slug for c in default_categories()]
    short = {s: s.split("-")[0][:6] for s in slugs}
    print(f"top-1 accuracy: {result.accuracy:.1%} ({result.correct}/{result.total})")
    if result.unseen:
        print(
            f"  on the {result.unseen} articles the category model was not trained on: "
            f"{result.unseen_correct / result.unseen:.1%} "
            f"({result.unseen_correct}/{result.unseen})"
        )
    print()
    print(f"{'true/predicted':<18}" + "".join(f"{short[s]:>8}" for s in slugs))
    for true in slugs:
        row = [result.confusion[(true, pred)] for pred in slugs]
        recall = row[slugs.index(true)] / sum(row) if sum(row) else 0.0
        cells = "".join(f"{n or '.':>8}" for n in row)
        print(f"{true:<18}{cells}   recall {recall:.0%}")
    if os.environ.get("VERBOSE"):
        print("\nmisses (title | true -> predicted):")
        for title, true, predicted in result.misses:
            print(f"  {title[:70]} | {true} -> {predicted}")


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    if sys.argv[1:2] == ["relevance"]:
        from bench import relevance

        relevance.main(sys.argv[2:])
        return
    print_report(evaluate())


if __name__ == "__main__":
    main()
