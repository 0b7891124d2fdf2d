"""The offline briefing: every filter, the attribution and the impact rule, on sentences
taken from the sample corpus (ingestion/sample) and the ai-labs feeds."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from ingestion.models import Article, Source
from newsletter.editorial import excerpts, sections
from newsletter.editorial.keywords import KeywordSet

# (sentence as it appears in a corpus article, the rule that must reject it)
JUNK_SENTENCES = [
    ("What about older Claude models?", "question"),
    (
        "While it does cover the design of the specific feature in question, it also "
        "carries a lot of Claude-specific analysis and lingo.",
        "leaning_clause",
    ),
    ("self/ — sessions are ephemeral and nothing else survives.", "path_fragment"),
    (
        "How do people perceive AI to be changing their work, or the opportunities "
        "available to them?",
        "question",
    ),
    ("Cognizant puts Claude to work for clients", "heading"),
    (
        "At its core, Mistral Code is powered by four models that are state of the "
        "art in coding:",
        "heading",
    ),
    (
        "A sped-up video of GPT‑5.6 Sol attempting to solve puzzles in the ARC-AGI-3 "
        "benchmark, with the official harness (left) and our Responses API harness "
        "(right), which retains reasoning and enables compaction.",
        "caption",
    ),
    (
        "Figure 1: Claude’s expressed values differ between Opus 4.6 and Opus 4.7 "
        "and between English and Arabic.",
        "caption",
    ),
    (
        "A diagram showing the various SAMOS camera systems and their proposed "
        "capabilities.",
        "caption",
    ),
    (
        "- - Strong performance on reasoning benchmarks with a fraction of the "
        "compute budget.",
        "list_debris",
    ),
    (
        "* GPT-4-Turbo and GPT-4o scores are from the May 2024 release.",
        "list_debris",
    ),
    (
        "Summary: In this post, we share two results that show how Claude can help "
        "life scientists increase the pace of their research.",
        "label_prefix",
    ),
    (
        "LoRA replaces each weight matrix W from the original model with a modified "
        "version $W' = W + \\gamma BA$, where B and A are matrices that together have "
        "far fewer parameters than W.",
        "formula",
    ),
    (
        "The vector parameter is trained to minimize a loss function defined over the "
        "full space $\\mathbb{R}^d$.",
        "formula",
    ),
    (
        "Over the course of a week, one Anthropic researcher worked together with "
        "Claude to develop the HAWK attack, and another researcher built a scaffold4 "
        "that allowed Claude to fully autonomously discover the AES attack.",
        "footnote_digits",
    ),
    (
        "Claude fully autonomously discovered the AES attack.5 Each of the results "
        "cost roughly $100,000 in API cost to develop.",
        "footnote_digits",
    ),
    (
        "The vulnerabilities that Claude found in these cryptographic libraries1 were "
        "due to incorrect implementation of the algorithms.",
        "footnote_digits",
    ),
    (
        "( LoRA: Low-Rank Adaptation of Large Language Models (Hu et al, 2021)) "
        "However, the literature is unclear on how well LoRA performs relative to "
        "FullFT.",
        "reference",
    ),
    (
        "To learn more about the Claude Partner Network, visit anthropic.com/partners .",
        "url",
    ),
    ("If that page cannot be fetched, use https://ozbrain.com/docs.", "url"),
    (
        "If this goal inspires you, we invite you to join us on this journey — we are "
        "hiring !",
        "boilerplate",
    ),
    (
        "Learn more about our plugins for Word , PowerPoint , Excel , and Outlook .",
        "boilerplate",
    ),
    ("This attack was carried out by Claude Mythos 5.", "leans_on_previous"),
    (
        "It builds the systems those companies use to verify their designs, validate "
        "their chips, run their factories, and service their products.",
        "leans_on_previous",
    ),
    (
        "They can be deployed locally for privacy or security considerations and "
        "save on inference costs.",
        "leans_on_previous",
    ),
    (
        "However, the literature is unclear on how well LoRA performs relative to "
        "full fine-tuning.",
        "leans_on_previous",
    ),
    (
        "하지만 통신망 지연과 전문 인력 확보가 걸림돌로 꼽힌다.",
        "leans_on_previous",
    ),
    (
        "다만 한국어처럼 형태소가 복잡한 언어에서는 압축 후 문장 생성 품질이 더 떨어질 "
        "수 있어 추가 검증이 필요하다는 지적도 나왔다.",
        "leans_on_previous",
    ),
    ("이는 기존 방식보다 메모리 사용량을 크게 줄인 결과다.", "leans_on_previous"),
    (
        "Obviously it's common knowledge by now that Anthropic has solely trained "
        "claude on old Buzzfeed articles (explaining its love for 90s nostalgia).",
        "joke",
    ),
    ("Ask your own agent how OzBrain can help.", "call_to_action"),
    (
        "Encode the image and embed it directly in the request as a data: URL.",
        "call_to_action",
    ),
    (
        "Recently I've been catching myself having these little moments at work, when "
        "I'm trying to read a document someone has sent me and my brain somehow "
        "refuses to analyze it.",
        "first_person_aside",
    ),
    ("Scores indicate count of illegal activity.", "legend"),
    (
        "20, 2026 (GLOBE NEWSWIRE) -- Micron Technology, Inc. (Nasdaq: MU) today "
        "unveiled Micron Research Labs.",
        "dateline",
    ),
    (
        "SAN FRANCISCO, Aug. 21, 2026 /PRNewswire/ -- Acme today announced a model.",
        "dateline",
    ),
    (
        "Since then we've made it faster, taught it to publish and share what you "
        "make, wired it into X, and given the apps it builds access to our own models.",
        "second_person",
    ),
    (
        "As well, B-right/V (also called Cho-Kanji) was available on commodity PC "
        "hardware through Personal Media Corporation.",
        "leans_on_previous",
    ),
    (
        "Maybe the real lesson is that the benchmark measured the wrong thing.",
        "leans_on_previous",
    ),
    ("Supported image formats: JPEG, PNG, GIF, and WebP.", "list_debris"),
    (
        "Top 5% growth in batch - Raised $10M+ from investors including Paul Graham - "
        "Team of 20 co-live in our Warsaw and SF Hacker Houses.",
        "list_debris",
    ),
    (
        "In the middle of a video about stationery on YouTube the other day there was "
        "a passing shot of two robots kickboxing in a cage.",
        "first_person_aside",
    ),
    (
        "Many fans have taken note of the reference to her anonymity, which makes her "
        "2.6million monthly listeners all the more staggering.”",
        "torn_quote",
    ),
    ("There are caveats, these are described below.", "points_elsewhere"),
    (
        "The first ever IV Drip clinic to appear in the centre of a shopping mall, our "
        "Westfield clinic is a must-stop shop when doing a bit of retail therapy.",
        "marketing",
    ),
    (
        'We\'re thinking of calling it "Claudette" but Cat Wu is famously litigious '
        'so it\'s definitely absolutely not called "Claudette".',
        "joke",
    ),
    (
        "The top one is a 2021 10th-gen i7 with 32GB RAM, bought fresh from eBay with "
        "nothing on it.",
        "leans_on_previous",
    ),
    ("A design document that looks like a copy-paste from Claude.", "fragment"),
    # A plural noun before the noun it modifies is no verb ("requirements document").
    (
        "A technical requirements document that describes a rather simple concept in a "
        "very verbose way.",
        "fragment",
    ),
    # A README's joke told as a colloquial simile, and its pinky promise.
    (
        "Claudette is our solution to Claude being a great engineer with one incurable "
        "condition: it talks like it's delivering a TED talk about its own pull "
        "request.",
        "joke",
    ),
    (
        "Claudette has pinky promised to print Antigravity's translation verbatim.",
        "joke",
    ),
    ("print(response.choices[0].message.content)", "code"),
    (
        "The sync pipeline's retry logic has three bugs. syncQueue.ts:142 swallows "
        "ETIMEDOUT instead of re-queuing the job.",
        "code",
    ),
    (
        "| director | An executive | Three to five sentences: outcome, impact, ask.",
        "code",
    ),
    (
        "[...] And third — and this is the kicker — the dedupe key includes a "
        "timestamp, which means retries are never actually deduplicated.",
        "torn_quote",
    ),
    (
        "All of them use the standard OpenAI-compatible Chat Completions format, where "
        "content is an array of blocks instead of a plain string.",
        "leans_on_previous",
    ),
    (
        "The encoded data counts toward the 48 MiB request body limit (see Limits).",
        "points_elsewhere",
    ),
    (
        "One shared brain that Claude, ChatGPT, Cursor, and every AI can read and "
        "write.",
        "fragment",
    ),
    ("All within a calmer, easier-to-scan settings experience.", "fragment"),
    (
        "A seed agent: the smallest starting point from which an agent can grow.",
        "fragment",
    ),
    ("Blocked — need the invoice-state design tokens from the team.", "fragment"),
    (
        "“A humanoid robot named Edward Warchocki chased away a herd of wild boars in "
        "Warsaw, in video footage released on Sunday…”",
        "torn_quote",
    ),
    ("Fast.", "too_short"),
    ("Grok 4 is here.", "too_short"),
    ("Read our cookbook", "heading"),
    ("GPQA Diamond 85.7% 87.5% 79.0% 85.7% 82.3% 84.6% 86.1% 80.2%", "mostly_symbols"),
    (
        "The report compiles early case studies across math, physics, biology, computer "
        "science, astronomy, and materials science in which GPT‑5 helped researchers "
        "synthesize known results in a novel way, conduct powerful literature review, "
        "accelerate tough computations, and even generate novel proofs of unsolved "
        "propositions, while also documenting the limits of what it can do today.",
        "too_long",
    ),
]

QUOTABLE_SENTENCES = [
    "We're expanding our partnership with Cognizant, one of the world's largest "
    "technology services companies.",
    "Robostral Navigate uses only one ordinary RGB camera and no depth sensors, yet "
    "still achieves 76.6% on R2R-CE validation unseen.",
    "Each of the results cost roughly $100,000 in API cost to develop.",
    "cyvcf2 is a Python library for reading and writing genomic variant files.",
    "Codestral Embed with dimension 256 and int8 precision still performs better "
    "than any model from our competitors.",
    "There are many benefits to using smaller models: they can be deployed locally.",
    "Micron Technology, Inc. (Nasdaq: MU) today unveiled Micron Research Labs, a "
    "U.S.-based research institution backed by a planned $10 billion investment.",
    "Grok Bot is now included with all SuperGrok Plus and Premium+ plans.",
    "Use of AI coding assistants grew to 62% of professional developers this year.",
    "A startup that helps farmers plan their harvests raised $5 million on Tuesday.",
    "A model that runs on phones was released today by the Seoul lab.",
    "A startup announced that it raised $5 million from investors in Seoul.",
    "A startup says that it raised $5 million from investors in Seoul.",
    "One of the largest banks in Korea said it would adopt the model next year.",
    "The new model looks like it will ship to every phone by the end of the year.",
    "Set up in 2019, the lab now employs 300 researchers in Seoul and Toronto.",
    "한국어 언어모델의 추론 능력을 평가하는 새로운 벤치마크가 공개됐다.",
    "정부가 인공지능 기본법 시행을 앞두고 시행령 초안을 공개했다.",
]


@pytest.mark.parametrize(("sentence", "rule"), JUNK_SENTENCES)
def test_each_filter_rejects_the_real_sentences_it_is_for(sentence, rule):
    assert excerpts.junk_reason(sentence) == rule


@pytest.mark.parametrize("sentence", QUOTABLE_SENTENCES)
def test_real_news_sentences_pass_every_filter(sentence):
    assert excerpts.junk_reason(sentence) is None


def test_every_filter_is_named_documented_and_tested():
    names = [junk.name for junk in excerpts.JUNK]
    assert len(names) == len(set(names))
    assert all(junk.why for junk in excerpts.JUNK)
    assert set(names) <= {rule for _, rule in JUNK_SENTENCES}


def test_sentences_split_at_stops_but_not_after_abbreviations():
    text = (
        "Dr. Ben Bernanke, a Distinguished Fellow at the Brookings Institution, joins "
        "the U.S. board. He starts today.\nNext paragraph"
    )
    assert excerpts.split_sentences(text) == [
        "Dr. Ben Bernanke, a Distinguished Fellow at the Brookings Institution, joins "
        "the U.S. board.",
        "He starts today.",
        "Next paragraph",
    ]


def test_whole_words_only_flaws_is_not_law_and_방법_is_not_법():
    politics = KeywordSet.of(["law", "법", "억"])
    assert politics.hits("Flaws in these widely used cryptographic systems") == {}
    assert politics.hits("방법을 설명했다. 기억이 남는다.") == {}
    assert politics.hits("The new law and two laws; 법이 바뀌었다") == {
        "law": 2,
        "법": 1,
    }
    assert KeywordSet.of(["gpu", "규제"]).hits("AI가 GPU를 쓰고 규제가 강화됐다") == {
        "gpu": 1,
        "규제": 1,
    }


def _article(title, text, *, source="Anthropic News", url=None, day=21, lang="en"):
    return Article(
        source=Source(name=source, url="https://feeds.example/x.xml"),
        url=url or "https://www.anthropic.com/news/x",
        title=title,
        text=text,
        language=lang,
        published_at=datetime(2026, 8, day, 9, tzinfo=UTC),
    )


COGNIZANT = _article(
    "Cognizant and Anthropic expand their partnership to bring Claude to enterprise "
    "clients",
    "We're expanding our partnership with Cognizant, one of the world's largest "
    "technology services companies. Cognizant uses Claude in the systems it builds "
    "and runs for clients across manufacturing, life sciences, insurance, and other "
    "industries.\nCognizant puts Claude to work for clients",
    url="https://www.anthropic.com/news/cognizant-anthropic",
)


def test_every_excerpt_carries_its_publisher_and_date():
    content = excerpts.excerpt_content([COGNIZANT], language="ko")
    assert content["kind"] == "excerpts"
    assert content["topics"] == [COGNIZANT.title]
    first = content["excerpts"][0]
    assert first == {
        "text": "We're expanding our partnership with Cognizant, one of the world's "
        "largest technology services companies.",
        # "Anthropic News" publishes anthropic.com: the publisher is Anthropic.
        "publisher": "Anthropic",
        "published": "2026-08-21",
        "citations": [1],
    }
    quoted = sections.from_dict(sections.normalise(content).content).excerpts[0]
    with translation.override("ko"):
        assert sections.excerpt_line(quoted).startswith("Anthropic (8월 21일): We're")
    with translation.override("en"):
        assert sections.excerpt_line(quoted).startswith("Anthropic (Aug 21): We're")


def test_an_aggregators_item_is_credited_to_the_site_that_published_it():
    article = _article(
        "Rust Glancer",
        "A functional LSP server for Rust which uses far less memory than others.",
        source="Hacker News",
        url="https://github.com/x/rust-glancer",
    )
    article.source.is_aggregator = True
    assert excerpts.publisher(article) == "github.com"
    assert excerpts.via(article) == "Hacker News"
    article.site_name = "GitHub"
    assert excerpts.publisher(article) == "GitHub"
    # A page served through the aggregator names the aggregator: the domain speaks.
    article.site_name = "Hacker News"
    assert excerpts.publisher(article) == "github.com"
    # A source nobody marked as an aggregator keeps its own name.
    article.source.is_aggregator = False
    assert excerpts.publisher(article) == "Hacker News"
    assert excerpts.via(article) == ""


def test_an_aggregators_own_job_ad_is_never_quoted():
    article = _article(
        "SalesPatriot (YC W25) Is Hiring Forward Deployed Engineers",
        "The Mission America's industrial base runs on systems built in the 1980s.",
        source="Hacker News",
        url="https://www.ycombinator.com/companies/salespatriot/jobs/M46X6YX",
    )
    assert excerpts.quotable_sentences(article) == []


def test_a_discussion_page_is_never_quoted():
    article = _article(
        "Ask HN: What are you working on? (August 2026)",
        "I am building a small compiler for a language of my own design.",
        source="Hacker News",
        url="https://news.ycombinator.com/item?id=49233423",
    )
    assert excerpts.quotable_sentences(article) == []


def test_the_sentence_that_says_what_is_new_is_preferred_over_background():
    article = _article(
        "Grok Bot is now included with more plans",
        "We launched Grok Bot in beta on August 11 to give people highly capable AI "
        "teammates who could get real jobs done and be incredibly easy to work with.\n"
        "Since then, people who tried Grok Bot were surprised at how easy it was to "
        "start, and how much sharper Bots felt than other AI tools, taking jobs further "
        "without being walked through every step.\n"
        "Today, we're expanding access to Grok Bot. Grok Bot is now included with all "
        "SuperGrok Plus, Cursor Pro+, and Cursor Teams plans.",
        source="xAI News",
        url="https://x.ai/news/grok-bot",
    )
    group = excerpts.StoryGroup(story_id=1, numbers=(1,))
    content = excerpts.story_excerpt_content([article], [group], language="en")
    # The day's news, not the beta of August 11 the article recalls first.
    assert content["excerpts"][0]["text"] in {
        "Today, we're expanding access to Grok Bot.",
        "Grok Bot is now included with all SuperGrok Plus, Cursor Pro+, and Cursor "
        "Teams plans.",
    }


def test_a_story_without_a_sentence_about_it_is_told_by_its_source_line_alone():
    # A model's API page: its quotable sentences say how the API works, none of
    # them names the model or says what happened. The title is not repeated as a
    # quote: the section's source line already shows it.
    article = _article(
        "DeepSeek-v4-flash-vision-exp",
        "Supported image formats: JPEG, PNG, GIF, and WebP.\n"
        "The format is detected from the actual file content, not from the file name "
        "or the declared MIME type.\n"
        "There are three ways to provide an image to the model.",
        source="api-docs.deepseek.com",
        url="https://api-docs.deepseek.com/guides/vision/",
    )
    group = excerpts.StoryGroup(story_id=1, numbers=(1,))
    content = excerpts.story_excerpt_content([article], [group], language="en")
    assert content["excerpts"] == []
    assert content["topics"] == ["DeepSeek-v4-flash-vision-exp"]
    # A sentence naming the story, or saying what happened, is still quoted.
    assert excerpts.is_about_the_story(
        "DeepSeek's vision model reads charts.", "DeepSeek-v4-flash-vision-exp"
    )
    assert excerpts.is_about_the_story(
        "The lab announced a vision model.", "DeepSeek-v4-flash-vision-exp"
    )


def test_the_date_falls_back_to_first_seen():
    article = _article("T", "x")
    article.published_at = None
    article.first_seen_at = datetime(2026, 8, 22, 23, tzinfo=UTC)
    assert excerpts.published(article) == "2026-08-22"


def test_an_impact_line_needs_two_different_keywords_and_names_its_source():
    one_hit = _article(
        "Introducing Robostral Navigate",
        "Unlike commands relying on metric displacements, pointing makes the policy "
        "naturally robust to changes in camera intrinsics and world scale. The robot "
        "follows the route through a working office.",
        source="Mistral AI News",
        url="https://mistral.ai/news/robostral-navigate",
    )
    content = excerpts.excerpt_content([one_hit], language="en")
    # A control "policy" is no politics, and nothing else qualifies: no filler either.
    assert content["impact"] == {}

    two_hits = _article(
        "인공지능 기본법 시행령 초안, 고영향 AI 기준 구체화",
        "정부가 인공지능 기본법 시행을 앞두고 시행령 초안을 공개했다. "
        "초안은 채용, 대출 심사, 의료 진단처럼 사람의 권리에 큰 영향을 "
        "주는 분야의 인공지능을 고영향 인공지능으로 분류하고, 사업자가 "
        "지켜야 할 의무를 구체적으로 담았다. 고영향 인공지능을 운영하는 "
        "사업자는 위험 관리 방안을 세우고, 이용자에게 인공지능이 판단에 "
        "쓰였다는 사실을 미리 알려야 한다. 생성형 인공지능이 만든 결과물에는 "
        "표시를 붙이도록 했다. 업계는 기준이 구체화된 점을 반기면서도 "
        "중소기업이 감당하기 어려운 절차가 생길 수 있다며 유예 기간을 "
        "요청했다. 시민단체는 반대로 위반 시 제재가 약하다고 비판했다. "
        "정부는 의견 수렴을 거쳐 연말까지 시행령을 확정할 계획이다.",
        source="AI 브리핑 (샘플)",
        url="https://sample-ai-briefing.example/news/ai-basic-act-guideline",
        day=11,
        lang="ko",
    )
    content = excerpts.excerpt_content([one_hit, two_hits], language="ko")
    assert set(content["impact"]) == {"politics_society"}
    # The attribution is written in the reader's language, whatever the digest's.
    with translation.override("ko"):
        (impact,) = sections.from_dict(sections.normalise(content).content).impact
    assert impact.text.startswith("AI 브리핑 (샘플) (8월 11일): ")
    assert impact.text.endswith("[2]")
    with translation.override("en"):
        (impact,) = sections.from_dict(sections.normalise(content).content).impact
    assert impact.text.startswith("AI 브리핑 (샘플) (Aug 11): ")
    hits = excerpts.impact_hits("politics_society", two_hits.text)
    assert len(hits) >= excerpts.MIN_IMPACT_HITS


def test_korean_sources_come_first_in_a_korean_digest_and_keep_their_numbers():
    korean = _article(
        "한국어 추론 능력 평가 벤치마크 새로 나와",
        "한국어 언어모델의 추론 능력을 평가하는 새로운 벤치마크가 공개됐다.",
        source="AI 브리핑 (샘플)",
        url="https://sample-ai-briefing.example/news/korean-benchmark",
        lang="ko",
    )
    ko = excerpts.excerpt_content([COGNIZANT, korean], language="ko")
    en = excerpts.excerpt_content([COGNIZANT, korean], language="en")
    assert ko["excerpts"][0]["citations"] == [2]
    assert ko["topics"][0] == korean.title
    assert en["excerpts"][0]["citations"] == [1]


def test_key_figures_are_whole_sentences_with_the_number_its_unit_and_subject():
    article = _article(
        "Introducing Robostral Navigate",
        "Today we're introducing Robostral Navigate, our first model built for "
        "embodied navigation. Robostral Navigate uses only one ordinary RGB camera "
        "and no depth sensors, yet still achieves 76.6% on R2R-CE validation unseen.",
        source="Mistral AI News",
        url="https://mistral.ai/news/robostral-navigate",
    )
    numbered, sentences = [(1, article)], {1: excerpts.quotable_sentences(article)}
    assert excerpts.key_figures(numbered, sentences) == [
        {
            "text": "Robostral Navigate uses only one ordinary RGB camera and no depth "
            "sensors, yet still achieves 76.6% on R2R-CE validation unseen.",
            "citations": [1],
        }
    ]
    # Quoted in full as an excerpt already: not repeated as a figure.
    assert excerpts.key_figures(numbered, sentences, quoted=set(sentences[1])) == []


@pytest.mark.parametrize(
    "fragment",
    [
        "7 or 30 days of history are kept for every workspace on the plan.",
        "which makes her 2.6million monthly listeners all the more staggering.",
        "하늘-2는 매개변수 320억 개 규모로",
        "하늘-2는 매개변수 320억 개 규모로, 한국어 데이터로 학습했고",
    ],
)
def test_a_torn_clause_is_never_a_figure(fragment):
    assert not excerpts.is_whole_fact(fragment)
    article = _article("T", fragment)
    assert excerpts.key_figures([(1, article)], {1: [fragment]}) == []


def test_a_figure_already_stated_in_an_impact_line_is_not_repeated():
    said = "The startup raised 300 million dollars from investors this week."
    again = "Investors put 300 million dollars into the startup, its filing shows."
    other = "Its model has 32 billion parameters and reads 40 languages."
    article = _article("T", f"{again} {other}")
    sentences = {1: [again, other]}
    figures = excerpts.key_figures([(1, article)], sentences, quoted={said})
    assert [f["text"] for f in figures] == []  # "Its" leans on the previous one
    sentences = {
        1: [again, "The model has 32 billion parameters and reads 40 languages."]
    }
    figures = excerpts.key_figures([(1, article)], sentences, quoted={said})
    assert [f["text"] for f in figures] == [
        "The model has 32 billion parameters and reads 40 languages."
    ]


def test_a_korean_figure_is_a_whole_sentence():
    sentence = "하늘-2는 매개변수 320억 개 규모로 한국어 데이터로 학습했다."
    assert excerpts.is_whole_fact(sentence)


def test_articles_without_a_quotable_sentence_give_titles_only():
    article = _article("Grok 4.6 on Vertex AI", "")
    content = excerpts.excerpt_content([article], language="ko")
    assert content == {
        "kind": "excerpts",
        "topics": ["Grok 4.6 on Vertex AI"],
        "excerpts": [],
        "key_figures": [],
        "impact": {},
    }


def test_a_before_and_after_demo_is_not_quoted_as_what_the_article_states():
    """A README's sample output ("After (colleague mode):") is what the product
    writes, and its "Usage" how to run it, not facts of the story: neither an
    excerpt nor a key figure."""
    readme = _article(
        "Claudette: Make Claude stop talking like a BuzzFeed article",
        "Claudette is a Claude Code skill that rewrites Claude's last response in "
        "plain English with a second model.\n"
        "Before (Claude):\n"
        "Here's where it gets interesting: the retry logic is load-bearing.\n"
        "After (/debuzz, colleague mode):\n"
        "The backoff caps at 2 seconds, which is too low for mobile networks.\n"
        "After months of testing, we found:\n"
        "The skill cut the length of Claude's answers by 40 percent.\n"
        "Usage\n"
        "With no text argument it translates Claude's previous reply.",
        url="https://github.com/adnanakil/nobuzz/blob/main/README.md",
    )
    quoted = excerpts.quotable_sentences(readme)
    assert not any("backoff" in s or "load-bearing" in s for s in quoted)
    # After the manual's heading the page tells how to run it, not what is new.
    assert not any("no text argument" in s for s in quoted)
    assert "The skill cut the length of Claude's answers by 40 percent." in quoted
    content = excerpts.excerpt_content([readme], language="en")
    figures = [figure["text"] for figure in content["key_figures"]]
    assert not any("2 seconds" in text for text in figures)
