"""Words with an AI sense and an everyday one: "alignment", "inference", "agent",
"training", "model", and Korean 학습 (training, or a pupil's learning).

Keyword rules count a word wherever it appears, so a cross-lingual idiom alignment
benchmark scored as AI Alignment, a speech forced-aligner too, and a CIA agent as an
AI agent. An occurrence counts in its AI sense only when words of that sense stand
near one of its occurrences (within CONTEXT_CHARS): one sense per text, as a writer
keeps to one (Gale, Church & Yarowsky's "one sense per discourse"). Otherwise
``mask_other_senses`` takes every occurrence out of the text the rules score. Phrases that always mean the other sense ("user agent",
"sequence alignment", "business model") are taken out whatever stands near them.
"""

from __future__ import annotations

import re

CONTEXT_CHARS = 120

_AI_WORDS = (
    r"ai|a\.i\.|llms?|gpt\w*|claude|gemini|chatgpt|codex|copilot|neural|transformers?"
    r"|language models?|machine learning|deep learning|chatbots?|openai|anthropic"
    r"|deepmind|artificial intelligence|prompts?|tokens?|fine-?tun\w*|weights"
    r"|open-weights?|parameters?|gpus?|agentic|autonomous|rlhf|dpo|reinforcement"
    r"|grok|xai|mistral|llama|qwen|deepseek|kimi|cursor|self-improving|rlms?"
)

# The words of each ambiguous term's AI sense; one of them nearby makes it count.
_AI_SENSE_NEAR = {
    "align": re.compile(
        r"(?<!\w)(?:safety|safe|safely|unsafe|harm\w*|human values|values?"
        r"|preferences?|rlhf|dpo|bias|biases|stereotyp\w*|toxic\w*|misfir\w*"
        r"|reward\w*|misalign\w*|superalign\w*|jailbreak\w*|red[- ]team\w*|sycophan\w*"
        r"|oversight|guardrails?|honest\w*|deceptive|deception|ethic\w*"
        r"|alignment research|alignment team)(?!\w)",
        re.IGNORECASE,
    ),
    "agent": re.compile(
        rf"(?<!\w)(?:{_AI_WORDS}|tool use|tool calls?|mcp|sandbox\w*|harness\w*"
        r"|computer use|coding|browser use|workflows?|multi-?agent)(?!\w)",
        re.IGNORECASE,
    ),
    "inference": re.compile(
        rf"(?<!\w)(?:{_AI_WORDS}|models?|serving|latency|throughput|vllm|quantiz\w*"
        r"|accelerat\w*|chips?|kernels?|engine|cuda)(?!\w)",
        re.IGNORECASE,
    ),
    "training": re.compile(
        rf"(?<!\w)(?:{_AI_WORDS}|models?|datasets?|pre-?train\w*|post-?train\w*"
        r"|gradient\w*|compute|scaling|optimizer|loss)(?!\w)",
        re.IGNORECASE,
    ),
    "model": re.compile(
        rf"(?<!\w)(?:{_AI_WORDS}|trained|training|inference|frontier|reasoning"
        r"|language|foundation|large|vision|multimodal|generative|embedding"
        r"|diffusion|benchmark\w*|open-source|release[ds]?)(?!\w)",
        re.IGNORECASE,
    ),
}

# 학습 is a model's training and a pupil's learning ("학습 격차", the learning gap):
# its AI sense needs words of models and data, not merely "인공지능" nearby.
_AI_SENSE_NEAR["learn"] = re.compile(
    r"모델|데이터|파인튜닝|미세\s?조정|사전\s?학습|강화\s?학습|딥러닝|머신러닝|기계\s?학습"
    r"|신경망|매개변수|파라미터|토큰|GPU|(?<!\w)(?:llms?|model|training)(?!\w)",
    re.IGNORECASE,
)

# Each ambiguous term as it is written; the key of _AI_SENSE_NEAR it belongs to.
_TERMS = re.compile(
    r"(?<![\w-])(?P<align>align(?:ment|ments|ed|ing|er|ers|s)?)(?![\w-])"
    r"|(?<![\w-])(?P<agent>agents?)(?![\w-])"
    r"|(?<![\w-])(?P<inference>inferences?)(?![\w-])"
    r"|(?<![\w-])(?P<training>training)(?![\w-])"
    r"|(?<![\w-])(?P<model>models?)(?![\w-])"
    r"|(?<![\w-])(?P<learn>학습[\uac00-\ud7a3]*)",
    re.IGNORECASE,
)

# Always the everyday sense, whatever stands near.
OTHER_SENSE_PHRASES = re.compile(
    r"(?<!\w)(?:(?:user|fbi|cia|secret|free|real[- ]estate|travel|border|federal"
    r"|special|talent|sports|insurance|undercover|double|nerve|chemical|booking)"
    r" agents?|agents? (?:orange|provocateur)"
    r"|(?:sequence|idiom|word|forced|text|speech-to-text|phonetic|multiple|structural"
    r"|wheel|spinal|political|strategic|lane|page|column|memory|image-text"
    r"|cross-lingual|cross-modal|sentence) align(?:ment|ments|er|ers)?"
    r"|forced[- ]align\w*|align\w* (?:of|with) (?:text|audio|speech|idioms?)"
    r"|(?:type|statistical|bayesian|causal|variational|rule|logical|phylogenetic)"
    r" inferences?"
    r"|(?:strength|military|employee|staff|teacher|police|safety|weight|sales|flight"
    r"|compliance|fitness|basic|on-the-job) training|training (?:camp|wheels|course)"
    r"|(?:business|role|data|threat|pricing|revenue|operating|mental|economic|scale"
    r"|3d|financial|object|memory|programming|security|actor) models?"
    r"|model (?:[a-z]\b|t\b|train|railway|kit|airplane|number)"
    # Not a word with two senses, a name with two owners: the Gemini protocol.
    r"|gemini (?:protocol|capsules?)|gemini://)",
    re.IGNORECASE,
)


def ai_senses(text: str) -> set[str]:
    """The ambiguous terms ``text`` uses in their AI sense ("align", "agent", ...):
    those with AI words near one of their occurrences."""
    text = OTHER_SENSE_PHRASES.sub(" ", text or "")
    return {
        match.lastgroup or ""
        for match in _TERMS.finditer(text)
        if _in_ai_sense(text, match)
    }


def mask_other_senses(text: str, *, senses: set[str] | None = None) -> str:
    """``text`` with every occurrence of an ambiguous term in its non-AI sense left
    out, so keyword rules cannot count it; other words stay as they are.

    ``senses`` (from ``ai_senses``) decides for a part read apart from its context:
    a title is read with its article ("Prime Agent" says little alone)."""
    if not text:
        return text
    if senses is None:
        senses = ai_senses(text)
    text = OTHER_SENSE_PHRASES.sub(" ", text)
    return _TERMS.sub(
        lambda match: match.group(0) if match.lastgroup in senses else " ", text
    )


def _in_ai_sense(text: str, match: re.Match) -> bool:
    sense = _AI_SENSE_NEAR[match.lastgroup or ""]
    start = max(0, match.start() - CONTEXT_CHARS)
    end = match.end() + CONTEXT_CHARS
    before, after = text[start : match.start()], text[match.end() : end]
    return bool(sense.search(before) or sense.search(after))
