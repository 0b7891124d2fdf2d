"""Hangul spellings of Latin names: 오픈AI is OpenAI, 엔비디아 is Nvidia.

A Korean briefing writes many names of English sources in Hangul, and Korean sources
write them in Hangul too. ``NAMES`` holds the spellings a Korean newsroom uses for the
companies, labs, products and people AI news is about; one Hangul spelling may stand for
several Latin ones. The rule built on it:

- a Hangul name (a ``NAMES`` key at the start of a word, particles allowed after it:
  엔비디아가, 구글의) is supported by a source that has the Hangul name itself or one of
  its Latin spellings;
- a Latin name is supported by a source that has it, or one of its Hangul spellings;
- a word mixing both (오픈AI, 챗GPT) is read piece by piece: each Hangul piece through
  ``NAMES`` (오픈 → open), glued to the Latin pieces (openai, chatgpt).

Only known names are checked in Hangul: an unknown Hangul word cannot be told from an
ordinary one.
"""

from __future__ import annotations

import re

from lib.script import HANGUL
from newsletter.editorial.keywords import KOREAN_PARTICLES

# Hangul spelling -> Latin spellings (lower case). Pieces such as 오픈 and 챗 are here
# for names written half in Hangul.
NAMES: dict[str, tuple[str, ...]] = {
    "오픈": ("open",),
    "챗": ("chat",),
    "챗지피티": ("chatgpt",),
    "엔비디아": ("nvidia",),
    "구글": ("google",),
    "딥마인드": ("deepmind",),
    "알파벳": ("alphabet",),
    "마이크로소프트": ("microsoft",),
    "메타": ("meta",),
    "애플": ("apple",),
    "아마존": ("amazon",),
    "앤트로픽": ("anthropic",),
    "앤스로픽": ("anthropic",),
    "엔트로픽": ("anthropic",),
    "클로드": ("claude",),
    "제미나이": ("gemini",),
    "제미니": ("gemini",),
    "라마": ("llama",),
    "그록": ("grok",),
    "미스트랄": ("mistral",),
    "코파일럿": ("copilot",),
    "허깅페이스": ("hugging face", "huggingface"),
    "딥시크": ("deepseek",),
    "퍼플렉시티": ("perplexity",),
    "미드저니": ("midjourney",),
    "런웨이": ("runway",),
    "코히어": ("cohere",),
    "스태빌리티": ("stability",),
    "테슬라": ("tesla",),
    "인텔": ("intel",),
    "퀄컴": ("qualcomm",),
    "브로드컴": ("broadcom",),
    "오라클": ("oracle",),
    "어도비": ("adobe",),
    "세일즈포스": ("salesforce",),
    "알리바바": ("alibaba",),
    "바이두": ("baidu",),
    "텐센트": ("tencent",),
    "화웨이": ("huawei",),
    "삼성": ("samsung",),
    "삼성전자": ("samsung electronics", "samsung"),
    "하이닉스": ("hynix",),
    "네이버": ("naver",),
    "카카오": ("kakao",),
    "리벨리온": ("rebellions",),
    "퓨리오사": ("furiosa", "furiosaai"),
    "업스테이지": ("upstage",),
    "엑사원": ("exaone",),
    "하이퍼클로바": ("hyperclova",),
    "일론 머스크": ("elon musk",),
    "머스크": ("musk",),
    "샘 올트먼": ("sam altman",),
    "올트먼": ("altman",),
    "올트만": ("altman",),
    "젠슨 황": ("jensen huang",),
    "순다르 피차이": ("sundar pichai",),
    "사티아 나델라": ("satya nadella",),
    "다리오 아모데이": ("dario amodei",),
    "마크 저커버그": ("mark zuckerberg",),
    "저커버그": ("zuckerberg",),
    "트럼프": ("trump",),
    "바이든": ("biden",),
}

_LATIN_TO_HANGUL: dict[str, list[str]] = {}
for _hangul, _latins in NAMES.items():
    for _latin in _latins:
        _LATIN_TO_HANGUL.setdefault(_latin, []).append(_hangul)

_PIECES_ONLY = ("오픈", "챗")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]*")
_PIECES = re.compile(r"[\uac00-\ud7a3]+|[A-Za-z0-9]+")
# Longest first, so 삼성전자 is read before 삼성 and 오픈AI before 오픈.
_HANGUL_NAME = re.compile(
    r"(?<![\uac00-\ud7a3A-Za-z0-9])("
    + "|".join(re.escape(k) for k in sorted(NAMES, key=len, reverse=True))
    + ")"
)


def latin_spellings(hangul: str) -> tuple[str, ...]:
    return NAMES.get(hangul, ())


def hangul_spellings(latin: str) -> list[str]:
    return _LATIN_TO_HANGUL.get(latin.lower(), [])


def hangul_names(text: str) -> list[str]:
    """The known Hangul names that are a word of ``text`` (a particle may follow), each
    once. 애플리케이션 is no 애플, and the pieces kept for mixed words (오픈, 챗) are
    no names on their own."""
    found = []
    for match in _HANGUL_NAME.finditer(text):
        name = match.group(1)
        rest = _HANGUL_RUN.match(text, match.end()).group(0)
        if name in _PIECES_ONLY or (rest and rest not in KOREAN_PARTICLES):
            continue
        if re.match(r"[A-Za-z0-9]", text[match.end() : match.end() + 1]):
            continue  # 오픈AI, 챗GPT: read by ``romanised``
        found.append(name)
    return list(dict.fromkeys(found))


def romanised(word: str) -> str | None:
    """A word mixing Hangul and Latin (오픈AI) in Latin letters (openai), if every
    Hangul piece is known; None otherwise or when the word is not mixed."""
    pieces = _PIECES.findall(word)
    if len(pieces) > 1 and pieces[-1] in KOREAN_PARTICLES:
        pieces = pieces[:-1]  # 챗GPT를: the particle is no part of the name
    if not (any(HANGUL.search(p) for p in pieces) and any(p.isascii() for p in pieces)):
        return None
    parts = []
    for piece in pieces:
        if HANGUL.search(piece):
            spellings = latin_spellings(piece)
            if not spellings:
                return None
            parts.append(spellings[0].replace(" ", ""))
        else:
            parts.append(piece.lower())
    return "".join(parts)


def name_in(name: str, text: str) -> bool:
    """Whether ``text`` (lower case) has ``name`` as a whole word, in Latin or Hangul.

    Latin spellings match letters-and-digits word boundaries, spaces and hyphens
    ignored inside them (Hugging Face, hugging-face); a Hangul spelling may carry a
    particle (엔비디아가).
    """
    candidates = [name.lower()]
    if HANGUL.search(name):
        candidates += latin_spellings(name)
    else:
        candidates += hangul_spellings(name)
    return any(_whole(candidate, text) for candidate in candidates)


def _whole(name: str, text: str) -> bool:
    if HANGUL.search(name):
        return re.search(r"(?<![\uac00-\ud7a3])" + re.escape(name), text) is not None
    pattern = r"[\s\-]?".join(re.escape(part) for part in re.split(r"[\s\-]+", name))
    # No boundary after it: a name may carry a suffix (OpenAI's, GPT-5).
    return re.search(rf"(?<![a-z0-9]){pattern}", text) is not None
