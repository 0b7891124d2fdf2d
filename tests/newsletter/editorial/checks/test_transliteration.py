"""Hangul spellings of Latin names."""

from newsletter.editorial.checks import (
    transliteration,
)


def test_hangul_spellings_of_latin_names():
    assert transliteration.hangul_names("엔비디아가 구글의 애플리케이션을 샀다") == [
        "엔비디아",
        "구글",
    ]
    assert transliteration.romanised("오픈AI의") == "openai"
    assert transliteration.romanised("챗GPT를") == "chatgpt"
    assert transliteration.name_in("엔비디아", "nvidia said on tuesday")
    assert transliteration.name_in("Nvidia", "엔비디아가 발표했다")
    assert not transliteration.name_in("엔비디아", "amd said on tuesday")
