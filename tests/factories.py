"""Valid defaults for the rows tests need; tests pass what they assert on."""

import datetime as dt

import factory
from django.utils import timezone

from ingestion.models import Article, Source
from newsletter.models import Category, Digest, DigestSection, DigestSource
from subscribers.models import Subscriber


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Source {n}")
    url = factory.Sequence(lambda n: f"https://feeds.example.com/{n}.xml")
    language = "en"


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    source = factory.SubFactory(SourceFactory)
    url = factory.Sequence(lambda n: f"https://news.example.com/story-{n}")
    title = factory.Sequence(lambda n: f"Story number {n}")
    text = "OpenAI released a new model today. It is faster and cheaper than before."
    published_at = factory.LazyFunction(timezone.now)
    extraction_status = Article.Extraction.EXTRACTED
    language = "en"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")
    emoji = "🧪"
    description = "Test category"


class DigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Digest

    date = dt.date(2026, 8, 22)
    language = "ko"
    status = Digest.Status.APPROVED


SAMPLE_CONTENT = {
    "topics": ["새 모델 공개", "추론 비용 하락"],
    "events": [{"text": "OpenAI가 새 모델을 공개했다.", "citations": [1]}],
    "impact": {
        "economy": "가격 경쟁이 심해진다.",
        "politics_society": "규제 논의가 이어진다.",
        "science_technology": "추론 효율이 높아진다.",
    },
    "final_summary": ["모델 경쟁이 빨라지고 있다."],
}


def make_section(
    digest: Digest, category: Category, articles: list[Article], **fields
) -> DigestSection:
    section = DigestSection.objects.create(
        digest=digest,
        category=category,
        position=category.position,
        content=fields.pop("content", SAMPLE_CONTENT),
        **fields,
    )
    for number, article in enumerate(articles, start=1):
        DigestSource.objects.create(section=section, article=article, number=number)
    return section


def told_digest(**fields) -> Digest:
    """A digest with one section of its edition: an empty one is never public."""
    digest = DigestFactory(**fields)
    category = CategoryFactory(slug=f"told-{digest.edition}", edition=digest.edition)
    make_section(digest, category, [])
    return digest


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.com")
    status = Subscriber.Status.ACTIVE
    # Only someone who confirmed has a confirmation time; a pending sign-up has none.
    confirmed_at = factory.LazyAttribute(
        lambda o: None if o.status == Subscriber.Status.PENDING else timezone.now()
    )
