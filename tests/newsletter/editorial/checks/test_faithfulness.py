"""Each line against the sources it cites."""

from ingestion.models import Article
from newsletter.editorial.checks import (
    faithfulness,
)


def source(text, title="A story"):
    return faithfulness.Source.of(Article(title=title, text=text, feed_summary=""))


def test_a_line_is_checked_against_the_sources_it_cites_only():
    sources = {
        1: source("OpenAI will spend $250 million on Nvidia chips in 2027."),
        2: source("Google released Gemini 3 to 30,000 testers."),
    }

    def problems(text, part=faithfulness.EVENTS):
        line = faithfulness.Line(part, 0, text)
        return faithfulness.line_problems(line, sources, language="ko")

    assert problems("오픈AI가 엔비디아 칩에 2억 5천만 달러를 쓴다 [1]") == []
    assert problems("구글이 Gemini 3를 3만 명에게 공개했다 [2]") == []
    assert problems("구글이 Gemini 3를 3만 명에게 공개했다 [1]") == [
        "3 is not in the cited source [1]",
        "3만 is not in the cited source [1]",
        "구글 is not in the cited source [1]",
        "Gemini is not in the cited source [1]",
    ]
    assert problems("구글이 Gemini 3를 3만 명에게 공개했다 [1][2]") == []
    assert problems("엔비디아가 새 칩을 공개했다") == ["it cites no source"]
    # A topic cites nothing by rule: all of the section's sources back it.
    assert problems("구글과 오픈AI", part=faithfulness.TOPICS) == []


def test_the_publication_date_the_model_was_given_backs_a_line():
    import datetime as dt

    published = dt.datetime(2026, 8, 22, 9, 0, tzinfo=dt.UTC)
    article = Article(title="Grok 4.6", text="xAI released Grok 4.6 today.")
    article.published_at = published
    sources = {1: faithfulness.Source.of(article)}
    line = faithfulness.Line(
        faithfulness.EVENTS, 0, "xAI가 8월 22일 Grok 4.6을 공개했다 [1]"
    )
    assert faithfulness.line_problems(line, sources, language="ko") == []
    line = faithfulness.Line(
        faithfulness.EVENTS, 0, "xAI가 8월 21일 Grok 4.6을 공개했다 [1]"
    )
    assert faithfulness.line_problems(line, sources, language="ko") == [
        "21 is not in the cited source [1]"
    ]


def test_terms_of_the_trade_need_no_source():
    sources = {1: source("Mistral released a model that writes code.")}
    line = faithfulness.Line(
        faithfulness.EVENTS, 0, "미스트랄이 코드용 LLM을 공개했다 [1]"
    )
    assert faithfulness.line_problems(line, sources, language="ko") == []
