import re

import pytest

from devservers.openai_server import SOURCE_BLOCK
from ingestion.models import Article
from newsletter import llm
from newsletter.drafting import summarize
from newsletter.drafting.classify import classify_articles
from newsletter.drafting.summarize import summarize_category
from newsletter.editorial import excerpts
from newsletter.editorial.checks import faithfulness
from newsletter.models import Category, Digest, LLMCall
from tests.newsletter.llm_fixtures import feed_items, korean_items, make_articles

HANGUL = re.compile(r"[\uac00-\ud7a3]")
MARKER = re.compile(r"\[(\d+)\]")


def all_texts(content):
    return [
        *content["topics"],
        *(e["text"] for e in content["events"]),
        *content["impact"].values(),
        *content["final_summary"],
    ]


def assert_shape(content):
    assert set(content) == {"topics", "events", "impact", "final_summary"}
    assert set(content["impact"]) == {
        "economy",
        "politics_society",
        "science_technology",
    }
    assert all(isinstance(t, str) and t for t in content["topics"])
    assert all(set(e) == {"text", "citations"} for e in content["events"])
    assert all(isinstance(s, str) and s for s in content["final_summary"])


def assert_excerpts_shape(content):
    """The offline section: attributed excerpts, never an invented analysis."""
    assert content["kind"] == "excerpts"
    assert set(content) == {"kind", "topics", "excerpts", "key_figures", "impact"}
    assert set(content["impact"]) <= {
        "economy",
        "politics_society",
        "science_technology",
    }
    assert all(isinstance(t, str) and t for t in content["topics"])
    assert len(content["topics"]) <= 4
    for excerpt in content["excerpts"]:
        assert set(excerpt) == {"text", "publisher", "published", "citations"}
        assert excerpt["text"] and excerpt["publisher"] and excerpt["published"]
    for figure in content["key_figures"]:
        assert set(figure) == {"text", "citations"}


def excerpt_numbers(content):
    numbers = {
        n
        for item in [*content["excerpts"], *content["key_figures"]]
        for n in item["citations"]
    }
    for quoted in content["impact"].values():
        numbers |= set(quoted["citations"])
    return numbers


def cited_numbers(content):
    numbers = {n for e in content["events"] for n in e["citations"]}
    for text in all_texts(content):
        numbers |= {int(n) for n in MARKER.findall(text)}
    return numbers


def sources_in(request):
    return [
        (int(n), title)
        for n, title, _ in SOURCE_BLOCK.findall(
            request["body"]["messages"][1]["content"]
        )
    ]


@pytest.fixture
def llm_category(defaults):
    return Category.objects.get(slug="llm")


# --- offline ---------------------------------------------------------------------


def test_offline_summary_quotes_the_articles_own_sentences_with_their_source(
    llm_category, offline
):
    articles = make_articles(feed_items()[:6])
    draft = summarize_category(llm_category, articles, language="en")

    assert draft.generated_by == "offline" and not draft.needs_review
    content = draft.content
    assert_excerpts_shape(content)
    assert content["topics"] == [a.title for a in articles[:4]]
    assert len(content["excerpts"]) == 6
    per_article = {}
    for excerpt in content["excerpts"]:
        [number] = excerpt["citations"]
        article = articles[number - 1]
        per_article[number] = per_article.get(number, 0) + 1
        # Stored with its citation written in the text, as every section text is.
        assert excerpt["text"].endswith(f"[{number}]")
        quote = MARKER.sub("", excerpt["text"]).strip()
        assert quote in " ".join(article.text.split())
        assert excerpt["publisher"] == "AI labs"
        assert excerpt["published"] == f"{article.first_seen_at:%Y-%m-%d}"
        assert excerpts.junk_reason(quote) is None
    assert max(per_article.values()) <= 2
    for quoted in content["impact"].values():
        (number,) = quoted["citations"]
        assert quoted["publisher"] == "AI labs" and quoted["published"]
        sentence = MARKER.sub("", quoted["text"]).strip()
        assert sentence in " ".join(articles[number - 1].text.split())


def test_offline_summary_of_korean_articles_is_korean_and_cited(llm_category, offline):
    articles = make_articles(korean_items(), language="ko")
    draft = summarize_category(llm_category, articles, language="ko")
    assert_excerpts_shape(draft.content)
    assert excerpt_numbers(draft.content) <= set(range(1, len(articles) + 1))
    for excerpt in draft.content["excerpts"]:
        assert HANGUL.search(excerpt["text"])
    quoted = " ".join(e["text"] for e in draft.content["excerpts"])
    assert "1,200억원" in quoted


def test_an_impact_area_without_basis_is_left_out_not_filled(llm_category, offline):
    articles = make_articles(
        [
            {
                "title": "Grok 4.6 on Vertex AI",
                "url": "https://x.example/g",
                "text": "Grok 4.6 is now available on Vertex AI for developers.",
            }
        ]
    )
    for language in ("ko", "en"):
        content = summarize_category(llm_category, articles, language=language).content
        assert content["impact"] == {}
        assert content["excerpts"][0]["text"] == f"{articles[0].text} [1]"


# --- with the LLM ------------------------------------------------------------------


def test_llm_section_in_korean_cites_only_its_own_sources(llm_category, fake_llm):
    articles = make_articles(feed_items()[:6])
    draft = summarize_category(llm_category, articles, language="ko")

    assert draft.generated_by == "llm"
    assert not draft.needs_review, draft.review_notes
    assert draft.removed_citations == 0
    assert_shape(draft.content)
    assert cited_numbers(draft.content) == set(range(1, 7))
    hangul = sum(len(HANGUL.findall(t)) for t in all_texts(draft.content))
    assert hangul > 100
    [request] = fake_llm.requests
    assert "Write in Korean" in request["body"]["messages"][0]["content"]
    assert request["body"]["model"] == "fake-summary"


def test_each_section_sees_only_its_own_categorys_articles(defaults, fake_llm):
    fake_llm.label_rules = {
        "grok": "llm",
        "mistral": "multimodal",
        "agent": "robotics-agents",
    }
    articles = make_articles(feed_items())
    classify_articles(articles)
    digest = Digest.objects.create(date="2026-08-22")

    titles_by_slug = {}
    for category in Category.objects.for_digest():
        own = list(Article.objects.filter(category=category).order_by("id"))
        if not own:
            continue
        titles_by_slug[category.slug] = [a.title for a in own]
        draft = summarize_category(category, own, language="en", digest=digest)
        assert draft.generated_by == "llm"
        assert cited_numbers(draft.content) <= set(range(1, len(own) + 1))

    requests = fake_llm.requests_for("Briefing")
    assert len(requests) == len(titles_by_slug) >= 3
    for request, (slug, titles) in zip(requests, titles_by_slug.items(), strict=True):
        user = request["body"]["messages"][1]["content"]
        category = Category.objects.get(slug=slug)
        assert user.startswith(f"Category: {category.name}.")
        sent = sources_in(request)
        assert [n for n, _ in sent] == list(range(1, len(titles) + 1))
        assert [t for _, t in sent] == [
            t[: len(s)] for t, (_, s) in zip(titles, sent, strict=True)
        ]
        others = {t for s, ts in titles_by_slug.items() if s != slug for t in ts}
        assert not {t for _, t in sent} & others


def test_citations_to_sources_that_do_not_exist_are_removed_and_counted(
    llm_category, fake_llm
):
    articles = make_articles(feed_items()[:3])
    fake_llm.script("bad_citations")
    draft = summarize_category(llm_category, articles, language="en")

    assert draft.generated_by == "llm"
    # Each of the 3 events has [99] in its text and 43 in its list; the summary has [0].
    assert draft.removed_citations == 7
    assert cited_numbers(draft.content) <= {1, 2, 3}
    assert not any("[99]" in t or "[0]" in t for t in all_texts(draft.content))
    # Left citing nothing, the events were asked for again and now cite a source.
    assert "it cites no source" in draft.review_notes
    assert len(fake_llm.requests_for("Repairs")) == 1
    assert all(event["citations"] for event in draft.content["events"])
    assert draft.flagged_lines == 3 and draft.removed_lines == 0


def test_korean_with_the_hangul_stripped_is_retried_once(llm_category, fake_llm):
    articles = make_articles(feed_items()[:3])
    fake_llm.script("hangul_stripped", "ok")
    draft = summarize_category(llm_category, articles, language="ko")

    assert draft.generated_by == "llm" and not draft.needs_review
    assert "Attempt 1 failed the quality gate" in draft.review_notes
    first, second = fake_llm.requests
    assert "한국어 문장으로" in second["body"]["messages"][0]["content"]
    assert LLMCall.objects.filter(error__startswith="rejected").count() == 1

    again = summarize_category(llm_category, articles, language="ko")
    assert again.content == draft.content and len(fake_llm.requests) == 2


def test_korean_broken_twice_falls_back_to_offline_for_review(llm_category, fake_llm):
    articles = make_articles(feed_items()[:3])
    fake_llm.script("hangul_stripped", "hangul_stripped")
    draft = summarize_category(llm_category, articles, language="ko")

    assert draft.generated_by == "offline" and draft.needs_review
    assert "Hangul" in draft.review_notes and "offline" in draft.review_notes
    assert len(fake_llm.requests) == 2
    assert_excerpts_shape(draft.content)
    # Nothing of the broken answer ships, and it is not cached for tomorrow.
    quoted = [e["text"] for e in draft.content["excerpts"]]
    assert quoted and not any(", , ," in t for t in quoted)
    assert LLMCall.objects.filter(error="").count() == 0


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        (["length"], "truncated"),
        (["bad_schema"], "schema"),
        (["refusal"], "refusal"),
        (["timeout", "timeout"], "timeout"),
        (["server_error", "server_error"], "HTTP 500"),
    ],
)
def test_a_failed_llm_call_gives_the_offline_section_flagged_for_review(
    llm_category, fake_llm, script, kind
):
    articles = make_articles(feed_items()[:3])
    fake_llm.script(*script)
    draft = summarize_category(llm_category, articles, language="en")

    assert draft.generated_by == "offline" and draft.needs_review
    assert kind in draft.review_notes
    assert_excerpts_shape(draft.content)
    assert excerpt_numbers(draft.content) <= {1, 2, 3}


@pytest.mark.parametrize("failure", ["rate_limit", "server_error"])
def test_a_transient_error_then_success_gives_the_llm_section(
    llm_category, fake_llm, failure
):
    articles = make_articles(feed_items()[:3])
    fake_llm.script(failure, "ok")
    draft = summarize_category(llm_category, articles, language="en")
    assert draft.generated_by == "llm" and not draft.needs_review
    assert len(fake_llm.requests) == 2


def test_numbers_and_names_found_in_no_source_are_written_again(llm_category, fake_llm):
    articles = make_articles(feed_items()[:3])
    fake_llm.script("invented")
    draft = summarize_category(llm_category, articles, language="ko")

    assert draft.generated_by == "llm" and not draft.needs_review
    assert "2031" in draft.review_notes and "Palantir" in draft.review_notes
    # The line was sent back with its problems and came back backed by its source.
    [repair] = fake_llm.requests_for("Repairs")
    asked = repair["body"]["messages"][1]["content"]
    assert "Palantir is not in the cited source [1]" in asked
    assert not any("Palantir" in t for t in all_texts(draft.content))
    assert draft.flagged_lines == 1 and draft.removed_lines == 0


def briefing(*texts):
    from newsletter.editorial.llm_schemas import Briefing

    return Briefing(
        topics=[texts[0]],
        events=[{"text": t, "citations": [1]} for t in texts],
        impact={
            "economy": {"text": texts[0], "citations": [1]},
            "politics_society": None,
            "science_technology": None,
        },
        final_summary=[texts[-1]],
    )


def test_the_quality_gate_passes_real_prose_and_catches_broken_text():
    english = briefing(
        'The developers\' "agent" mode (beta) ships today, e.g. in Copilot. [1]',
        "xAI's Grok 4.6 reaches 1,000,000 tokens of context. [2]",
    )
    korean = briefing(
        "‘챗봇’ 시대는 잊어라: Anthropic이 Claude Opus 5를 공개했다 [1]",
        "xAI의 Grok 4.6이 Amazon Bedrock과 Vertex AI에 출시되었다 [2]",
    )
    stripped = briefing("‘’  : Anthropic Claude Opus 5 [1]", ", , , , [2]")
    sources = "anthropic released claude opus 5. xai's grok 4.6 on amazon bedrock"
    sources += " and vertex ai."
    assert summarize.quality_problems(english, language="en") == []
    assert summarize.quality_problems(korean, language="ko", sources=sources) == []
    problems = summarize.quality_problems(stripped, language="ko", sources=sources)
    assert "broken punctuation patterns" in problems
    assert "no Hangul at all" in problems


def test_names_copied_from_the_sources_are_not_flagged(llm_category):
    articles = make_articles(feed_items()[:2])
    sources = faithfulness.sources_of(articles)
    content = {
        "topics": ["Claude 관련 동향"],
        "events": [
            {
                "text": "Claude의 텍스트 watermark 방식이 공개되었다 [1]",
                "citations": [1],
            }
        ],
        "impact": {"politics_society": "EU AI Act 대응 [1]"},
        "final_summary": ["SynthID-Text 기법을 사용한다 [1]"],
    }
    assert faithfulness.check(content, sources, language="ko") == []
    content["final_summary"].append("OpenAI와 1999년에 제휴했다")
    [flag] = faithfulness.check(content, sources, language="ko")
    assert flag.problems == [
        "1999 is not in any source of this section",
        "OpenAI is not in any source of this section",
    ]


def test_an_exhausted_budget_writes_the_rest_offline_and_says_so(defaults, fake_llm):
    categories = list(Category.objects.for_digest()[:3])
    first = make_articles(feed_items()[:3])
    second = make_articles(feed_items()[3:6])
    third = make_articles(feed_items()[6:7])
    budget = llm.TokenBudget(5600)

    drafts = [
        summarize_category(categories[0], first, language="ko", budget=budget),
        summarize_category(categories[1], second, language="ko", budget=budget),
        # Small enough to fit what is left, but the run is already over budget.
        summarize_category(categories[2], third, language="ko", budget=budget),
    ]

    assert [d.generated_by for d in drafts] == ["llm", "offline", "offline"]
    assert all("Token budget reached" in d.review_notes for d in drafts[1:])
    assert len(fake_llm.requests) == 1
    assert 0 < budget.spent <= budget.limit and budget.exhausted


def test_summarizing_the_same_articles_again_spends_no_tokens(llm_category, fake_llm):
    digest = Digest.objects.create(date="2026-08-22")
    articles = make_articles(feed_items()[:4])
    first = summarize_category(llm_category, articles, language="ko", digest=digest)
    budget = llm.TokenBudget(100_000)
    again = summarize_category(
        llm_category, articles, language="ko", digest=digest, budget=budget
    )

    assert again.content == first.content and again.generated_by == "llm"
    assert budget.spent == 0 and len(fake_llm.requests) == 1
    cached = LLMCall.objects.get(cached=True)
    assert (cached.prompt_tokens, cached.completion_tokens) == (0, 0)
    usage = llm.digest_usage(digest)
    assert usage["calls"] == 1 and usage["calls_cached"] == 1


def test_a_source_filed_under_another_category_is_flagged(defaults, offline):
    research = Category.objects.get(slug="research")
    llm_category = Category.objects.get(slug="llm")
    own = make_articles(feed_items()[:1], category=llm_category)
    moved = make_articles(feed_items()[1:2], category=research)
    draft = summarize_category(llm_category, own + moved, language="ko")
    assert draft.needs_review
    assert "Source(s) 2 are filed under another category" in draft.review_notes
    assert not summarize_category(llm_category, own, language="ko").needs_review


def test_a_category_without_articles_gets_an_empty_offline_section(
    llm_category, fake_llm
):
    draft = summarize_category(llm_category, [], language="ko")
    assert draft.generated_by == "offline" and draft.content["excerpts"] == []
    assert fake_llm.requests == []


def test_offline_summary_of_title_only_articles_lists_the_titles_only(
    llm_category, offline
):
    articles = make_articles(
        [
            {"title": "Introducing Grok Bot", "url": "https://x.example/1", "text": ""},
            {"title": "Mistral OCR 4", "url": "https://x.example/2", "text": "OCR."},
        ]
    )
    draft = summarize_category(llm_category, articles, language="ko")
    assert draft.content == {
        "kind": "excerpts",
        "topics": ["Introducing Grok Bot", "Mistral OCR 4"],
        "excerpts": [],
        "key_figures": [],
        "impact": {},
    }


def test_korean_sources_give_a_korean_llm_section_with_nothing_flagged(
    llm_category, fake_llm
):
    articles = make_articles(korean_items(), language="ko")
    draft = summarize_category(llm_category, articles, language="ko")
    assert draft.generated_by == "llm"
    assert not draft.needs_review, draft.review_notes
    assert cited_numbers(draft.content) == set(range(1, len(articles) + 1))
    [request] = fake_llm.requests
    assert "리벨리온이 시리즈 B 투자에서" in request["body"]["messages"][1]["content"]
