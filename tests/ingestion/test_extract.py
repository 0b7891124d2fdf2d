import gzip
import json
from pathlib import Path

import pytest

from bench.scoring import word_f1
from ingestion.extract import detect_language, extract_article, find_canonical_url

from .conftest import article_page

ARTICLES = Path(__file__).resolve().parents[1] / "data" / "articles"


def test_mean_f1_on_the_benchmark_pages_is_at_least_090():
    truth = json.loads((ARTICLES / "ground-truth.json").read_text())
    assert len(truth) == 48
    scores = []
    for key, item in truth.items():
        html = gzip.decompress((ARTICLES / "html" / f"{key}.html.gz").read_bytes())
        article = extract_article(html, url=item["url"])
        scores.append(word_f1(article.text if article else "", item["articleBody"]))
    mean = sum(scores) / len(scores)
    print(f"mean word-4-gram F1 over {len(scores)} pages: {mean:.3f}")
    assert mean >= 0.90
    assert min(scores) > 0.5


def test_korean_pages_are_detected_as_korean():
    page = article_page(
        "소형 언어모델 경량화",
        [
            "한 국내 대학 연구팀이 스마트폰에서도 돌아가는 소형 언어모델 경량화 기법을 공개했다.",
            "연구팀은 모델의 가중치를 4비트로 줄이면서도 정확도 하락을 최소화했다고 설명했다.",
        ],
        lang="en",  # a wrong declaration loses to the text itself
    )
    article = extract_article(page, url="https://example.kr/a")
    assert article.language == "ko"
    assert "경량화 기법을 공개했다" in article.text


def test_language_falls_back_to_the_declaration_then_english():
    assert detect_language("Bonjour tout le monde", hint="fr-FR") == "fr"
    assert detect_language("Hello", hint="") == "en"
    assert detect_language("오늘의 인공지능 소식 with some English", hint="en") == "ko"


def test_the_canonical_link_is_absolute():
    page = article_page("t", ["x"], canonical="/news/1")
    assert (
        find_canonical_url(page, url="https://example.com/a?b=1")
        == "https://example.com/news/1"
    )
    assert find_canonical_url(b"<html><head></head></html>", url="https://e.com/") == ""


@pytest.mark.parametrize(
    "html",
    [b"", b"   ", b"<html></html>", b"\x00\xff\xfe garbage", "<p>Too short.</p>"],
)
def test_pages_without_an_article_give_none(html):
    assert extract_article(html, url="https://example.com/") is None


def test_text_is_capped(settings):
    settings.INGEST_MAX_TEXT_CHARS = 500
    page = article_page(
        "Long", ["A sentence that repeats to make a long article body. " * 20] * 10
    )
    assert len(extract_article(page, url="https://example.com/").text) <= 500


def test_xhtml_given_as_text_is_still_read():
    page = article_page(
        "XHTML", [" ".join(f"Readable sentence number {n}." for n in range(40))]
    )
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + page.decode()
    article = extract_article(xhtml, url="https://example.com/x")
    assert "Readable sentence number 39." in article.text


def test_newspaper_takes_over_when_trafilatura_finds_nothing():
    # An odd template: the story sits in <footer>, which trafilatura discards as chrome.
    sentence = "The council approved the new budget after a long debate about schools."
    page = (
        "<html><body><footer>"
        + "".join(f"<p>{sentence} Point {n}.</p>" for n in range(8))
        + "</footer></body></html>"
    )
    article = extract_article(page, url="https://example.com/budget")
    assert article.extractor == "newspaper"
    assert "Point 7." in article.text


def test_a_page_that_double_encoded_its_utf8_is_stored_as_its_author_wrote_it():
    """Mojibake ("Â£12", "CafÃ©", "â€™") is undone; real accents, curly quotes,
    dashes and Korean stay exactly as written."""
    from ingestion.feeds import html_to_text, plain_text

    broken = "All the app store versions wanted Â£12 per month at the CafÃ© â€™s door."
    page = article_page(
        "The weights tracker â€“ one-shotted",
        [broken + " It is a long enough paragraph to be the article's body text."] * 6,
    )
    article = extract_article(page, url="https://example.com/tracker")
    assert "wanted £12 per month at the Café ’s door." in article.text
    assert "Â" not in article.text and "â€" not in article.text
    assert article.title == "The weights tracker – one-shotted"
    kept = "São Paulo’s “naïve” résumé — 국내 스타트업이 '하늘-2'를 공개했다 … ÂLPHA"
    assert html_to_text(f"<p>{kept}</p>") == kept
    assert plain_text(kept) == kept
    assert plain_text("Grok â€œ4.6â€\x9d") == "Grok “4.6”"
