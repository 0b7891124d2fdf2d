import gzip
import re

import pytest

from ingestion import dedup, sample
from ingestion.feeds import html_to_text, parse_feed


@pytest.mark.parametrize(
    "url, canonical",
    [
        (
            "HTTPS://Example.COM/a/b?utm_source=x&id=3&utm_medium=rss#section",
            "https://example.com/a/b?id=3",
        ),
        (
            "https://example.com:443/a?fbclid=1&gclid=2&mc_cid=3",
            "https://example.com/a",
        ),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?b=1&a=2", "https://example.com/a?b=1&a=2"),
    ],
)
def test_canonical_urls_drop_tracking_and_fragments(url, canonical):
    assert dedup.canonicalize_url(url) == canonical


def test_content_hash_ignores_markup_case_and_spacing():
    assert dedup.content_hash("Hello,  World!\n\nAgain") == dedup.content_hash(
        "hello world again"
    )
    assert dedup.content_hash("hello world") != dedup.content_hash("hello there world")
    assert dedup.content_hash("  ") == ""


def corpus_texts() -> dict[str, str]:
    """Feed text of every item of both sample days, by real URL."""
    texts = {}
    for snapshot in sample.SNAPSHOTS:
        for path in sorted((sample.DATA_DIR / "feeds" / snapshot).glob("*.xml.gz")):
            parsed = parse_feed(
                gzip.decompress(path.read_bytes()), url="http://127.0.0.1/"
            )
            for entry in parsed.entries:
                texts.setdefault(entry.guid, html_to_text(entry.content))
    return texts


@pytest.fixture(scope="module")
def texts():
    return corpus_texts()


def test_real_copies_in_the_corpus_are_near_duplicates(texts):
    index = dedup.NearDuplicateIndex()
    keys = {url: n for n, url in enumerate(texts)}
    for url, text in texts.items():
        index.add(keys[url], text)
    pairs = [
        (
            "https://mistral.ai/news/ki-fur-deutschland",
            "https://mistral.ai/news/ki-fur-deutschland/",
        ),
        (
            "https://mistral.ai/news/devstral-2-vibe-cli",
            "https://mistral.ai/news/devstral-2-vibe-cli/",
        ),
        (
            "https://mistral.ai/news/mistral-ai-raises-1-7-b-to-accelerate-technological-progress-with-ai",
            "https://mistral.ai/news/mistral-ai-raises-1-7-b-to-accelerate-technological-progress-with-ai/",
        ),
        (
            "https://annas-archive.pk/blog/physical-destruction.html",
            "https://annas-archive.gl/blog/physical-destruction.html",
        ),
    ]
    for first, later in pairs:
        assert index.find(texts[later], exclude=keys[later]) == min(
            keys[first], keys[later]
        )


def test_announcements_sharing_a_template_are_not_merged(texts):
    index = dedup.NearDuplicateIndex()
    index.add(1, texts["https://x.ai/news/grok-4-6-vertex-ai"])
    index.add(2, texts["https://openai.com/index/gpt-5-1-codex-max-system-card/"])
    assert index.find(texts["https://x.ai/news/grok-4-6-amazon-bedrock"]) is None
    assert (
        index.find(texts["https://openai.com/index/gpt-5-2-codex-system-card/"]) is None
    )


def test_only_true_copies_match_across_the_whole_corpus(texts):
    index = dedup.NearDuplicateIndex()
    matched = []
    for n, (url, text) in enumerate(texts.items()):
        original = index.find(text)
        if original is None:
            index.add(n, text)
        else:
            matched.append(url)
    # Exactly the later copy of each pair above: 3 Mistral pages re-published with a
    # trailing slash and Anna's Archive on a mirror domain.
    assert len(matched) == 4
    assert all(u.endswith("/") or "annas-archive" in u for u in matched)


def test_comment_stubs_never_match(texts):
    stubs = [t for t in texts.values() if t == "Comments on Hacker News"]
    assert len(stubs) > 10
    index = dedup.NearDuplicateIndex()
    index.add(1, stubs[0])
    assert index.find(stubs[1]) is None
    assert dedup.shingles(stubs[0]) == set()


def test_korean_text_is_shingled_by_words():
    text = " ".join(["인공지능 모델이 한국어 문장을 생성했다"] * 20)
    assert dedup.shingles(text)
    assert all(re.search(r"[가-힣]", s) for s in dedup.shingles(text))
