"""Numbers as values: a Korean amount and its English form are one value."""

import pytest

from newsletter.editorial.checks import (
    quantities,
)


def values(text):
    return [(q.value, q.kind) for q in quantities.quantities(text)]


@pytest.mark.parametrize(
    ("korean", "english"),
    [
        ("2억 5천만 달러", "$250 million"),
        ("3만 명", "30,000 people"),
        ("1.5조 원", "1.5 trillion won"),
        ("10억 달러", "$1 billion"),
        ("10억 달러", "1B dollars"),
        ("1,200억원", "120 billion won"),
        ("700억 개 매개변수", "70B parameters"),
        ("45퍼센트", "45%"),
        ("3.5%p", "3.5 percentage points"),
        ("8월 22일", "Aug. 22"),
        ("2천500만 달러", "$25 million"),
        ("3만5000명", "35,000 people"),
        ("12만 8천 토큰", "128K tokens"),
        ("GPT-4만 지원한다", "supports GPT-4"),
    ],
)
def test_a_korean_amount_is_the_same_value_as_its_english_form(korean, english):
    claimed = quantities.quantities(korean)
    known = quantities.quantities(english)
    assert claimed and all(quantities.supported(q, known) for q in claimed)


def test_amounts_that_differ_are_not_the_same():
    def backed(claim, source):
        known = quantities.quantities(source)
        return all(quantities.supported(q, known) for q in quantities.quantities(claim))

    assert values("2억 5천만 달러") == [(250_000_000, "number")]
    assert not backed("2억 5천만 달러", "$25 million")
    assert not backed("3만", "3,000")
    assert not backed("45%", "45 people")
    assert not backed("10억 달러", "$1.4 billion")  # no coarser than two digits
    assert backed("약 12억 달러", "$1.23 billion")  # a rounding of it
    assert not backed("2030년", "2031")  # a year is exact
