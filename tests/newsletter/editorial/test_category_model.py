"""The learned category model: it loads without scikit-learn, knows the News
categories, and with the keyword rules files AI stories where an editor would, while
the everyday senses of AI words still file nothing."""

import subprocess
import sys

from ingestion.models import Article
from newsletter.drafting.classify import classify_articles
from newsletter.editorial import category_model
from tests.newsletter.llm_fixtures import make_articles

STORIES = [
    (
        "Venture firm backs vertical AI startups over general-purpose labs",
        "The firm's partners said vertical AI companies will capture more value "
        "than the labs that train general models.",
        "ai-business",
    ),
    (
        "New open-weight language model tops coding benchmarks",
        "The lab released the weights of a 70B model that leads two coding "
        "leaderboards.",
        "llm",
    ),
    (
        "Lawmakers propose rules for frontier AI developers",
        "The bill would require AI developers to report safety incidents to the "
        "government.",
        "policy-safety",
    ),
    (
        "AI image generator now makes short video clips",
        "The tool turns a prompt into a ten-second clip with sound.",
        "multimodal",
    ),
]


def test_the_model_loads_without_scikit_learn_and_knows_the_news_categories():
    code = (
        "import sys; from newsletter.editorial import category_model as m; "
        "p = m.probabilities('Grok 4.6 on Vertex AI', 'Grok is now available.'); "
        "assert abs(sum(p.values()) - 1) < 1e-9; "
        "assert 'sklearn' not in sys.modules; print(sorted(p))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert set(eval(out)) == set(category_model.categories())  # noqa: S307
    assert {"llm", "ai-business", "policy-safety", "robotics-agents"} <= set(
        category_model.categories()
    )


def test_ai_stories_are_filed_where_an_editor_would(defaults, offline):
    articles = make_articles(
        [
            {"title": title, "url": f"https://news.example/{i}", "text": text}
            for i, (title, text, _) in enumerate(STORIES)
        ]
    )
    classify_articles(articles)
    rows = Article.objects.filter(id__in=[a.id for a in articles]).select_related(
        "category"
    )
    filed = {row.title: row.category.slug for row in rows}
    assert filed == {title: slug for title, _, slug in STORIES}


def test_everyday_senses_still_file_nothing_with_the_model(defaults, offline):
    articles = make_articles(
        [
            {
                "title": "Bayesian inference for crop yields across three decades",
                "url": "https://agri.example/inference",
                "text": "Statistical inference on field trials shows the drought "
                "years cut wheat yields by a fifth.",
            },
            {
                "title": "Strength training beats cardio for older adults, trial finds",
                "url": "https://health.example/training",
                "text": "Twice-weekly strength training improved balance in a "
                "two-year trial of 900 adults over 65.",
            },
        ]
    )
    classify_articles(articles)
    rows = Article.objects.filter(id__in=[a.id for a in articles])
    assert {row.category.slug for row in rows.select_related("category")} == {"others"}


def test_korean_stories_are_filed_by_their_keywords(defaults, offline):
    [article] = make_articles(
        [
            {
                "title": "AI 디지털교과서 도입 1년, 현장 평가 엇갈려",
                "url": "https://ko.example/textbook",
                "text": "인공지능 디지털교과서가 학교에 도입된 지 1년이 지나면서 현장의 "
                "평가가 엇갈리고 있다.",
            }
        ],
        language="ko",
    )
    classify_articles([article])
    article.refresh_from_db()
    # No category keyword, and the model has read too little Korean to guess.
    assert article.category.slug == "others"
