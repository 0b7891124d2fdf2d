"""The words around a briefing, per digest language: one vocabulary for the email,
its plain-text part and the Markdown export, so they never drift apart."""

BRIEFING_LABELS = {
    "ko": {
        "summary": "요약",
        "topics": "주요 주제",
        "events": "주요 사건",
        "impact": "영향 분석",
        "economy": "경제",
        "politics_society": "정치/사회",
        "science_technology": "과학기술",
        "final_summary": "최종 요약",
        "sources": "출처",
        "excerpts": "기사 발췌",
        "key_figures": "주요 수치",
        "offline": "이 요약은 LLM 없이 기사 문장을 발췌해 만들었습니다.",
        "chart_title": "카테고리별 기사 수",
    },
    "en": {
        "summary": "Summary",
        "topics": "Main topics",
        "events": "Main events",
        "impact": "Impact analysis",
        "economy": "Economy",
        "politics_society": "Politics/Society",
        "science_technology": "Science/Technology",
        "final_summary": "Final summary",
        "sources": "Sources",
        "excerpts": "Excerpts from the sources",
        "key_figures": "Key figures",
        "offline": "This summary was written without an LLM: "
        "it quotes sentences from the articles.",
        "chart_title": "Articles per category",
    },
}
IMPACT_KEYS = ("economy", "politics_society", "science_technology")


def briefing_labels(language: str) -> dict[str, str]:
    return BRIEFING_LABELS.get(language, BRIEFING_LABELS["ko"])
