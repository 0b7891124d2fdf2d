"""The Subject line as the raw bytes carry it: encoded words right after `Subject: `."""

import re

import pytest

from newsletter.sending import prototype, recipient
from newsletter.sending.rendering import render_digest_email
from subscribers.links import SubscriberLinks
from tests.newsletter.mail_fixtures import build_digest

LINKS = SubscriberLinks(
    preferences_url="https://news.example.com/preferences/tok/",
    unsubscribe_url="https://news.example.com/unsubscribe/tok/",
    one_click_url="https://news.example.com/unsubscribe/tok/one-click/",
)
ENCODED_WORD = re.compile(rb"=\?utf-8\?[qb]\?[^?\s]+\?=", re.IGNORECASE)


def _subject_lines(raw: bytes) -> list[bytes]:
    head = raw.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n")
    lines = head.split(b"\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(b"Subject:"))
    end = start + 1
    while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
        end += 1
    return lines[start:end]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_both_paths_put_the_subject_on_the_subject_line(defaults, language):
    rendered = render_digest_email(
        build_digest(slugs=("llm", "multimodal"), language=language), categories=None
    )
    assert not rendered.subject.isascii() and len(rendered.subject) > 40
    slow = recipient.build_digest_message(
        rendered, to="reader@example.com", links=LINKS, message_id="<m@localhost>"
    )
    fast = prototype.GroupTemplate(rendered).message(
        to="reader@example.com", links=LINKS, message_id="<m@localhost>"
    )

    for raw in (slow.message().as_bytes(), fast.message().as_bytes()):
        lines = _subject_lines(raw)
        first = lines[0]
        assert first.startswith(b"Subject: =?utf-8?"), lines
        assert ENCODED_WORD.fullmatch(first.removeprefix(b"Subject: ").split()[0])
        assert all(len(line) <= 78 for line in lines), lines
        assert prototype.parse(raw)["Subject"] == rendered.subject
    # What anymail's API backends send stays the plain text.
    assert slow.subject == rendered.subject
