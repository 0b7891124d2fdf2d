"""What readers tell us about stories: a 👍/👎 per reader and story, and clicks on
source links counted per story and day.

Votes come only from the signed links in a reader's email (newsletter/web/feedback.py,
after a confirming POST). A click is a number per (story, day): nothing says who
clicked, from where or when within the day.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from newsletter.models import Digest, Feedback, MergedStory, Story, StoryClick
from newsletter.sending import ordering


def find_story(story_id: int) -> Story | None:
    """The story a link names, or the one it was merged into; None once deleted."""
    story = Story.objects.filter(id=story_id).first()
    if story is not None:
        return story
    merged = MergedStory.objects.filter(merged_id=story_id).select_related("into")
    found = merged.first()
    return found.into if found is not None else None


def record_vote(subscriber_id: int, story: Story, vote: int) -> bool:
    """The reader's vote on the story, replacing an earlier one. True if this call
    changed anything (a repeated POST changes nothing)."""
    if vote not in Feedback.Vote.values:
        raise ValueError(f"not a vote: {vote!r}")
    features = ordering.story_features(story)
    with transaction.atomic():
        changed = (
            Feedback.objects.filter(subscriber_id=subscriber_id, story=story)
            .exclude(vote=vote)
            .update(vote=vote, features=features, voted_at=timezone.now())
        )
        if changed:
            return True
        try:
            with transaction.atomic():
                _, created = Feedback.objects.get_or_create(
                    subscriber_id=subscriber_id,
                    story=story,
                    defaults={"vote": vote, "features": features},
                )
        except IntegrityError:  # the same vote, posted twice at once
            return False
    return created


def undo_vote(subscriber_id: int, story: Story) -> bool:
    """Take the reader's vote on the story back. True if there was one."""
    deleted, _ = Feedback.objects.filter(
        subscriber_id=subscriber_id, story=story
    ).delete()
    return bool(deleted)


def current_vote(subscriber_id: int, story: Story) -> int | None:
    return (
        Feedback.objects.filter(subscriber_id=subscriber_id, story=story)
        .values_list("vote", flat=True)
        .first()
    )


def current_votes(subscriber_id: int, story_ids: list[int]) -> dict[int, int]:
    """The reader's vote on each of these stories they voted on (one query)."""
    return dict(
        Feedback.objects.filter(
            subscriber_id=subscriber_id, story_id__in=story_ids
        ).values_list("story_id", "vote")
    )


def count_click(story: Story) -> None:
    """One more click on the story's sources today (one UPDATE, else one INSERT)."""
    today = timezone.localdate()
    updated = StoryClick.objects.filter(story=story, day=today).update(
        count=F("count") + 1
    )
    if updated:
        return
    try:
        with transaction.atomic():
            StoryClick.objects.create(story=story, day=today, count=1)
    except IntegrityError:  # another click created today's row first
        StoryClick.objects.filter(story=story, day=today).update(count=F("count") + 1)


@dataclass(frozen=True)
class Counts:
    up: int = 0
    down: int = 0
    clicks: int = 0


def story_counts(story_ids: list[int]) -> dict[int, Counts]:
    """👍, 👎 and clicks per story, for the desk: two queries."""
    votes = (
        Feedback.objects.filter(story_id__in=story_ids)
        .values("story_id")
        .annotate(
            up=Count("id", filter=Q(vote=Feedback.Vote.UP)),
            down=Count("id", filter=Q(vote=Feedback.Vote.DOWN)),
        )
    )
    clicks = dict(
        StoryClick.objects.filter(story_id__in=story_ids)
        .values("story_id")
        .annotate(total=Sum("count"))
        .values_list("story_id", "total")
    )
    found = {row["story_id"]: (row["up"], row["down"]) for row in votes}
    return {
        story_id: Counts(*found.get(story_id, (0, 0)), clicks.get(story_id) or 0)
        for story_id in story_ids
    }


def digest_counts(digest: Digest) -> Counts:
    """The digest's 👍, 👎 and clicks over all its stories."""
    votes = Feedback.objects.filter(story__digest=digest).aggregate(
        up=Count("id", filter=Q(vote=Feedback.Vote.UP)),
        down=Count("id", filter=Q(vote=Feedback.Vote.DOWN)),
    )
    clicks = StoryClick.objects.filter(story__digest=digest).aggregate(
        total=Sum("count")
    )
    return Counts(votes["up"], votes["down"], clicks["total"] or 0)
