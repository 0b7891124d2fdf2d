"""A story's 👍/👎 from the reader's email, and the counting redirect to its sources.

Mail scanners fetch every link they find (GET, HEAD), so a vote link only shows a
page with a button; the POST from that page records the vote, and the page after it
offers to take it back (POST again). The plain-text email carries one link per story
("ask"), whose page offers both votes. The link is the only credential: the reader's
feedback token and a MAC binding it to the story (subscribers/tokens.py). A forged,
changed or expired link, an erased or unsubscribed reader, or a story that is gone
records nothing and the page says so (400 or 410).

The redirect goes only to URLs stored as sources of the story it names: any other
target is refused (400), so it cannot send anyone elsewhere.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from lib.locale import use_language
from newsletter.models import Digest, Feedback, Story
from newsletter.services import feedback as services
from newsletter.templatetags.digest import safe_url
from newsletter.web.reader_links import link_reader, reader_page_path
from subscribers import tokens

VOTES = {"up": Feedback.Vote.UP, "down": Feedback.Vote.DOWN}
# The plain-text email's one link per story: a page offering both votes alike.
ASK = "ask"


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    ctx = {"reason": reason}
    return render(request, "newsletter/feedback_refused.html", ctx, status=status)


def _reader_and_story(request, token: str, story_id: int, signature: str, vote: str):
    """(subscriber, story), or the page saying why the link records nothing."""
    if (vote not in VOTES and vote != ASK) or not tokens.is_story_signature(
        token, story_id, signature
    ):
        return _refused(request, "invalid", 400)
    subscriber, refused = link_reader(token)
    if subscriber is None:
        return _refused(request, refused, 400 if refused == "invalid" else 410)
    use_language(request, subscriber.reading_language)
    story = services.find_story(story_id)
    if story is None:
        return _refused(request, "story_gone", 410)
    return subscriber, story


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def feedback(
    request: HttpRequest, token: str, story_id: int, signature: str, vote: str
) -> HttpResponse:
    found = _reader_and_story(request, token, story_id, signature, vote)
    if isinstance(found, HttpResponse):
        return found
    subscriber, story = found
    state = "confirm"
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "undo":
            state = "undone" if services.undo_vote(subscriber.id, story) else "nothing"
        elif action in VOTES:
            vote = action
            changed = services.record_vote(subscriber.id, story, VOTES[vote])
            state = "recorded" if changed else "unchanged"
        else:
            return _refused(request, "invalid", 400)
    ctx = {
        "state": state,
        "story": story,
        "choices": _choices(vote, state),
        "current": services.current_vote(subscriber.id, story),
        "here": request.path,
        "digest_url": _digest_page(story, token),
    }
    return render(request, "newsletter/feedback.html", ctx)


def _digest_page(story: Story, token: str) -> str | None:
    """The reader's own page of the story's digest, once it is public."""
    digest = Digest.objects.published().filter(id=story.digest_id).first()
    return None if digest is None else reader_page_path(digest, token)


def _choices(vote: str, state: str) -> list[dict]:
    """The vote buttons the page offers: the link's own vote first, then (when
    asking) the other one as a lesser choice; both alike for an "ask" link."""
    if vote == ASK:
        return [{"vote": "up"}, {"vote": "down"}]
    other = "down" if vote == "up" else "up"
    if state == "confirm":
        return [{"vote": vote}, {"vote": other, "secondary": True}]
    return [{"vote": vote}]


@never_cache
@require_http_methods(["GET", "HEAD"])
def story_click(request: HttpRequest, story_id: int) -> HttpResponse:
    """Count a click on one of the story's sources, then go there."""
    story = services.find_story(story_id)
    if story is None:
        return HttpResponse("No such story.\n", status=404, content_type="text/plain")
    target = request.GET.get("to", "")
    if not target or not safe_url(target) or target not in _source_urls(story):
        return HttpResponse(
            "Not a source of this story.\n", status=400, content_type="text/plain"
        )
    # A HEAD is a scanner looking, not a reader going there.
    if request.method == "GET" and settings.CLICK_COUNTING:
        services.count_click(story)
    response = HttpResponseRedirect(target)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _source_urls(story: Story) -> set[str]:
    return {url for url in story.articles.values_list("url", flat=True) if url}
