"""A reader's own order, learnt from their 👍/👎 and spending no tokens.

Each vote (``Feedback``) carries its story's features: its category, its publishers
(``stories.publisher_key``) and the names its title holds (``stories.facts``: the
topics and entities the story grouping already reads). A reader's preference is the
sum of their votes per feature, quantised into a small bucket: the BUCKET_SIZE
strongest features on which at least MIN_AGREEING_VOTES votes agree, each kept as
+1 or -1 only. So many readers share one bucket, and one stray vote changes nothing.

A bucket becomes a boost per story of today's digest (PREFERENCE_WEIGHT for each
liked feature the story has, minus as much for each disliked one), and a story's
place is its rank score plus its boost: within each section and in the highlights.
Sections, their order and every line's text stay the same for everyone; only the
order of stories and which of them fall under "외 N건" change.

Readers share a render when their orders are the same (``order_key``: each
section's order and the highlights' ranking, which is all the boosts change in an
email), so the render-group key (``ledger._Group``) holds the order, not the
bucket: a reader whose bucket leaves today's order as it is (no bucket, or features
no story of their sections has) shares the email of everyone with their language
and categories.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from lib.id_queries import rows_for_ids
from newsletter.editorial import sections as section_content
from newsletter.editorial import stories as story_rules
from newsletter.editorial.sections import SectionContent, SectionContentError
from newsletter.models import DigestSection, Feedback, Story

# One liked feature moves a story by one publisher's weight (Source.weight 1).
PREFERENCE_WEIGHT = 1.0
# A feature counts once this many votes agree on it (net of votes against).
MIN_AGREEING_VOTES = 2
# The strongest features a bucket keeps.
BUCKET_SIZE = 3

Bucket = tuple[tuple[str, int], ...]
Boosts = tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class StoryFacts:
    """What ordering needs of one story of today's digest."""

    score: float
    category_id: int | None
    features: frozenset[str]
    index: int = 0  # its place in its section's stories
    position: int = 0
    articles: tuple = ()


def story_features(story: Story) -> list[str]:
    """The features a vote on `story` teaches: category, publishers, title names."""
    features = [f"c:{story.category_id}"] if story.category_id else []
    features += sorted(
        {f"p:{story_rules.publisher_key(a)}" for a in story.articles.all()}
    )
    names = story_rules.facts(story.title or "")
    features += sorted(
        {f"t:{name.lower()}" for name in names if not name.replace(".", "").isdigit()}
    )
    return features


def preference_bucket(votes: Iterable[tuple[int, Sequence[str]]]) -> Bucket:
    """The quantised preference of one reader's (vote, features) pairs; () for none."""
    weights: dict[str, int] = defaultdict(int)
    for vote, features in votes:
        for feature in features:
            weights[feature] += vote
    strong = [
        (feature, weight)
        for feature, weight in weights.items()
        if abs(weight) >= MIN_AGREEING_VOTES
    ]
    strong.sort(key=lambda item: (-abs(item[1]), item[0]))
    return tuple(
        sorted(
            (feature, 1 if weight > 0 else -1)
            for feature, weight in strong[:BUCKET_SIZE]
        )
    )


def buckets(subscriber_ids: Sequence[int]) -> dict[int, Bucket]:
    """Each reader's bucket (readers without votes are absent): one query."""
    votes: dict[int, list[tuple[int, Sequence[str]]]] = defaultdict(list)
    for subscriber_id, vote, features in rows_for_ids(_votes, subscriber_ids):
        votes[subscriber_id].append((vote, _features(features)))
    found = {reader: preference_bucket(pairs) for reader, pairs in votes.items()}
    return {reader: bucket for reader, bucket in found.items() if bucket}


def _votes(subscriber_ids):
    return Feedback.objects.filter(subscriber_id__in=subscriber_ids).values_list(
        "subscriber_id", "vote", "features"
    )


@lru_cache(maxsize=4096)
def _decoded(raw: str) -> tuple[str, ...]:
    return tuple(json.loads(raw) or ())


def _features(raw) -> Sequence[str]:
    """A vote's stored features as the database returns them: JSON text (a few
    dozen distinct values in a day's votes, so decoded once each) or a list."""
    if isinstance(raw, str):
        return _decoded(raw)
    return raw or ()


def digest_stories(digest_id: int) -> dict[int, StoryFacts]:
    """The stories the digest's sections tell, as ordering reads them (three queries);
    the section's category is the story's."""
    told: dict[int, tuple[int, int]] = {}
    for section in DigestSection.objects.filter(digest_id=digest_id):
        try:
            refs = section_content.read(section).stories
        except SectionContentError:
            continue  # the renderer logs it; it shows no stories to order
        for index, ref in enumerate(refs):
            told.setdefault(ref.id, (section.category_id, index))
    rows = Story.objects.filter(id__in=told).prefetch_related("articles")
    return {
        story.id: StoryFacts(
            score=story.score,
            category_id=told[story.id][0],
            features=frozenset(story_features(story)),
            index=told[story.id][1],
            position=story.position,
            articles=tuple(story.articles.all()),
        )
        for story in rows
    }


def boosts(
    bucket: Bucket, stories: Mapping[int, StoryFacts], categories: frozenset[int]
) -> Boosts:
    """The bucket's nonzero boosts on today's stories of these categories, by id."""
    if not bucket:
        return ()
    found = []
    for story_id, facts in stories.items():
        if facts.category_id not in categories:
            continue
        boost = sum(sign for feature, sign in bucket if feature in facts.features)
        if boost:
            found.append((story_id, boost * PREFERENCE_WEIGHT))
    return tuple(sorted(found))


def order_key(
    boosts_: Mapping[int, float],
    stories: Mapping[int, StoryFacts],
    categories: frozenset[int],
    language: str,
) -> tuple:
    """What the reader's email orders with these boosts: each section's stories as
    ``reorder`` sorts them and every story as the highlights rank them
    (``stories.reader_key``). Equal keys render the same email."""
    chosen = sorted(
        (f.category_id or 0, f.index, i, f)
        for i, f in stories.items()
        if f.category_id in categories
    )

    def value(item) -> float:
        return item[3].score + boosts_.get(item[2], 0.0)

    sections = []
    for category_id in sorted({item[0] for item in chosen}):
        told = [item for item in chosen if item[0] == category_id]
        if any(item[2] in boosts_ for item in told):
            told.sort(key=lambda item: (-value(item), item[1]))
        sections.append(tuple(item[2] for item in told))
    ranked = sorted(
        chosen,
        key=lambda item: (
            *story_rules.reader_key(value(item), item[3].articles, language),
            item[3].position,
            item[2],
        ),
    )
    return (tuple(sections), tuple(item[2] for item in ranked))


def reorder(
    content: SectionContent, boost: Mapping[int, float], scores: Mapping[int, float]
) -> SectionContent:
    """The section's stories by score + boost, its lines following their stories;
    the content itself when no story of it is boosted (today's order)."""
    if not content.stories or not any(ref.id in boost for ref in content.stories):
        return content
    indexed = list(enumerate(content.stories))
    indexed.sort(
        key=lambda item: (
            -(scores.get(item[1].id, 0.0) + boost.get(item[1].id, 0.0)),
            item[0],
        )
    )
    ordered = tuple(ref for _, ref in indexed)
    if ordered == content.stories:
        return content  # its lines stay exactly as today's order has them
    rank_of = {}
    for rank, ref in enumerate(ordered):
        for number in ref.citations:
            rank_of.setdefault(number, rank)
    story_rank = {ref.id: rank for rank, ref in enumerate(ordered)}

    def by_story(items):
        def rank(item) -> int:
            story = getattr(item, "story", None)
            if story in story_rank:
                return story_rank[story]
            cited = [rank_of[n] for n in item.citations if n in rank_of]
            return min(cited, default=len(ordered))

        return tuple(sorted(items, key=rank))

    return replace(
        content,
        stories=ordered,
        events=by_story(content.events),
        excerpts=by_story(content.excerpts),
        key_figures=by_story(content.key_figures),
    )
