"""Each story is told once in its section: its 👍/👎 sit on its own source line,
in the reader's language, with no second list of the same titles."""

import datetime as dt
import re

import pytest

from newsletter import services
from tests.newsletter.feedback_fixtures import briefing_day, vote_links
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
