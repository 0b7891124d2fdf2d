"""Text as the engine handles it: cleaned of what no reader sees, fenced as data for
the model, and measured in estimated tokens.

Article text is untrusted: control and invisible characters go (they can hide
instructions or break a line), and brackets become look-alikes when it is quoted to
the model so no article can open or close a ``<source>`` tag.
"""

import math
import re

_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
    "\uffa0\ufff0-\ufffb\U000e0000-\U000e0fff]"
)
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Visible text only, on one line of single spaces."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text or "")).strip()


def as_data(text: str) -> str:
    return clean_text(text).replace("<", "‹").replace(">", "›")


def estimate_tokens(text: str) -> int:
    """Every non-ASCII character (Hangul, CJK, accents) one token, ASCII four to one:
    an over-estimate for Korean, which keeps budgets on the safe side."""
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return non_ascii + math.ceil((len(text) - non_ascii) / 4)


def truncate_to_tokens(text: str, tokens: int) -> str:
    """Cut `text` to about `tokens` estimated tokens, at a word boundary if possible."""
    cost = 0.0
    for index, char in enumerate(text):
        cost += 1 if ord(char) > 127 else 0.25
        if cost > tokens:
            head = text[:index]
            space = head.rfind(" ")
            if space > len(head) * 0.6:
                head = head[:space]
            return head.rstrip() + "…"
    return text
