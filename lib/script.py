"""Which script a text is written in: the one Hangul pattern every app uses.

Syllables are what Korean words are made of; the jamo (and their compatibility forms)
count as Korean letters when measuring how much of a text is Korean.
"""

import re

HANGUL = re.compile(r"[\uac00-\ud7a3]")
HANGUL_LETTER = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
# Inside a larger character class: a word's letters, Korean or Latin or digits.
HANGUL_RANGE = "\uac00-\ud7a3"


def has_hangul(text: str) -> bool:
    return HANGUL.search(text or "") is not None


def is_in_language(text: str, language: str) -> bool:
    """Korean text has Hangul; text in another language has none."""
    return has_hangul(text) == (language == "ko")
