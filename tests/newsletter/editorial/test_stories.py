"""Stories as readers meet them: the window, grouping, continuity, ranking, the cap and
the first screen, seen in the rows a build writes and the emails a reader receives."""

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import timezone

from ingestion.models import Article
from newsletter import export, services
from newsletter.models import Digest, Story
from tests.factories import ArticleFactory, SourceFactory
from tests.newsletter.mail_fixtures import reader


def _article(title, text, *, hours_ago=2.0, source=None, published="hours_ago", **kw):
    now = timezone.now()
    when = (
        now - dt.timedelta(hours=hours_ago) if published == "hours_ago" else published
    )
    return ArticleFactory(
        title=title,
        text=text,
        published_at=when,
        source=source or SourceFactory(),
        **kw,
    )


def _sent(digest):
    """What an earlier send leaves behind: the digest is published."""
    Digest.objects.filter(id=digest.id).update(status=Digest.Status.SENT)


def _in_digest(digest) -> set[int]:
    return set(
        Article.objects.filter(stories__digest=digest).values_list("id", flat=True)
    )


def _html(message) -> str:
    return message.get_body(("html",)).get_content()


def _flat(markup: str) -> str:
    """Text as a reader sees it: entities decoded, line breaks as spaces."""
    return " ".join(unescape(markup).split())


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_window_holds_what_was_published_in_its_hours(defaults, offline):
    fresh = _article(
        "OpenAI releases GPT-7 language model", "The new LLM chatbot reasons better."
    )
    old = _article(
        "Meta ships Llama 9 language model",
        "The LLM is open.",
        hours_ago=24 * 40,  # a July post read for the first time today
    )
    future = _article(
        "Google announces Gemini 6 LLM",
        "The language model beats benchmarks.",
        published=timezone.now() + dt.timedelta(days=5),  # a feed's wrong clock
    )
    undated = _article(
        "Mistral open-sources a new LLM", "The language model is small.", published=None
    )

    digest = services.build_digest(timezone.localdate())

    assert _in_digest(digest) == {fresh.id, future.id, undated.id}
    assert old.id not in _in_digest(digest)
    # Every article of the window is in exactly one story.
    assert sorted(
        Story.objects.filter(digest=digest).values_list("articles", flat=True)
    ) == sorted(_in_digest(digest))


def test_an_article_sent_in_an_earlier_digest_is_not_sent_again(defaults, offline):
    first = _article(
        "OpenAI releases GPT-7 language model", "The new LLM chatbot reasons better."
    )
    today = services.build_digest(timezone.localdate())
    _sent(today)
    later = _article(
        "Anthropic explains its LLM safety tests", "The language model was red-teamed."
    )

    tomorrow = services.build_digest(timezone.localdate() + dt.timedelta(days=1))

    assert first.id in _in_digest(today)
    assert _in_digest(tomorrow) == {later.id}


def test_reports_of_one_event_from_two_publishers_are_one_story_citing_both(
    defaults, offline, tmp_path
):
    one = _article(
        "OpenAI releases GPT-7, a language model that reasons over 2 million tokens",
        "OpenAI released GPT-7, its new large language model, which reasons over "
        "2 million tokens of context and costs less than GPT-6.",
        url="https://openai.example/gpt-7",
    )
    two = _article(
        "OpenAI launches GPT-7 language model with 2 million token context",
        "OpenAI launched GPT-7 on Tuesday, a large language model with a context of "
        "2 million tokens that the company says costs less than GPT-6.",
        url="https://press.example/openai-gpt-7",
    )
    other = _article(
        "Robots learn to fold laundry with a vision-language-action model",
        "A humanoid robot lab trained its robot policy on home videos.",
        url="https://robots.example/laundry",
    )

    digest = services.build_digest(timezone.localdate())

    stories = {
        frozenset(s.articles.values_list("id", flat=True)): s
        for s in digest.stories.all()
    }
    assert frozenset({one.id, two.id}) in stories
    assert frozenset({other.id}) in stories
    section = digest.sections.get(
        category=stories[frozenset({one.id, two.id})].category
    )
    numbers = {source.article_id: source.number for source in section.sources.all()}
    excerpt = next(
        e for e in section.content["excerpts"] if numbers[one.id] in e["citations"]
    )
    # One entry for the story, citing each of its sources.
    assert sorted(excerpt["citations"]) == sorted([numbers[one.id], numbers[two.id]])
    # The Markdown report keeps its shape: the entry cites both, both are listed.
    report = export.export_digest(digest, tmp_path).read_text()
    cited = "".join(f"[{n}]" for n in sorted(excerpt["citations"]))
    assert any(
        line.startswith("   - ") and line.endswith(cited)
        for line in report.splitlines()
    )
    assert f" - [{numbers[one.id]}] {one.title} ({one.url})" in report
    assert f" - [{numbers[two.id]}] {two.title} ({two.url})" in report


def _claude_9(hours_ago, url):
    return _article(
        "Anthropic releases Claude 9 language model with a 2 million token context",
        "Anthropic released Claude 9, a large language model with a context of "
        "2 million tokens, priced at 5 dollars per million tokens.",
        hours_ago=hours_ago,
        url=url,
    )


def test_a_story_sent_this_week_is_left_out_unless_it_brings_new_facts(
    defaults, offline, sink
):
    day1 = timezone.localdate()
    first = _claude_9(3, "https://anthropic.example/claude-9")
    sent = services.build_digest(day1)
    _sent(sent)
    earlier = Story.objects.get(digest=sent, articles=first)

    # Day 2: another publisher repeats the same facts. Nothing new: left out.
    _claude_9(1, "https://repeat.example/claude-9")
    repeat_day = services.build_digest(day1 + dt.timedelta(days=1))
    repeat = Story.objects.get(digest=repeat_day)
    assert repeat.earlier_id == earlier.id and not repeat.is_follow_up
    assert not repeat_day.sections.exists()

    # Day 3: a source brings new numbers and names: a follow-up that says so.
    news = _article(
        "Anthropic's Claude 9 language model wins 1,400 enterprise customers",
        "Claude 9, Anthropic's large language model with a 2 million token context, "
        "signed 1,400 enterprise customers in its first week, and Amazon Bedrock now "
        "hosts it.",
        hours_ago=0.5,
        url="https://business.example/claude-9-customers",
    )
    follow_day = services.build_digest(day1 + dt.timedelta(days=2))
    follow = Story.objects.get(digest=follow_day, articles=news)
    assert follow.is_follow_up and follow.earlier_id == earlier.id
    assert "1400" in follow.new_facts
    reader("minji@example.kr", language="ko")
    reader("bob@example.com", language="en")

    services.send_and_record(follow_day)

    got = {r.rcpt_tos[0]: r.message for r in sink.received}
    korean, english = _text(got["minji@example.kr"]), _text(got["bob@example.com"])
    assert "후속 · " in korean and "Follow-up · " in english
    assert "1,400 enterprise customers" in korean
    assert "후속 · " in _html(got["minji@example.kr"])


# Seven distinct LLM stories; the heaviest source's first, then two publishers.
STORIES = [
    (
        "Cohere trains a retrieval language model for legal search",
        "Cohere's LLM reads statutes.",
    ),
    (
        "Alibaba's Qwen LLM adds Thai and Vietnamese",
        "The language model now speaks ten Asian languages.",
    ),
    (
        "Stanford measures hallucination in medical chatbots",
        "The LLM study covers 4,000 clinical questions.",
    ),
    (
        "Hobbyists shrink a GPT language model to run on watches",
        "A small LLM chatbot runs on a smartwatch.",
    ),
    (
        "Mistral's LLM doubles its context window",
        "The language model now reads 256,000 tokens of a prompt at once.",
    ),
    (
        "A language model learns chess from commentary alone",
        "The LLM never saw a board position.",
    ),
]


def test_stories_are_ranked_and_a_section_shows_five_then_and_n_more(
    defaults, offline, sink, client, settings
):
    heavy = SourceFactory(name="Trusted wire", weight=3.0)
    top = _article(
        "DeepSeek releases an open reasoning language model",
        "DeepSeek released an open-weight reasoning LLM for math.",
        source=heavy,
        hours_ago=20,
        url="https://wire.example/deepseek",
    )
    pair = [
        _article(
            "Nvidia and Google release Gemtron, a joint LLM chatbot",
            "Nvidia and Google released Gemtron, a large language model chatbot "
            "that answers in 40 languages.",
            url=f"https://{host}/gemtron",
            hours_ago=10,
        )
        for host in ("chips.example", "cloud.example")
    ]
    singles = [
        _article(title, text, hours_ago=1 + index, url=f"https://s{index}.example/a")
        for index, (title, text) in enumerate(STORIES)
    ]
    digest = services.build_digest(timezone.localdate())
    section = digest.sections.get(category__slug="llm")
    ranked = list(
        Story.objects.filter(digest=digest, category=section.category).order_by(
            "-score"
        )
    )
    assert len(ranked) == 8
    assert ranked[0].lead_article_id == top.id
    assert set(ranked[1].articles.all()) == set(pair)
    # The newest single story outranks the older ones: recency orders equals.
    assert ranked[2].lead_article_id == singles[0].id
    reader("minji@example.kr", "llm", language="ko")

    services.send_and_record(digest)

    message = sink.received[0].message
    html, text = _html(message), _text(message)
    # The subject is the reader's top story, cut at a word within about 70 chars;
    # a Korean reader is told it is in English.
    assert message["Subject"].endswith(
        "[EN] DeepSeek releases an open reasoning language model"
    )
    # The first screen: the three best stories, one line each, linking to the section.
    block = re.search(r"오늘의 핵심(.*?)</ol>", html, re.S).group(1)
    lines = re.findall(r'<li[^>]*>\s*<a href="#llm"[^>]*>([^<]+)</a>', block)
    assert lines == [
        "[EN] DeepSeek releases an open reasoning language model",
        "[EN] Nvidia and Google release Gemtron, a joint LLM chatbot",
        f"[EN] {STORIES[0][0]}",
    ]
    assert text.index("오늘의 핵심") < text.index("DeepSeek releases")
    # Five stories in the email, then "외 3건" linking to the full list on the web,
    # on the reader's own page of the digest (where they can vote on the rest).
    assert "외 3건" in html
    day = re.escape(f"/digests/{digest.date:%Y-%m-%d}/reader/")
    anchor = re.escape(f"/?lang=ko#s{section.id}")
    assert re.search(rf'<a href="[^"]*{day}[^/"]+{anchor}"[^>]*>외 3건</a>', html)
    shown = [title for title, _ in STORIES[:3]]
    hidden = [title for title, _ in STORIES[3:]]
    assert all(t in _flat(html) for t in shown)
    assert not any(t in _flat(html) for t in hidden)
    page = _flat(client.get(f"/digests/{digest.date:%Y-%m-%d}/").content.decode())
    assert all(t in page for t in shown + hidden)


@pytest.mark.parametrize(
    "language,heading", [("ko", "오늘의 핵심"), ("en", "Today's highlights")]
)
def test_highlights_come_from_the_readers_own_categories(
    defaults, offline, sink, language, heading
):
    _article(
        "OpenAI releases GPT-7 language model",
        "The new LLM chatbot reasons better than GPT-6.",
        source=SourceFactory(weight=5.0),
    )
    robot = _article(
        "Humanoid robot agents learn to cook from videos",
        "A robotics lab trained its robot agents to cook by watching videos.",
    )
    digest = services.build_digest(timezone.localdate())
    assert Story.objects.get(digest=digest, articles=robot).category.slug == (
        "robotics-agents"
    )
    reader("carol@example.org", "robotics-agents", language=language)

    services.send_and_record(digest)

    message = sink.received[0].message
    block = re.search(rf"{re.escape(heading)}(.*?)</ol>", _flat(_html(message)), re.S)
    assert block and robot.title in block.group(1)
    assert "GPT-7" not in block.group(1)
    assert message["Subject"].endswith(robot.title)


def test_a_korean_readers_subject_is_the_best_story_told_in_korean(
    defaults, offline, sink
):
    english = _article(
        "OpenAI releases GPT-7 language model",
        "The new LLM chatbot reasons better than GPT-6.",
        source=SourceFactory(weight=5.0),
    )
    korean = _article(
        "국내 연구진, 한국어 대형 언어모델 '하늘-3' 공개",
        "국내 연구진이 한국어 대형 언어모델 '하늘-3'을 공개했다. LLM 성능이 크게 올랐다.",
        language="ko",
    )
    digest = services.build_digest(timezone.localdate())
    reader("minji@example.kr", "llm", language="ko")
    reader("bob@example.com", "llm", language="en")

    services.send_and_record(digest)

    got = {r.rcpt_tos[0]: r.message for r in sink.received}
    assert got["minji@example.kr"]["Subject"].endswith(korean.title)
    assert got["bob@example.com"]["Subject"].endswith(english.title)
    # A story the reader can read leads; the other follows, its language marked.
    block = re.search(r"오늘의 핵심(.*?)</ol>", _flat(_html(got["minji@example.kr"])))
    assert block.group(1).index(korean.title) < block.group(1).index(
        f"[EN] {english.title}"
    )
    block = re.search(
        r"Today's highlights(.*?)</ol>", _flat(_html(got["bob@example.com"]))
    )
    assert block.group(1).index(english.title) < block.group(1).index(
        f"[KO] {korean.title}"
    )
