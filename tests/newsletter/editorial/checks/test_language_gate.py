"""The Korean gate counts characters."""

from newsletter.editorial.checks import (
    language_gate,
)


def test_the_korean_gate_counts_latin_letters_outside_the_sources_names():
    sources = "xai released grok 4.6 on amazon bedrock and vertex ai."
    names_only = "xAI의 Grok 4.6이 Amazon Bedrock과 Vertex AI에 출시되었다."
    with_english = (
        names_only + " The model is now available to every developer who asks."
    )
    assert language_gate.problems([names_only], sources, threshold=0.5) == []
    [problem] = language_gate.problems([with_english], sources, threshold=0.5)
    assert problem.startswith("a sentence is 100% Latin letters (above 50%)")
    # Names the sources do not have count like any other Latin text.
    assert language_gate.problems([names_only], "", threshold=0.5)
    assert language_gate.problems(["Grok 4.6"], sources, threshold=0.5) == [
        "no Hangul at all"
    ]
