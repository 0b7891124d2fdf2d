"""Each story is told once in its section: its 👍/👎 sit on its own source line,
in the reader's language, with no second list of the same titles; the text part
gives each story one link to a page offering both."""

import datetime as dt
import re

import pytest

from newsletter import services
from newsletter.models import Feedback
from tests.newsletter.feedback_fixtures import briefing_day, path_of, vote_links
from tests.newsletter.mail_fixtures import reader

DAY = dt.date(2026, 8, 22)
# The title attribute of each story's 👍 link, per reading language.
MORE_LIKE_THIS = {"ko": "이런 소식 더 보기", "en": "More like this"}


@pytest.fixture
def day(defaults):
    return briefing_day(
        DAY,
        [
            (
                "알파 모델 공개",
                ["https://alpha.example/a", "https://gamma.example/a"],
                3,
            ),
            ("베타 칩 발표", ["https://beta.example/b"], 2.0),
        ],
    )


def _section(html: str, slug: str) -> str:
    """The HTML of one section: from its heading to the next heading or footer."""
    start = html.index(f'id="{slug}"')
    end = html.find("<h2", start)
    return html[start : end if end > 0 else len(html)]


def _line_with(section: str, text: str) -> str:
    lines = [
        d for d in re.findall(r"<div[^>]*>(.*?)</div>", section, re.S) if text in d
    ]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_each_story_title_shows_once_in_its_section_beside_its_vote_links(
    day, mailoutbox, language
):
    digest, stories = day
    reader("alice@example.com", "llm", language=language)

    services.send_and_record(digest)

    html = mailoutbox[0].alternatives[0][0]
    section = _section(html, "llm")
    links = vote_links(html)
    assert set(links) == {(s.id, v) for s in stories for v in ("up", "down")}
    for story in stories:
        assert section.count(story.title) == 1
        line = _line_with(section, story.title)
        assert f'href="{links[story.id, "up"]}"' in line
        assert f'href="{links[story.id, "down"]}"' in line
        assert f'title="{MORE_LIKE_THIS[language]}"' in line
    # The story's other source is listed under it, without links of its own.
    assert "/feedback/" not in _line_with(section, "다른 매체 0-1")
    assert "어떠셨나요" not in html and "Your take on these" not in html


def _text(message) -> str:
    return message.body


@pytest.mark.parametrize(
    ("language", "label"), [("ko", "의견 남기기"), ("en", "Your take")]
)
def test_the_text_part_gives_each_story_one_labelled_link_after_its_sources(
    day, mailoutbox, client, language, label
):
    digest, (alpha, beta) = day
    alice = reader("alice@example.com", "llm", language=language)

    services.send_and_record(digest)

    lines = _text(mailoutbox[0]).splitlines()
    asks = [line for line in lines if "/feedback/" in line]
    assert [line.split(": ", 1)[0].strip() for line in asks] == [f"{label} 👍/👎"] * 2
    # Alpha's link follows its second source, the line before names Beta's.
    alpha_ask = lines.index(asks[0])
    assert "https://gamma.example/a" in lines[alpha_ask - 1]
    assert "https://beta.example/b" in lines[lines.index(asks[1]) - 1]
    # Its page offers both votes and records nothing until the reader picks one.
    path = path_of(asks[0].split(": ", 1)[1])
    page = client.get(path).content.decode()
    assert page.count('name="action"') == 2 and alpha.title in page
    assert not Feedback.objects.exists()
    client.post(path, {"action": "down"})
    assert list(Feedback.objects.values_list("subscriber", "story", "vote")) == [
        (alice.id, alpha.id, Feedback.Vote.DOWN)
    ]


def test_a_shortened_email_still_names_each_story_once_beside_its_votes(
    day, mailoutbox, settings
):
    digest, stories = day
    reader("alice@example.com", "llm")
    # Too small for any level: the email is cut as far as it goes.
    settings.EMAIL_HTML_MAX_BYTES = 1_000

    services.send_and_record(digest)

    html = mailoutbox[0].alternatives[0][0]
    assert "일부 내용을 줄였습니다" in html
    section = _section(html, "llm")
    assert set(vote_links(html)) == {(s.id, v) for s in stories for v in ("up", "down")}
    for story in stories:
        assert section.count(story.title) == 1
    assert "다른 매체 0-1" not in section  # a story's further sources go first
    assert _text(mailoutbox[0]).count("/ask/") == 2
