"""Whole-word keyword matching for English and Korean text, used by the offline rules.

Substring matching files "methods" under law ("방법" holds "법") and "memory" under money
("기억" holds "억"). Here a Latin keyword matches whole words only (an optional plural
-s/-es is allowed), with letters and digits as the word boundary so "AI가" and "GPU를"
still match "ai" and "gpu". A Korean keyword matches a whole space-separated token, or
the token with one trailing particle removed (규제가, 규제를, 정부는 → 규제, 정부).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from lib.script import HANGUL

_HANGUL_TOKEN = re.compile(r"[\uac00-\ud7a3A-Za-z0-9]+")
# Trailing particles and copula endings, longest first so 에서는 goes before 는.
KOREAN_PARTICLES = (
    "에서는",
    "으로는",
    "에게서",
    "이라는",
    "에서",
    "에게",
    "으로",
    "로서",
    "로써",
    "부터",
    "까지",
    "처럼",
    "보다",
    "라는",
    "이나",
    "과의",
    "와의",
    "에는",
    "이다",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "의",
    "에",
    "도",
    "로",
    "와",
    "과",
    "만",
)


def korean_words(text: str) -> list[tuple[str, str]]:
    """Every Hangul-bearing token of `text` with its stem (one trailing particle off)."""
    result = []
    for token in _HANGUL_TOKEN.findall(text):
        if not HANGUL.search(token):
            continue
        stem = token
        for particle in KOREAN_PARTICLES:
            if token.endswith(particle) and len(token) > len(particle):
                stem = token[: -len(particle)]
                break
        result.append((token, stem))
    return result


@dataclass(frozen=True)
class KeywordSet:
    """A list of keywords; `hits(text)` counts each keyword's whole-word matches."""

    latin: re.Pattern | None
    korean: frozenset[str]

    @classmethod
    def of(cls, words: Iterable[str]) -> KeywordSet:
        latin, korean = [], set()
        for word in words:
            word = word.strip().lower()
            if not word:
                continue
            if HANGUL.search(word):
                korean.add(word)
            else:
                latin.append(word)
        pattern = None
        if latin:
            alternatives = "|".join(
                re.escape(w).replace(r"\ ", r"[\s-]+")
                for w in sorted(set(latin), key=len, reverse=True)
            )
            pattern = re.compile(
                rf"(?<![A-Za-z0-9])({alternatives})(?:s|es)?(?![A-Za-z0-9])",
                re.IGNORECASE,
            )
        return cls(latin=pattern, korean=frozenset(korean))

    def hits(self, text: str) -> Counter[str]:
        """How often each keyword occurs in `text` as a whole word."""
        found: Counter[str] = Counter()
        if self.latin is not None:
            for match in self.latin.finditer(text):
                found[re.sub(r"[\s-]+", " ", match.group(1).lower())] += 1
        if self.korean:
            for token, stem in korean_words(text):
                if token in self.korean:
                    found[token] += 1
                elif stem in self.korean:
                    found[stem] += 1
        return found
