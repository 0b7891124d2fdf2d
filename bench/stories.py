"""Story grouping against hand-labelled article pairs.

    .venv/bin/python -m bench.stories [--sweep]

tests/data/labels/story_pairs.csv holds pairs of sample-corpus articles (their real
URLs, English and Korean), each labelled by a person as the same event or not. Every
item of the corpus (both snapshots, every feed: about 340 articles, so the labelled
ones sit among distractors, a harder case than a day's window) is grouped at once by
``newsletter.editorial.stories.group_texts``; a pair is predicted "same" when both articles land
in one story. Prints articles → stories, pair precision and recall (targets 0.9 and
0.8), per language, and the pairs it gets wrong; then articles → stories and sources
per story on the sample's own day, as the demo builds it. --sweep tries thresholds.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "data" / "labels" / "story_pairs.csv"
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.8
# Every corpus item has a date; an undated one would count as seen on the snapshot day.
NO_DATE = dt.datetime(2026, 8, 22, tzinfo=dt.UTC)


@dataclass
class Scores:
    articles: int
    stories: int
    true_positive: int
    false_positive: int
    false_negative: int
    misses: list[tuple[str, str, str]]

    @property
    def precision(self) -> float:
        predicted = self.true_positive + self.false_positive
        return self.true_positive / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positive + self.false_negative
        return self.true_positive / actual if actual else 1.0


def labelled_pairs() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def story_of_each() -> dict[str, int]:
    """Each corpus URL's story number when the whole corpus is grouped."""
    from ingestion.sample import corpus_items
    from newsletter.editorial.stories import group_texts, similarity_text

    items = list(corpus_items().values())
    groups = group_texts(
        [similarity_text(i.title, i.text) for i in items],
        [
            dt.datetime.fromisoformat(i.published) if i.published else NO_DATE
            for i in items
        ],
    )
    return {items[i].url: number for number, group in enumerate(groups) for i in group}


def score(language: str | None = None) -> Scores:
    story = story_of_each()
    tp = fp = fn = 0
    misses = []
    for row in labelled_pairs():
        if language and row["language"] != language:
            continue
        same = story[row["a"]] == story[row["b"]]
        if same and row["label"] == "same":
            tp += 1
        elif same:
            fp += 1
            misses.append(("grouped, not one event", row["a"], row["b"]))
        elif row["label"] == "same":
            fn += 1
            misses.append(("one event, kept apart", row["a"], row["b"]))
    return Scores(len(story), len(set(story.values())), tp, fp, fn, misses)


def window_figures(day: str = "2026-08-22", hours: int = 36) -> str:
    """Articles → stories on the sample's own day, as the demo builds it: the items
    published in the `hours` up to the end of `day` in Seoul."""
    from ingestion.sample import corpus_items
    from newsletter.editorial.stories import group_texts, similarity_text

    end = dt.datetime.fromisoformat(f"{day}T23:59:59+09:00")
    start = end - dt.timedelta(hours=hours)
    items = [
        i
        for i in corpus_items().values()
        if i.published and start < dt.datetime.fromisoformat(i.published) <= end
    ]
    groups = group_texts(
        [similarity_text(i.title, i.text) for i in items],
        [dt.datetime.fromisoformat(i.published) for i in items],
    )
    sizes = sorted((len(g) for g in groups), reverse=True)
    several = [g for g in groups if len(g) > 1]
    lines = [
        f"{day} window ({hours} h): {len(items)} articles → {len(groups)} stories, "
        f"{len(several)} with several sources, {sum(sizes) / len(sizes):.2f} sources "
        f"per story (most: {sizes[0]})"
    ]
    lines += [
        "   " + "  ~  ".join(items[i].title[:60] for i in group) for group in several
    ]
    return "\n".join(lines)


def _report(scores: Scores, label: str) -> None:
    print(
        f"{label:>4}: pair precision {scores.precision:.2f}, recall "
        f"{scores.recall:.2f} (tp {scores.true_positive}, fp {scores.false_positive}, "
        f"fn {scores.false_negative})"
    )


def main() -> None:
    import django

    django.setup()
    from newsletter.editorial import stories

    thresholds = [stories.SAME_EVENT_SIMILARITY]
    if "--sweep" in sys.argv:
        thresholds = [float(a) for a in sys.argv[2:]] or [0.3, 0.4, 0.5]
    rows = labelled_pairs()
    print(
        f"{len(rows)} labelled pairs: "
        f"{sum(r['label'] == 'same' for r in rows)} same event, "
        f"{sum(r['language'] == 'ko' for r in rows)} Korean"
    )
    for threshold in thresholds:
        stories.SAME_EVENT_SIMILARITY = threshold
        overall = score()
        print(
            f"threshold {threshold}: {overall.articles} articles → {overall.stories} stories"
        )
        _report(overall, "all")
        _report(score("en"), "en")
        _report(score("ko"), "ko")
        for why, a, b in overall.misses:
            print(f"   {why}: {a}  ~  {b}")
    print(window_figures())
    ok = overall.precision >= TARGET_PRECISION and overall.recall >= TARGET_RECALL
    print(
        f"targets: precision ≥ {TARGET_PRECISION}, recall ≥ {TARGET_RECALL}: "
        f"{'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    main()
