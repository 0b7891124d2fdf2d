"""Is a Korean briefing written in Korean? Measured in characters, sentence by sentence.

Counting Latin words once each (a name is one word however long) let a whole English
sentence through inside Korean text. Here every sentence of every line is measured as
the share of Latin letters among its letters (Latin + Hangul), leaving out the names
and terms the model was right to keep as written: a run of at most NAME_WORDS Latin
words that the sources contain (Claude Opus 5, Amazon Bedrock, EU AI Act). A longer
run is prose, counted whatever the sources say. A sentence above the threshold
(``LLM_MAX_LATIN_SHARE``) with at least MIN_LATIN_LETTERS counted letters fails the
gate, and so does a briefing with no Hangul at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lib.script import HANGUL_LETTER
from newsletter.editorial import excerpts, sections

NAME_WORDS = 4
# Below this a sentence holds a term, not English prose ("GPU 클러스터").
MIN_LATIN_LETTERS = 12

_LATIN_LETTER = re.compile(r"[A-Za-z]")
_LATIN_RUN = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9.'’&\-]*(?:[ \u00a0]+[A-Za-z0-9][A-Za-z0-9.'’&\-]*)*"
)


@dataclass(frozen=True)
class Measure:
    hangul: int
    latin: int  # Latin letters outside the names and terms of the sources

    @property
    def latin_share(self) -> float:
        total = self.hangul + self.latin
        return self.latin / total if total else 0.0


def measure(text: str, sources: str) -> Measure:
    """Hangul and counted Latin letters of ``text``; ``sources`` in lower case."""
    text = sections.CITATION.sub(" ", text)
    latin = 0
    for run in _LATIN_RUN.finditer(text):
        words = run.group(0).strip(" .-'’").split()
        letters = len(_LATIN_LETTER.findall(run.group(0)))
        if not letters:
            continue
        if len(words) <= NAME_WORDS and " ".join(words).lower() in sources:
            continue
        latin += letters
    return Measure(len(HANGUL_LETTER.findall(text)), latin)


def problems(texts: Iterable[str], sources: str, *, threshold: float) -> list[str]:
    """Why ``texts`` do not read as Korean (none when they do)."""
    found = []
    hangul = 0
    for text in texts:
        for sentence in excerpts.split_sentences(text):
            result = measure(sentence, sources)
            hangul += result.hangul
            if result.latin >= MIN_LATIN_LETTERS and result.latin_share > threshold:
                found.append(
                    f"a sentence is {result.latin_share:.0%} Latin letters "
                    f"(above {threshold:.0%}): {sentence[:80]}"
                )
    if not hangul:
        found.append("no Hangul at all")
    return found
