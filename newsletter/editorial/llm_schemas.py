"""The shapes the LLM must answer in: pydantic models sent as structured outputs."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, create_model


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    citations: list[int]


class ImpactLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    citations: list[int]


class Impact(BaseModel):
    """An area the sources say nothing about is null: no line rather than a
    general remark."""

    model_config = ConfigDict(extra="forbid")

    economy: ImpactLine | None
    politics_society: ImpactLine | None
    science_technology: ImpactLine | None


class Briefing(BaseModel):
    """One category's section; matches DigestSection.content."""

    model_config = ConfigDict(extra="forbid")

    topics: list[str]
    events: list[Event]
    impact: Impact
    final_summary: list[str]


class RepairedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    text: str  # empty when no source supports the line
    citations: list[int]


class Repairs(BaseModel):
    """The lines that failed the source check, written again."""

    model_config = ConfigDict(extra="forbid")

    lines: list[RepairedLine]


def label_schema(slugs: list[str]) -> type[BaseModel]:
    """ArticleLabels whose `category` can only be one of `slugs`: no drift possible.

    `about_ai` comes before the category: the model decides relevance first, and an
    article it says is not about AI goes to the catch-all whatever its category."""
    category = Literal[tuple(slugs)]  # type: ignore[valid-type]
    label = create_model(
        "ArticleLabel",
        __config__=ConfigDict(extra="forbid"),
        id=(int, ...),
        about_ai=(bool, ...),
        category=(category, ...),
        confidence=(float, ...),
        fits=(bool, ...),
    )
    return create_model(
        "ArticleLabels",
        __config__=ConfigDict(extra="forbid"),
        labels=(list[label], ...),
    )


class TranslatedBriefing(Briefing):
    """A briefing rewritten in another language: the same fields, items and order."""


class PaperLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    citations: list[int]


class PapersBriefing(BaseModel):
    """One Papers section, in the parts of the original report (sections.PAPERS)."""

    model_config = ConfigDict(extra="forbid")

    topics: list[str]
    trends: list[str]
    papers: list[PaperLine]
    fields: list[str]
    outlook: list[str]


class TranslatedPapers(PapersBriefing):
    """A Papers section rewritten in another language: the same parts, items, order."""


class HeadlineLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    text: str


class Headlines(BaseModel):
    """One line per story saying what happened (newsletter/drafting/headlines.py)."""

    model_config = ConfigDict(extra="forbid")

    lines: list[HeadlineLine]
