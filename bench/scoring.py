"""The article-extraction-benchmark metric, shared by the benchmark and the test that
guards extraction quality, so both report the same number."""

from collections import Counter


def word_4grams(text: str) -> Counter:
    words = text.split()
    return Counter(tuple(words[i : i + 4]) for i in range(len(words) - 3))


def word_f1(extracted: str, truth: str) -> float:
    """F1 of precision and recall over word 4-grams of the text against the truth."""
    got, want = word_4grams(extracted), word_4grams(truth)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)
