"""The shapes the LLM must answer in: pydantic models sent as structured outputs."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, create_model


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    citations: list[int]


class Impact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    economy: str
    politics_society: str
    science_technology: str


class Briefing(BaseModel):
    """One category's section; matches DigestSection.content."""

    model_config = ConfigDict(extra="forbid")

    topics: list[str]
    events: list[Event]
    impact: Impact
    final_summary: list[str]


def label_schema(slugs: list[str]) -> type[BaseModel]:
    """ArticleLabels whose `category` can only be one of `slugs`: no drift possible."""
    category = Literal[tuple(slugs)]  # type: ignore[valid-type]
    label = create_model(
        "ArticleLabel",
        __config__=ConfigDict(extra="forbid"),
        id=(int, ...),
        category=(category, ...),
        confidence=(float, ...),
        fits=(bool, ...),
    )
    return create_model(
        "ArticleLabels",
        __config__=ConfigDict(extra="forbid"),
        labels=(list[label], ...),
    )


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
