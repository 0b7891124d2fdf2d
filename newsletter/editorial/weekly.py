"""The weekly edition's choice: the week's News stories as threads, ranked.

A thread is a story as it developed over the week: the first story told, then the
follow-ups that point back at it (``Story.earlier``, newsletter/editorial/stories.py),
however long the chain. Each story of the week is in exactly one thread, so the
weekly tells each once: a follow-up is a line under the story it follows, never an
entry of its own.

A thread's rank: its coverage (distinct publishers over all its stories, as the
daily rank counts them: ``stories.publisher_key``), plus FOLLOW_UP_WEIGHT per
follow-up (a story that kept developing mattered), plus the readers' feedback on its
stories (``feedback``: story id → a number from -1 to 1, the share of up votes less
the share of down ones; absent reads 0). Ties go
to the higher daily score, then to the earlier story.

Plain data in and out: the service (newsletter/services/weekly.py) reads the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

FOLLOW_UP_WEIGHT = 1.0


@dataclass(frozen=True)
class WeekStory:
    """One story a daily digest of the week told."""

    id: int
    earlier_id: int | None
    category_id: int | None
    publishers: frozenset[str]
    score: float  # its daily rank score (``stories.rank_score``)
    told_on: dt.date


@dataclass
class Thread:
    """A story and its follow-ups of the week, in the order they were told."""

    first: WeekStory
    follow_ups: list[WeekStory] = field(default_factory=list)

    @property
    def stories(self) -> list[WeekStory]:
        return [self.first, *self.follow_ups]

    @property
    def category_id(self) -> int | None:
        """Filed where it was first told: a follow-up never moves its story."""
        return self.first.category_id

    @property
    def coverage(self) -> int:
        return len(frozenset().union(*(s.publishers for s in self.stories)))

    def score(self, feedback: Mapping[int, float]) -> float:
        return (
            self.coverage
            + FOLLOW_UP_WEIGHT * len(self.follow_ups)
            + sum(feedback.get(s.id, 0) for s in self.stories)
        )


def threads(week: Sequence[WeekStory]) -> list[Thread]:
    """Each story in one thread: under the first story of its chain within the week
    (a follow-up of a story told before the week starts its own thread)."""
    by_id = {s.id: s for s in week}

    def first_of(story: WeekStory) -> WeekStory:
        seen = {story.id}
        while story.earlier_id in by_id and story.earlier_id not in seen:
            story = by_id[story.earlier_id]
            seen.add(story.id)
        return story

    found: dict[int, Thread] = {}
    for story in sorted(week, key=lambda s: (s.told_on, s.id)):
        first = first_of(story)
        thread = found.setdefault(first.id, Thread(first=first))
        if story.id != first.id:
            thread.follow_ups.append(story)
    return list(found.values())


def ranked(
    found: Sequence[Thread], feedback: Mapping[int, float] | None = None
) -> list[Thread]:
    """Best first: coverage, follow-ups and feedback; then the daily score, then the
    earlier story."""
    feedback = feedback or {}
    return sorted(
        found,
        key=lambda t: (-t.score(feedback), -t.first.score, t.first.told_on, t.first.id),
    )
