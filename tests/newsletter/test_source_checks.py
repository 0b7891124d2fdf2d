"""Numbers as values, Hangul names of Latin ones, and the Korean gate in characters."""

import pytest

from ingestion.models import Article
from newsletter.editorial.checks import (
    faithfulness,
    language_gate,
    quantities,
    transliteration,
)


def values(text):
    return [(q.value, q.kind) for q in quantities.quantities(text)]


@pytest.mark.parametrize(
    ("korean", "english"),
    [
        ("2억 5천만 달러", "$250 million"),
        ("3만 명", "30,000 people"),
        ("1.5조 원", "1.5 trillion won"),
        ("10억 달러", "$1 billion"),
        ("10억 달러", "1B dollars"),
        ("1,200억원", "120 billion won"),
        ("700억 개 매개변수", "70B parameters"),
        ("45퍼센트", "45%"),
        ("3.5%p", "3.5 percentage points"),
        ("8월 22일", "Aug. 22"),
        ("2천500만 달러", "$25 million"),
        ("3만5000명", "35,000 people"),
        ("12만 8천 토큰", "128K tokens"),
        ("GPT-4만 지원한다", "supports GPT-4"),
    ],
)
def test_a_korean_amount_is_the_same_value_as_its_english_form(korean, english):
    claimed = quantities.quantities(korean)
    known = quantities.quantities(english)
    assert claimed and all(quantities.supported(q, known) for q in claimed)


def test_amounts_that_differ_are_not_the_same():
    def backed(claim, source):
        known = quantities.quantities(source)
        return all(quantities.supported(q, known) for q in quantities.quantities(claim))

    assert values("2억 5천만 달러") == [(250_000_000, "number")]
    assert not backed("2억 5천만 달러", "$25 million")
    assert not backed("3만", "3,000")
    assert not backed("45%", "45 people")
    assert not backed("10억 달러", "$1.4 billion")  # no coarser than two digits
    assert backed("약 12억 달러", "$1.23 billion")  # a rounding of it
    assert not backed("2030년", "2031")  # a year is exact


def test_hangul_spellings_of_latin_names():
    assert transliteration.hangul_names("엔비디아가 구글의 애플리케이션을 샀다") == [
        "엔비디아",
        "구글",
    ]
    assert transliteration.romanised("오픈AI의") == "openai"
    assert transliteration.romanised("챗GPT를") == "chatgpt"
    assert transliteration.name_in("엔비디아", "nvidia said on tuesday")
    assert transliteration.name_in("Nvidia", "엔비디아가 발표했다")
    assert not transliteration.name_in("엔비디아", "amd said on tuesday")


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


def test_the_korean_gate_counts_latin_letters_outside_the_sources_names():
    sources = "xai released grok 4.6 on amazon bedrock and vertex ai."
    names_only = "xAI의 Grok 4.6이 Amazon Bedrock과 Vertex AI에 출시되었다."
    with_english = (
        names_only + " The model is now available to every developer who asks."
    )
    assert language_gate.problems([names_only], sources, threshold=0.5) == []
    [problem] = language_gate.problems([with_english], sources, threshold=0.5)
    assert problem.startswith("a sentence is 100% Latin letters (above 50%)")
    # Names the sources do not have count like any other Latin text.
    assert language_gate.problems([names_only], "", threshold=0.5)
    assert language_gate.problems(["Grok 4.6"], sources, threshold=0.5) == [
        "no Hangul at all"
    ]


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
