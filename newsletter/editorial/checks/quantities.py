"""Numbers as values, however they are written: "2억 5천만 달러" is "$250 million".

A Korean briefing restates English sources in Korean units (만 10^4, 억 10^8, 조 10^12,
with 천 and 백 inside them) and an English one abbreviates (1B, 250M, $1.5bn), so a
number can only be checked against its source as a value. ``quantities`` reads every
number of a text as a ``Quantity`` (value and kind: a plain number, a percentage or a
month); ``supported`` says whether a claimed quantity is among a source's.

Currencies are not compared (a briefing may write "$" as "달러"), and a rounded claim
("약 12억 달러" for $1.23 billion) is accepted when it has a magnitude word or decimals:
a plain integer such as a year must match exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER = "number"
PERCENT = "percent"
MONTH = "month"

_KOREAN_BIG = {"만": 10**4, "억": 10**8, "조": 10**12}
_KOREAN_SMALL = {"천": 10**3, "백": 10**2}
_LATIN_SCALE = {
    "thousand": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "trillion": 10**12,
    "tn": 10**12,
    "k": 10**3,
    "m": 10**6,
    "b": 10**9,
    "t": 10**12,
}
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER = re.compile(_DIGITS)
# A number glued to a name (GPT-4, H100) takes no Korean unit: "GPT-4만" is "only GPT-4".
_IN_NAME = re.compile(r"[A-Za-z\-]$")
# Units are glued to their number (3만, 1.5조): "10 조사" is ten surveys.
_KOREAN_UNIT = re.compile(r"[천백조억만]")
# After a unit, another number belongs to the amount when glued to it (3만5000,
# 2천500만) or, spaced, when it carries a unit itself (2억 5천만).
_GLUED_NUMBER = re.compile(_DIGITS)
_SPACED_NUMBER = re.compile(rf" (?:{_DIGITS})(?=[천백조억만])")
_PERCENT_WORD = re.compile(
    r"\s?(?:%\s?p|%|퍼센트\s?포인트|퍼센트|프로(?![\uac00-\ud7a3])|percent(?:age points?)?"
    r"|per cent|pct)",
    re.IGNORECASE,
)
_LATIN_SCALE_WORD = re.compile(
    r"[ \u00a0]?(?:thousand|million|billion|trillion|bn|mn|tn)\b|(?:[kKmMbBtT])(?![A-Za-z])",
)
_KOREAN_MONTH = re.compile(r"(\d{1,2})\s?월")
_LATIN_MONTH = re.compile(
    r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Quantity:
    value: float
    kind: str = NUMBER
    # Written with a magnitude word or decimals: may be a rounded figure.
    approximate: bool = False
    written: str = ""


def quantities(text: str) -> list[Quantity]:
    """Every number in ``text`` as a value, in order."""
    found: list[Quantity] = []
    for match in _KOREAN_MONTH.finditer(text):
        found.append(Quantity(float(match.group(1)), MONTH, written=match.group(0)))
    # A month is read once, as a month (8월 is August, not the number 8).
    text = _KOREAN_MONTH.sub(lambda m: " " * len(m.group(0)), text)
    position = 0
    while (match := _NUMBER.search(text, position)) is not None:
        quantity, position = _amount(text, match)
        found.append(quantity)
    for match in _LATIN_MONTH.finditer(text):
        # "may" is also a verb: only a capitalised May is a month.
        word = match.group(1)
        if word.lower() == "may" and not word[0].isupper():
            continue
        found.append(Quantity(float(_MONTHS[word.lower()]), MONTH, written=word))
    return found


def _amount(text: str, first: re.Match) -> tuple[Quantity, int]:
    """The amount that starts at ``first``, with its Korean units or its Latin scale
    and a percent sign, and where it ends."""
    end = first.end()
    if not _IN_NAME.search(text[: first.start()]):
        end = _korean_end(text, end)
    written = text[first.start() : end]
    value = _korean_value(written)
    approximate = "." in written or written.strip() != first.group(0)
    if written == first.group(0):
        scale = _LATIN_SCALE_WORD.match(text, end)
        if scale is not None:
            value *= _LATIN_SCALE[scale.group(0).strip().lower()]
            end = scale.end()
            approximate = True
    return _with_percent(text, value, end, approximate, first.start())


def _korean_end(text: str, end: int) -> int:
    """Where a number followed by Korean units (2억 5천만, 3만5000) ends."""
    after_unit = False
    while True:
        unit = _KOREAN_UNIT.match(text, end)
        if unit is not None:
            end, after_unit = unit.end(), True
            continue
        more = after_unit and (
            _GLUED_NUMBER.match(text, end) or _SPACED_NUMBER.match(text, end)
        )
        if not more:
            return end
        end, after_unit = more.end(), False


def _korean_value(written: str) -> float:
    """2억 5천만 → 250,000,000; 2천500만 → 25,000,000; 12만 8천 → 128,000."""
    total = group = 0.0
    current: float | None = None
    for token in re.findall(rf"{_DIGITS}|[천백조억만]", written):
        if token in _KOREAN_SMALL:
            group += (current if current is not None else 1) * _KOREAN_SMALL[token]
            current = None
        elif token in _KOREAN_BIG:
            group += current or 0
            total += (group or 1) * _KOREAN_BIG[token]
            group, current = 0.0, None
        else:
            current = float(token.replace(",", ""))
    return total + group + (current or 0)


def _with_percent(
    text: str, value: float, end: int, approximate: bool, start: int
) -> tuple[Quantity, int]:
    percent = _PERCENT_WORD.match(text, end)
    if percent is not None:
        end = percent.end()
        return Quantity(value, PERCENT, approximate, text[start:end]), end
    return Quantity(value, NUMBER, approximate, text[start:end]), end


def supported(claim: Quantity, source: list[Quantity]) -> bool:
    """Whether ``claim`` is one of the ``source`` quantities (a rounding of one, when
    the claim is written as an approximate figure)."""
    return any(
        _compatible(claim.kind, known.kind) and _same(claim, known) for known in source
    )


def _compatible(claimed: str, known: str) -> bool:
    # 30% and "30 percent" agree, 30% and "30 people" do not; a month may be written
    # as a number (2026-08-22).
    return claimed == known or {claimed, known} == {NUMBER, MONTH}


def _same(claim: Quantity, known: Quantity) -> bool:
    if claim.value == known.value:
        return True
    if not claim.approximate or not claim.value:
        return False
    # 1.2 billion for 1.23 billion: the known value rounded to the claim's precision,
    # never coarser than two digits ("10억" is not a rounding of 1.4 billion).
    digits = max(2, _significant_digits(claim.value))
    return _round_significant(known.value, digits) == _round_significant(
        claim.value, digits
    )


def _significant_digits(value: float) -> int:
    text = f"{value:.10g}".replace(".", "").lstrip("0").rstrip("0")
    return max(1, len(text))


def _round_significant(value: float, digits: int) -> float:
    return float(f"{value:.{digits}g}") if value else 0.0
