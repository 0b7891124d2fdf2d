"""Story grouping against the hand-labelled pairs of tests/data/labels/story_pairs.csv
(the figures `python -m bench.stories` prints)."""

import csv

from bench import stories as bench
from ingestion.sample import corpus_items


def test_the_labelled_set_has_sixty_pairs_in_both_languages_from_the_corpus():
    with bench.LABELS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    items = corpus_items()
    assert len(rows) >= 60
    assert {r["label"] for r in rows} == {"same", "different"}
    for language in ("en", "ko"):
        labels = {r["label"] for r in rows if r["language"] == language}
        assert labels == {"same", "different"}, language
    assert all(r["a"] in items and r["b"] in items for r in rows)


def test_grouping_meets_the_pair_precision_and_recall_targets():
    scores = bench.score()

    assert scores.precision >= bench.TARGET_PRECISION, scores.misses
    assert scores.recall >= bench.TARGET_RECALL, scores.misses
    # Grouping is not "everything apart": some same-event pairs are found in Korean too.
    assert bench.score("ko").true_positive >= 1
