"""Real sources for online use. The offline demo keeps them inactive."""

DEFAULT_SOURCES = [
    {
        "name": "MIT Technology Review Korea",
        "url": "https://www.technologyreview.kr/feed/",
        "language": "ko",
    },
    {
        "name": "Ars Technica AI",
        "url": "https://arstechnica.com/ai/feed/",
        "language": "en",
    },
    {
        "name": "arXiv cs.AI",
        "url": "https://rss.arxiv.org/rss/cs.AI",
        "language": "en",
        "kind": "paper",
    },
    {
        "name": "arXiv cs.CL",
        "url": "https://rss.arxiv.org/rss/cs.CL",
        "language": "en",
        "kind": "paper",
    },
    {
        "name": "Hugging Face blog",
        "url": "https://huggingface.co/blog/feed.xml",
        "language": "en",
    },
    {"name": "OpenAI news", "url": "https://openai.com/news/rss.xml", "language": "en"},
    {
        "name": "Google DeepMind blog",
        "url": "https://deepmind.google/blog/rss.xml",
        "language": "en",
    },
    {
        "name": "Hacker News (AI)",
        "url": "https://hnrss.org/newest?q=AI&points=50",
        "language": "en",
        # A general aggregator: its stories rank below the primary AI sources'.
        "weight": 0.5,
        # It links to other sites' articles: each is credited to its own site.
        "is_aggregator": True,
    },
]
