"""The email's web link is the reader's own page of the digest: the public page
with their 👍/👎 per story, never stored, indexed or sent on as a referrer; a link
that names no reader goes to the public page, which carries no votes and stays
cacheable."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.utils import timezone

from newsletter import services
from newsletter.models import Digest
from subscribers import services as subscriber_services
from tests.factories import told_digest
from tests.newsletter.feedback_fixtures import briefing_day, path_of
from tests.newsletter.mail_fixtures import reader

DAY = dt.date(2026, 8, 22)
READER_LINK = re.compile(r'href="([^"]*/digests/2026-08-22/reader/[^"]+)"')
VOTE_LINK = re.compile(r'href="(/feedback/[^"]+/(up|down)/)"')


@pytest.fixture
def sent(defaults, mailoutbox):
    """The day sent to Alice (English); (her reader page path, stories)."""
    alice = reader("alice@example.com", "llm", language="en")
    digest, stories = briefing_day(
        DAY,
        [
            (
                "Alpha ships a model",
                ["https://alpha.example/a", "https://c.example/a"],
                3,
            ),
            ("Beta shows a chip", ["https://beta.example/b"], 2.0),
        ],
    )
    services.send_and_record(digest)
    (message,) = mailoutbox
    links = {unescape(link) for link in READER_LINK.findall(message.alternatives[0][0])}
    assert len(links) == 1  # the header's, the footer's and the sections' all alike
    (link,) = links
    assert link in message.body  # the text part's web link is the same page
    return alice, path_of(link), stories


def _votes(page: str) -> dict[tuple[int, str], str]:
    return {
        (int(link.split("/")[-4]), vote): link for link, vote in VOTE_LINK.findall(page)
    }


def test_the_readers_page_shows_their_vote_links_and_is_theirs_alone(client, sent):
    alice, path, (alpha, beta) = sent

    response = client.get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    page = response.content.decode()
    assert '<meta name="robots" content="noindex">' in page
    assert '<meta name="referrer" content="no-referrer">' in page
    assert '<link rel="canonical" href="http://testserver/digests/2026-08-22/">' in page
    assert 'rel="alternate"' not in page  # no alternates naming the token's URL
    assert set(_votes(page)) == {
        (s.id, v) for s in (alpha, beta) for v in ("up", "down")
    }
    assert "Alpha ships a model" in page and "More like this" in page


def test_a_vote_shows_on_the_readers_page_and_an_undo_clears_it(client, sent):
    alice, path, (alpha, _) = sent
    up = _votes(client.get(path).content.decode())[alpha.id, "up"]
    assert "your answer" not in client.get(path).content.decode()

    client.post(up, {"action": "up"})
    marked = client.get(path).content.decode()
    client.post(up, {"action": "undo"})
    cleared = client.get(path).content.decode()

    assert marked.count("your answer") == 1
    assert (
        f'href="{up}" title="More like this" aria-label="More like this" aria-current="true"'
        in marked
    )
    assert "your answer" not in cleared and 'class="vote chosen"' not in cleared


def _forged(path: str) -> str:
    token = path.split("/")[4]
    return path.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


@pytest.mark.parametrize("how", ["forged", "expired", "unsubscribed"])
def test_a_link_naming_no_reader_opens_the_public_page_without_votes(client, sent, how):
    alice, path, _ = sent
    if how == "forged":
        path = _forged(path)
    elif how == "unsubscribed":
        subscriber_services.unsubscribe(alice.id)
    later = timezone.now() + dt.timedelta(days=400 if how == "expired" else 0)

    with time_machine.travel(later, tick=False):
        response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/digests/2026-08-22/?lang=en"
    assert response["Cache-Control"] == "private, no-store"
    public = client.get(response["Location"]).content.decode()
    assert "Alpha ships a model" in public
    assert not _votes(public) and "/feedback/" not in public


def test_the_public_page_carries_no_votes_and_stays_cacheable(client, sent):
    alice, path, (alpha, _) = sent
    client.post(
        _votes(client.get(path).content.decode())[alpha.id, "up"], {"action": "up"}
    )

    response = client.get("/digests/2026-08-22/")

    page = response.content.decode()
    assert "Alpha ships a model" in page and "/feedback/" not in page
    assert "your answer" not in page and "/reader/" not in page
    cache_control = response["Cache-Control"]
    assert "max-age=" in cache_control and int(cache_control.split("max-age=")[1]) > 0
    assert "private" not in cache_control and "no-store" not in cache_control
    assert 'name="robots"' not in page and 'rel="alternate" hreflang="en"' in page


def test_the_days_other_edition_opens_as_the_readers_own_page_too(client, sent):
    alice, path, _ = sent
    told_digest(date=DAY, edition=Digest.Edition.PAPERS, status=Digest.Status.SENT)

    page = client.get(path).content.decode()
    papers = re.search(
        r'href="(/digests/2026-08-22/reader/[^"]+edition=papers[^"]*)"', page
    )

    assert papers is not None
    response = client.get(unescape(papers[1]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
