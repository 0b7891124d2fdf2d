"""The one guarded ask loop (newsletter/editorial/asking.py), with a stand-in model: plain
Python, no database, no server."""

from dataclasses import dataclass

from newsletter.editorial import asking

FIRST = [{"role": "user", "content": "write"}]
RETRY = [{"role": "user", "content": "write, and only what the sources say"}]


@dataclass
class Answer:
    parsed: str


class StandIn:
    """Answers from a script, one per ask; remembers what was asked and rejected.
    ``cache`` maps messages (as text) to an accepted earlier answer."""

    def __init__(self, *script, cache=None):
        self.script = list(script)
        self.asked: list[str] = []
        self.rejected: list[tuple[str, str]] = []
        self.cache = cache or {}

    def ask(self, messages, *, cache_only=False):
        key = messages[0]["content"]
        if cache_only:
            if key in self.cache:
                return Answer(self.cache[key])
            raise asking.NotCached()
        self.asked.append(key)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return Answer(step)

    def reject(self, answer, reason):
        self.rejected.append((answer.parsed, reason))


def no_invention(text: str) -> list[str]:
    problems = []
    if "Zorblax" in text:
        problems.append("Zorblax is not in the cited source [1]")
    if not text.strip():
        problems.append("the answer is empty")
    return problems


def test_an_invention_made_only_on_the_retry_is_caught_like_the_first():
    model = StandIn("", "Zorblax Dynamics invested $987.6 billion [1]")

    asked = asking.ask_checked(model, [FIRST, RETRY], no_invention)

    assert not asked.accepted and asked.needs_review
    assert model.asked == [FIRST[0]["content"], RETRY[0]["content"]]
    assert [reason for _, reason in model.rejected] == [
        "the answer is empty",
        "Zorblax is not in the cited source [1]",
    ]
    assert asked.last.parsed.startswith("Zorblax")
    assert "Attempt 2 failed the quality gate: Zorblax is not in" in asked.notes[1]


def test_a_clean_retry_is_accepted_and_the_first_answer_kept_out_of_the_cache():
    model = StandIn("Zorblax bought it [1]", "Nvidia bought it [1]")

    asked = asking.ask_checked(model, [FIRST, RETRY], no_invention)

    assert asked.answer.parsed == "Nvidia bought it [1]"
    assert model.rejected == [
        ("Zorblax bought it [1]", "Zorblax is not in the cited source [1]")
    ]


def test_a_retry_accepted_by_an_earlier_run_is_reused_without_asking():
    model = StandIn(cache={RETRY[0]["content"]: "Nvidia bought it [1]"})

    asked = asking.ask_checked(model, [FIRST, RETRY], no_invention)

    assert asked.answer.parsed == "Nvidia bought it [1]" and model.asked == []


def test_a_spent_budget_falls_back_without_a_flag_and_a_failure_with_one():
    spent = asking.ask_checked(
        StandIn(asking.Unavailable("no tokens left", spent=True)),
        [FIRST, RETRY],
        no_invention,
    )
    failed = asking.ask_checked(
        StandIn(asking.Unavailable("HTTP 500")), [FIRST, RETRY], no_invention
    )

    assert not spent.accepted and not spent.needs_review
    assert spent.notes == ["Token budget reached (no tokens left)."]
    assert not failed.accepted and failed.needs_review
    assert failed.notes == ["LLM failed (HTTP 500)."]


def test_the_asking_module_needs_no_django():
    import subprocess
    import sys

    code = (
        "import sys, newsletter.editorial.asking; "
        "print(any(m.startswith('django') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
